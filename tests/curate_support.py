"""Helpers for the curation tests: a scripted teacher (exact numbers) and a user grader for the tiny model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from longcot.generate.types import Completion
from longcot.verify import Verdict

Script = Callable[[str, int], tuple[str, str, int]]
"""(the prompt's last message, sample index) -> (text, finish_reason, completion tokens)."""


class ScriptedTeacher:
    """A ``Backend`` whose outputs are fixed per prompt and sample index, so
    acceptance, tokens and resumed runs have exact expected values.

    Args:
        script: the outputs (see :data:`Script`).
        fail: a predicate on the prompt text; a call containing such a prompt raises.
        interrupt_after: raise ``KeyboardInterrupt`` on this call number (1-based),
            as a killed run stops: not an ``Exception``, so nothing catches it.
    """

    name = "scripted"

    def __init__(self, script: Script, *, fail=None, interrupt_after: int | None = None):
        self.script = script
        self.fail = fail
        self.interrupt_after = interrupt_after
        self.calls = 0
        self.prompts_seen: list[str] = []
        self.params = None
        """The current call's ``SamplingParams`` (a script may read its seed)."""

    def generate(self, prompts, params):
        self.calls += 1
        self.params = params
        if self.interrupt_after is not None and self.calls >= self.interrupt_after:
            raise KeyboardInterrupt("killed")
        texts = [p if isinstance(p, str) else p[-1]["content"] for p in prompts]
        if self.fail is not None and any(self.fail(t) for t in texts):
            raise RuntimeError("server error 500 (scripted)")
        out = []
        for text in texts:
            self.prompts_seen.append(text)
            group = []
            for s in range(params.n):
                body, finish, tokens = self.script(text, s)
                group.append(
                    Completion(
                        text=body,
                        token_ids=tuple(range(tokens)),
                        finish_reason=finish,
                        prompt_tokens=7,
                        completion_tokens=tokens,
                    )
                )
            out.append(group)
        return out

    def close(self) -> None:
        pass


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line
    ]


def has_brace(region: str, gold, answer_type) -> Verdict:
    """A user grader (``task: curate_support:has_brace``) the random tiny model
    passes in about 1 sample in 10: a response is correct when it writes ``{``."""
    del gold, answer_type
    if "{" in region:
        return Verdict("correct", "{", "contains a brace")
    return Verdict("incorrect", None, "no brace")


class KeywordJudge:
    """A judge backend (``module:Class`` for ``load_backend``): "correct" when the
    response tail in its prompt contains ``keyword``, "wrong" otherwise."""

    name = "keyword-judge"
    instances: ClassVar[list[KeywordJudge]] = []

    def __init__(self, model: str, keyword: str = "42") -> None:
        self.model = model
        self.keyword = keyword
        self.prompts: list[str] = []
        KeywordJudge.instances.append(self)

    def generate(self, prompts, params):
        out = []
        for p in prompts:
            text = p[-1]["content"]
            self.prompts.append(text)
            tail = text.split("End of the student's response:")[1]
            verdict = "correct" if self.keyword in tail else "wrong"
            out.append(
                [Completion(f"VERDICT: {verdict}", (1,), "stop", 5, 1) for _ in range(params.n)]
            )
        return out

    def close(self) -> None:
        pass


class EchoTeacher:
    """A teacher the command line can load (``--backend curate_support:EchoTeacher``):
    sample ``s`` of a prompt answers ``\\boxed{s}``."""

    name = "echo"

    def __init__(self, model: str, **options) -> None:
        self.model = model

    def generate(self, prompts, params):
        return [
            [Completion(f"\\boxed{{{s}}}", (1, 2), "stop", 3, 2) for s in range(params.n)]
            for _ in prompts
        ]

    def close(self) -> None:
        pass
