"""A model judge: the verifier for answers no rule can compare (DESIGN §3, silver data).

The judge asks a model, given the **end of a response** and the **reference
solution**, whether the response's final answer agrees: ``correct``, ``wrong``
or ``not_found``. It returns the same :class:`~longcot.verify.Verdict` as the
rule verifier, so evaluation, rejection sampling, silver filtering and RL
rewards take either (``verifier: rule | judge``):

- ``correct`` -> ``correct``; ``wrong`` -> ``incorrect``; ``not_found`` -> ``no_answer``;
- a judgement that cannot be parsed -> ``no_answer`` (never ``correct``): a
  judge that rambles must not hand out rewards;
- a judge that fails after its retries -> ``timeout`` ("could not tell"), with
  the error as the reason, exactly as the rule grader reports a grader error;
- an empty reference -> ``bad_gold``;
- a reasoning block left open (the response hit its cap) -> ``no_answer``
  without asking, as :func:`longcot.verify.answer_region` rules for the rule verifier.

``extracted`` is what the rule extraction (``longcot.verify.extract``) reads
from the response, for statistics such as maj@k; the judge alone decides the status.

This module imports neither torch nor transformers: the judge is a
:class:`longcot.generate.Backend` object (anything with ``generate(prompts,
params)``) or a plain callable ``(list of chat prompts) -> list of texts``;
:func:`open_judge` builds a backend from a :class:`JudgeSpec` only when called.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .extract import extract_final_answer
from .reasoning import DEFAULT_THINK_MARKERS, answer_region
from .verdict import Verdict

log = logging.getLogger(__name__)

JUDGEMENTS: dict[str, str] = {
    "correct": "correct",
    "wrong": "incorrect",
    "incorrect": "incorrect",  # a common synonym of "wrong" in judges' replies
    "not_found": "no_answer",
}
"""The words a judge may answer, and the verdict status each means."""

DEFAULT_TEMPLATE = """\
You are checking a student's final answer against a reference solution.

Reference solution:
{{reference}}

End of the student's response:
{{response}}

