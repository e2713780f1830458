"""Prompt sets: the problems a command works on, from a benchmark or task, or a JSONL file.

One loader for every command that reads problems with answers (``longcot
sample``/``construct``/``silver`` and ``longcot rl``), so a prompt file written
by one (``silver``'s ``prompts.jsonl``) is read the same way by the others.

``data.source`` names a registered benchmark or task (``math_train``,
``arith_train``), ``module:attr``, or a ``.jsonl`` file. A JSONL row holds
``prompt`` (text or chat messages) or ``problem``/``question`` (wrapped in the
``data.template`` prompt, as RL does), plus ``gold`` (or ``answer``) and
optionally ``id``, ``task``, ``answer_type`` and ``solution``/``reference``
(a reference solution: what ``longcot silver`` reads an answer from and a
judge compares against). A malformed row is an error naming the file and line,
raised before any model is loaded.

``where`` (``curate.where`` in curation recipes) keeps the examples whose
field equals a value (``{level: Level 1}``); then ``data.limit`` keeps the
first ``limit`` of them. Each item keeps its ``index`` in that list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from longcot.config import DataSection
from longcot.constants import BUILTIN_TASKS
from longcot.generate.types import Prompt
from longcot.jsonl import JsonlError, iter_objects


class PromptSetError(ValueError):
    """Bad prompt data; the message names the file and line, or the benchmark and example."""


@dataclass(frozen=True)
class PromptItem:
    """One problem to sample, construct, filter or train on."""

    index: int
    """Position in ``data.source`` after ``where`` and ``limit`` (before sharding)."""
    id: str
    prompt: Prompt
    """What the teacher is sent, and the prompt of the SFT rows written for it."""
    question: str
    """The bare problem text (construct's ``{{problem}}``; silver's RL ``problem``)."""
    gold: Any
    """The short reference answer; ``None`` for silver pairs before extraction."""
    task: str
    answer_type: str | None = None
    reference: str | None = None
    """A reference solution text, when the source has one."""


def load_items(
    data: DataSection,
    *,
    task: str,
    where: Mapping[str, Any] | None = None,
    need_gold: bool = True,
    purpose: str = "this command",
) -> list[PromptItem]:
    """Every problem of ``data.source`` that ``where`` and ``data.limit`` keep.

    Args:
        task: the verifier task for rows and benchmarks that name none (``reward.task``).
        where: field -> value (or list of values) an example must have.
        need_gold: a row without a gold answer is an error (``sample``, ``construct``,
            ``rl``); ``silver`` reads answers from reference solutions instead.
        purpose: who needs the gold answer, for the error message.

    Raises:
        PromptSetError: a malformed row, a duplicate id, or nothing left to use.
    """
    if not data.source:
        raise PromptSetError("data.source is required: a benchmark or task name, or a .jsonl file")
    if data.source.endswith(".jsonl"):
        items = _from_jsonl(Path(data.source), data, where, task, need_gold, purpose)
    else:
        items = _from_benchmark(data, where, need_gold)
    if not items:
        kept = f" with curate.where {dict(where)}" if where else ""
        raise PromptSetError(f"data.source {data.source!r} holds no problems{kept}")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise PromptSetError(f"data.source {data.source!r}: id {item.id!r} appears twice")
        seen.add(item.id)
    return items


def _matches(where: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    if not where:
        return True
    for key, wanted in where.items():
        if key not in values:
            return False
        options = wanted if isinstance(wanted, list | tuple) else [wanted]
        if not any(values[key] == o or str(values[key]) == str(o) for o in options):
            return False
    return True


def _check_where_fields(where: Mapping[str, Any] | None, known: set[str], source: str) -> None:
    """A misspelt field would silently select nothing: name it and what exists."""
    for key in where or {}:
        if key not in known:
            raise PromptSetError(
                f"curate.where field {key!r} is not a field of {source}; fields: "
                f"{', '.join(sorted(known))}"
            )


def _from_benchmark(
    data: DataSection, where: Mapping[str, Any] | None, need_gold: bool
) -> list[PromptItem]:
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark(data.source)
    # Without a filter, the loader stops at the limit; with one, it reads everything.
    examples = bench.load(data.data_dir, limit=None if where else data.limit)
    out: list[PromptItem] = []
    checked = False
    for ex in examples:
        attributes = {f.name: getattr(ex, f.name) for f in fields(ex) if f.name != "meta"}
        values = {**(ex.meta or {}), **attributes}
        if not checked:
            _check_where_fields(where, set(values), data.source)
            checked = True
        if not _matches(where, values):
            continue
        if need_gold and (ex.gold is None or (isinstance(ex.gold, str) and not ex.gold.strip())):
            # A benchmark's own unusable golds (MATH-train has 4) are skipped as RL
            # skips them: they are the dataset's, not the user's, to fix.
            continue
        solution = (ex.meta or {}).get("solution")
        out.append(
            PromptItem(
                index=len(out),
                id=str(ex.id),
                prompt=bench.prompt(ex, data.template),
                question=ex.question,
                gold=ex.gold,
                task=bench.task,
                answer_type=ex.answer_type,
                reference=solution if isinstance(solution, str) and solution.strip() else None,
            )
        )
        if data.limit is not None and len(out) >= data.limit:
            break
    return out


def _text(row: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _from_jsonl(
    path: Path,
    data: DataSection,
    where: Mapping[str, Any] | None,
    task: str,
    need_gold: bool,
    purpose: str,
) -> list[PromptItem]:
    from longcot.benchmarks import Example
    from longcot.benchmarks.prompts import render_prompt

    if not path.is_file():
        raise PromptSetError(f"{path}: no such file (data.source)")
    out: list[PromptItem] = []
    try:
        for lineno, row in iter_objects(path):
            at = f"{path}:{lineno}"
            if where and lineno == 1:
                _check_where_fields(where, set(row), str(path))
            if not _matches(where, row):
                continue
            gold = row.get("gold", row.get("answer"))
            if isinstance(gold, str) and not gold.strip():
                gold = None
            reference = _text(row, "solution", "reference")
            if gold is None and need_gold:
                raise PromptSetError(
                    f"{at}: no 'gold' answer; {purpose} needs one for every prompt"
                )
            if gold is None and reference is None:
                raise PromptSetError(
                    f"{at}: no 'solution' (or 'reference') text and no 'gold' answer: "
                    "nothing to read a reference answer from"
                )
            row_task = row.get("task") or task
            if not isinstance(row_task, str):
                raise PromptSetError(f"{at}: 'task' must be a task name")
            question = _text(row, "problem", "question")
            if "prompt" in row:
                prompt = row["prompt"]
                if not (isinstance(prompt, str) or _is_messages(prompt)):
                    raise PromptSetError(f"{at}: 'prompt' must be text or a list of messages")
                if question is None:
                    question = prompt if isinstance(prompt, str) else _last_user(prompt)
            elif question is not None:
                example = Example(str(row.get("id", lineno)), question, gold)
                prompt = render_prompt(data.template, _template_task(row_task), example)
            else:
                raise PromptSetError(
                    f"{at}: needs 'prompt' (text or messages) or 'problem' (or 'question') text"
                )
            out.append(
                PromptItem(
                    index=len(out),
                    id=str(row.get("id", f"{path.stem}:{lineno}")),
                    prompt=prompt,
                    question=question,
                    gold=gold,
                    task=row_task,
                    answer_type=row.get("answer_type"),
                    reference=reference,
                )
            )
            if data.limit is not None and len(out) >= data.limit:
                break
    except JsonlError as e:
        raise PromptSetError(str(e)) from None
    return out


def _template_task(task: str) -> str:
    # User graders ("module:function") get the math prompt: a boxed final answer.
    return task if task in BUILTIN_TASKS else "math"


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(m, dict)
            and isinstance(m.get("role"), str)
            and isinstance(m.get("content"), str)
            for m in value
        )
    )


def _last_user(messages: list[dict[str, str]]) -> str:
    users = [m["content"] for m in messages if m["role"] == "user"]
    return users[-1] if users else messages[-1]["content"]
