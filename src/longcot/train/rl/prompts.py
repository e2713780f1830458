"""RL prompts with gold answers: from a benchmark / task, or a JSONL file; a resumable order.

``data.source`` names a registered benchmark or task (``math_train``,
``arith_train``), ``module:attr``, or a ``.jsonl`` file whose rows hold
``prompt`` (text or chat messages) or ``problem`` (a question, wrapped in the
``data.template`` prompt), plus ``gold`` and optionally ``id``, ``task`` and
``answer_type``. Every row must have a gold answer: a row without one is an
error naming the file and line, before any model is loaded (RL on a missing
gold would reward nothing and say nothing).

:class:`PromptOrder` walks the prompts epoch by epoch in an order shuffled
from ``(seed, epoch)``; its state is one integer (prompts consumed), so a
resumed run draws exactly the prompts the uninterrupted run would have.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longcot.config import DataSection
from longcot.constants import BUILTIN_TASKS
from longcot.generate.types import Prompt
from longcot.jsonl import JsonlError, iter_objects


@dataclass(frozen=True)
class PromptItem:
    id: str
    prompt: Prompt
    gold: Any
    task: str | None
    """The verifier task; ``None``: the reward section's ``task``."""
    answer_type: str | None = None


class PromptDataError(ValueError):
    """Bad RL prompt data; the message names the file and line or the example."""


def load_prompts(data: DataSection) -> list[PromptItem]:
    """Every prompt of ``data.source`` (first ``data.limit``), validated."""
    if not data.source:
        raise PromptDataError("data.source is required: a benchmark or task name, or a .jsonl file")
    if data.source.endswith(".jsonl"):
        items = _from_jsonl(Path(data.source), data)
    else:
        items = _from_benchmark(data)
    if not items:
        raise PromptDataError(f"data.source {data.source!r} holds no prompts")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise PromptDataError(f"data.source {data.source!r}: id {dup!r} appears twice")
    return items


def _from_benchmark(data: DataSection) -> list[PromptItem]:
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark(data.source)
    examples = bench.load(data.data_dir, limit=data.limit)
    out = []
    for ex in examples:
        if ex.gold is None or (isinstance(ex.gold, str) and not ex.gold.strip()):
            # A benchmark's own unusable golds (MATH-train has 4) are skipped, not fatal:
            # they are the dataset's, and the verifier would grade them bad_gold anyway.
            continue
        out.append(
            PromptItem(
                str(ex.id), bench.prompt(ex, data.template), ex.gold, bench.task, ex.answer_type
            )
        )
    return out


def _from_jsonl(path: Path, data: DataSection) -> list[PromptItem]:
    from longcot.benchmarks import Example
    from longcot.benchmarks.prompts import render_prompt

    if not path.is_file():
        raise PromptDataError(f"{path}: no such file (data.source)")
    out: list[PromptItem] = []
    try:
        for lineno, row in iter_objects(path):
            where = f"{path}:{lineno}"
            gold = row.get("gold", row.get("answer"))
            if gold is None or (isinstance(gold, str) and not gold.strip()):
                raise PromptDataError(f"{where}: no 'gold' answer; RL needs one for every prompt")
            task = row.get("task")
            if "prompt" in row:
                prompt = row["prompt"]
                if not (isinstance(prompt, str) or _is_messages(prompt)):
                    raise PromptDataError(f"{where}: 'prompt' must be text or a list of messages")
            elif isinstance(row.get("problem"), str):
                example = Example(str(row.get("id", lineno)), row["problem"], gold)
                prompt = render_prompt(data.template, _template_task(task or "math"), example)
            else:
                raise PromptDataError(f"{where}: needs 'prompt' (text or messages) or 'problem'")
            out.append(
                PromptItem(
                    str(row.get("id", f"{path.stem}:{lineno}")),
                    prompt,
                    gold,
                    task,
                    row.get("answer_type"),
                )
            )
            if data.limit is not None and len(out) >= data.limit:
                break
    except JsonlError as e:
        raise PromptDataError(str(e)) from None
    return out


def _template_task(task: str) -> str:
    # User graders ("module:function") get the math prompt: a boxed final answer.
    return task if task in BUILTIN_TASKS else "math"


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in value
    )


class PromptOrder:
    """Epoch-shuffled prompt indices; ``position`` (prompts drawn so far) is the whole state."""

    def __init__(self, size: int, *, seed: int, shuffle: bool = True, position: int = 0) -> None:
        if size < 1:
            raise ValueError("no prompts to draw from")
        self.size = size
        self.seed = seed
        self.shuffle = shuffle
        self.position = position
        self._epoch = -1
        self._order: list[int] = []

    def _epoch_order(self, epoch: int) -> list[int]:
        if epoch != self._epoch:
            order = list(range(self.size))
            if self.shuffle:
                random.Random(f"{self.seed}:{epoch}").shuffle(order)
            self._epoch, self._order = epoch, order
        return self._order

    def take(self, count: int) -> list[int]:
        """The next ``count`` indices (crossing into the next epoch when needed)."""
        out = []
        for _ in range(count):
            epoch, offset = divmod(self.position, self.size)
            out.append(self._epoch_order(epoch)[offset])
            self.position += 1
        return out

    @property
    def epoch(self) -> float:
        return self.position / self.size