Does the final answer in the student's response agree with the final answer of the reference \
solution? Equivalent forms count as agreeing (1/2 and 0.5; x = 3 and 3).
Reply with one line, exactly one of:
VERDICT: correct
VERDICT: wrong
VERDICT: not_found   (the response states no final answer)
"""
"""The judge prompt. ``{{reference}}`` and ``{{response}}`` are replaced; a user
template (``JudgeSpec.template``, a file) uses the same two placeholders."""

PLACEHOLDERS = ("{{reference}}", "{{response}}")

# "VERDICT: wrong", "**Verdict:** correct"; the last such line wins.
_VERDICT_LINE = re.compile(r"verdict\W*\s*(correct|wrong|incorrect|not[ _]found)\b", re.IGNORECASE)
# A reply that is only the word ("correct", "**wrong**.", "`not_found`").
_BARE_WORD = re.compile(r"^\W*(correct|wrong|incorrect|not[ _]found)\W*$", re.IGNORECASE)


class JudgeError(ValueError):
    """A judge setting is invalid; the message names it and says how to fix it."""


@dataclass(frozen=True)
class JudgeSpec:
    """How to build and ask a judge (``reward.judge``, ``eval.judge`` in recipes)."""

    model: str | None = None
    """The judge model (named model, folder, hub id, or a served model name).
    ``None``: the run's own model judges (curation and evaluation reuse the
    loaded backend; RL refuses, since a policy must not grade itself)."""
    backend: str = "hf"
    """``hf``, ``vllm``, ``openai`` or ``module:Class`` (``longcot.generate.load_backend``)."""
    backend_options: dict[str, Any] = field(default_factory=dict)
    """Backend constructor options (``base_url``, ``threads``, ``dtype`` ...)."""
    max_new_tokens: int = 256
    """Tokens the judge may write; a reasoning judge needs more (it thinks first)."""
    temperature: float = 0.0
    """0: greedy, so a judgement is reproducible."""
    tail_chars: int = 2000
    """Characters from the end of the response's answer region shown to the judge
    (characters, not tokens: the judge's tokenizer may differ from the policy's)."""
    retries: int = 3
    """Failed judge calls are retried this many times, backing off ``backoff``
    seconds and doubling; then the items are ``timeout`` verdicts."""
    backoff: float = 1.0
    template: str | None = None
    """A prompt template file with ``{{reference}}`` and ``{{response}}``; ``None``: :data:`DEFAULT_TEMPLATE`."""

    def __post_init__(self) -> None:
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise JudgeError(f"judge.model={self.model!r}: give a model name, or null")
        if not isinstance(self.backend, str) or not self.backend:
            raise JudgeError(
                f"judge.backend={self.backend!r}: give hf, vllm, openai or module:Class"
            )
        if not isinstance(self.backend_options, Mapping):
            raise JudgeError(f"judge.backend_options={self.backend_options!r}: must be a mapping")
        object.__setattr__(self, "backend_options", dict(self.backend_options))
        for name, low in (("max_new_tokens", 1), ("tail_chars", 1), ("retries", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise JudgeError(f"judge.{name}={value!r}: must be an integer >= {low}")
        for name in ("temperature", "backoff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise JudgeError(f"judge.{name}={value!r}: must be a number >= 0")
        if self.template is not None and (not isinstance(self.template, str) or not self.template):
            raise JudgeError(f"judge.template={self.template!r}: give a file path, or null")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | JudgeSpec | None) -> JudgeSpec:
        """From a mapping (a recipe's ``judge:``); unknown keys are an error listing the known ones."""
        if isinstance(data, JudgeSpec):
            return data
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise JudgeError(f"judge must be a mapping of settings, got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise JudgeError(f"unknown judge setting {unknown[0]!r}; known: {', '.join(known)}")
        return cls(**data)

    def prompt_template(self) -> str:
        """The template text (the file, or the default), checked for its placeholders."""
        if self.template is None:
            return DEFAULT_TEMPLATE
        path = Path(self.template)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise JudgeError(f"judge.template {path}: cannot read it ({e.strerror})") from None
        missing = [p for p in PLACEHOLDERS if p not in text]
        if missing:
            raise JudgeError(f"judge.template {path}: it lacks {', '.join(missing)}")
        return text


def judge_prompt(response_tail: str, reference: str, template: str = DEFAULT_TEMPLATE) -> str:
    """The judge's user message. Placeholders are replaced in one pass, so text
    inside the response that looks like a placeholder is left alone."""
    values = {"{{reference}}": reference.strip(), "{{response}}": response_tail.strip()}
    return re.sub(r"\{\{(reference|response)\}\}", lambda m: values[m.group(0)], template)


def parse_judgement(text: str) -> tuple[str | None, str]:
    """``(status, reason)`` from a judge's reply; ``status`` is ``None`` when unparseable.

    The answer is read after the judge's own closed reasoning block (a
    reasoning judge thinks first); the last ``VERDICT: <word>`` line wins, else
    a last line that is only the word. Anything else is unparseable.

    >>> parse_judgement("The answers match.\\nVERDICT: correct")
    ('correct', "judge said 'correct'")
    >>> parse_judgement("<think>maybe wrong</think>\\n**Verdict:** wrong")
    ('incorrect', "judge said 'wrong'")
    >>> parse_judgement("I am not sure.")[0] is None
    True
    """
    region = answer_region(text, DEFAULT_THINK_MARKERS).text
    if region is None:
        return None, "judge reply unparseable: its reasoning block never closed"
    word = None
    matches = list(_VERDICT_LINE.finditer(region))
    if matches:
        word = matches[-1].group(1)
    else:
        lines = [line for line in region.strip().splitlines() if line.strip()]
        bare = _BARE_WORD.match(lines[-1]) if lines else None
        if bare:
            word = bare.group(1)
    if word is None:
        shown = region.strip()[-80:]
        return None, f"judge reply unparseable (no verdict word): {shown!r}"
    key = word.lower().replace(" ", "_")
    return JUDGEMENTS[key], f"judge said {key!r}"


JudgeFn = Callable[[list[list[dict[str, str]]]], list[str]]
"""A judge as a plain function: chat prompts in, one reply text each out."""


def _ask(judge: Any, prompts: list[list[dict[str, str]]], spec: JudgeSpec) -> list[str]:
    """One judge call: a Backend's ``generate`` or a plain callable."""
    if hasattr(judge, "generate"):
        from longcot.generate.types import SamplingParams  # no torch: a dataclass module

        params = SamplingParams(
            n=1, temperature=spec.temperature, max_new_tokens=spec.max_new_tokens, seed=0
        )
        outputs = judge.generate(prompts, params)
        texts = [group[0].text for group in outputs]
    elif callable(judge):
        texts = list(judge(prompts))
    else:
        raise TypeError(f"a judge is a backend with generate() or a callable, got {judge!r}")
    if len(texts) != len(prompts):
        raise RuntimeError(f"judge returned {len(texts)} replies for {len(prompts)} prompts")
    return texts


def _ask_with_retries(judge: Any, prompts, spec: JudgeSpec, sleep=time.sleep) -> list[str]:
    delay = spec.backoff
    for attempt in range(spec.retries + 1):
        try:
            return _ask(judge, prompts, spec)
        except Exception as e:  # any judge failure: network, server, OOM
            if attempt == spec.retries:
                raise
            log.warning(
                "judge call failed (%s: %s); retry %d/%d in %.1f s",
                type(e).__name__,
                e,
                attempt + 1,
                spec.retries,
                delay,
            )
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def judge_many(
    items: Sequence[Mapping[str, Any]],
    judge: Any,
    spec: JudgeSpec | None = None,
    *,
    think_markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS,
    require_think_close: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Verdict]:
    """Judge a batch, preserving order; the judge is called once for the items it must see.

    Args:
        items: dicts with ``response`` and ``reference`` (the reference solution;
            ``gold``, the short answer, when there is none), optional
            ``require_think_close`` (defaults to the argument).
        judge: a backend (``generate``) or a callable (see :data:`JudgeFn`).
        spec: prompt, length and retry settings (``JudgeSpec()`` when ``None``).
        think_markers: the response's reasoning markers; the judge sees the text after the block.
    """
    spec = spec or JudgeSpec()
    template = spec.prompt_template()
    verdicts: list[Verdict | None] = [None] * len(items)
    asked: list[tuple[int, str]] = []  # (item index, its answer region)
    prompts: list[list[dict[str, str]]] = []
    for i, item in enumerate(items):
        if not isinstance(item.get("response"), str):
            raise TypeError(f"items[{i}]['response'] must be str")
        reference = item.get("reference")
        if reference is None or (isinstance(reference, str) and not reference.strip()):
            reference = item.get("gold")
        if reference is None or not str(reference).strip():
            verdicts[i] = Verdict("bad_gold", None, "no reference solution to judge against")
            continue
        close = bool(item.get("require_think_close", require_think_close))
        region = answer_region(item["response"], think_markers, require_close=close)
        if region.text is None:
            verdicts[i] = Verdict("no_answer", None, region.reason)
            continue
        tail = region.text[-spec.tail_chars :]
        asked.append((i, region.text))
        prompts.append([{"role": "user", "content": judge_prompt(tail, str(reference), template)}])
    if prompts:
        try:
            replies = _ask_with_retries(judge, prompts, spec, sleep)
        except Exception as e:
            log.error("judge failed after %d retries: %s: %s", spec.retries, type(e).__name__, e)
            reason = f"judge error: {type(e).__name__}: {e}"
            replies = None
        for k, (i, text) in enumerate(asked):
            if replies is None:
                verdicts[i] = Verdict("timeout", None, reason)
                continue
            status, why = parse_judgement(replies[k])
            extracted = extract_final_answer(text).answer
            verdicts[i] = Verdict(status or "no_answer", extracted, why)
    return [v for v in verdicts if v is not None]


class SerialBackend:
    """A backend whose ``generate`` calls take turns, so one loaded model can both
    generate (the sampling loop's thread) and judge (the grading thread)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = getattr(backend, "name", "serial")
        self._lock = threading.Lock()

    def generate(self, prompts, params):
        with self._lock:
            return self.backend.generate(prompts, params)

    def close(self) -> None:
        self.backend.close()

    def __getattr__(self, name: str) -> Any:  # tokenizer, render, ... for prompt checks
        return getattr(self.backend, name)


_OPEN: dict[str, SerialBackend] = {}
_OPEN_LOCK = threading.Lock()


def open_judge(spec: JudgeSpec) -> SerialBackend:
    """The backend ``spec`` names, loaded once per process and shared (RL calls
    the reward for every batch). Needs ``spec.model``."""
    import json

    if spec.model is None:
        raise JudgeError(
            "judge.model is not set: name the judge model (here no run model can stand in)"
        )
    key = json.dumps([spec.backend, spec.model, spec.backend_options], sort_keys=True, default=str)
    with _OPEN_LOCK:
        if key not in _OPEN:
            from longcot.generate import load_backend  # lazily: hf imports torch

            _OPEN[key] = SerialBackend(
                load_backend(spec.backend, spec.model, **spec.backend_options)
            )
        return _OPEN[key]
