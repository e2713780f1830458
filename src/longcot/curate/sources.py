"""The problems a curation run works on: from a benchmark or task, or a JSONL file.

``data.source`` names a registered benchmark or task (``math_train``,
``arith_train``), ``module:attr``, or a ``.jsonl`` file. A JSONL row holds
``prompt`` (text or chat messages) or ``problem``/``question`` (wrapped in the
``data.template`` prompt, as RL does), plus ``gold`` (or ``answer``) and
optionally ``id``, ``task``, ``answer_type`` and ``solution``/``reference``
(a reference solution: what ``longcot silver`` reads an answer from and a
judge compares against). A malformed row is an error naming the file and line,
raised before any model is loaded.

``curate.where`` keeps the examples whose field equals a value
(``{level: Level 1}``); then ``data.limit`` keeps the first ``limit`` of them.
``curate.shard: i/n`` keeps every n-th of those, from the i-th: shards
interleave, so each gets a similar mix of easy and hard problems, and each
item keeps its ``index`` in the whole list, so merged shards sort back into
the order of one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from longcot.config import CurateSection, DataSection
from longcot.config.sections import parse_shard
from longcot.constants import BUILTIN_TASKS
from longcot.generate.types import Prompt
from longcot.jsonl import JsonlError, iter_objects


class CurationDataError(ValueError):
    """Bad curation input; the message names the file and line, or the benchmark and example."""


@dataclass(frozen=True)
class CurationItem:
    """One problem to sample, construct or filter."""

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


def source_name(data: DataSection) -> str:
    """The group name of a run's files: a benchmark's name, or a JSONL file's stem."""
    if not data.source:
        raise CurationDataError(
            "data.source is required: a benchmark or task name, or a .jsonl file"
        )
    return Path(data.source).stem if data.source.endswith(".jsonl") else data.source


def load_items(
    data: DataSection,
    curate: CurateSection,
    *,
    task: str,
    need_gold: bool = True,
) -> list[CurationItem]:
    """Every problem of ``data.source`` that ``curate.where`` and ``data.limit`` keep.

    Args:
        task: the verifier task for rows and benchmarks that name none (``reward.task``).
        need_gold: a row without a gold answer is an error (``sample``, ``construct``);
            ``silver`` reads answers from reference solutions instead.

    Raises:
        CurationDataError: a malformed row, a duplicate id, or nothing left to use.
    """
    source_name(data)
    if data.source.endswith(".jsonl"):
        items = _from_jsonl(Path(data.source), data, curate, task, need_gold)
    else:
        items = _from_benchmark(data, curate, need_gold)
    if not items:
        where = f" with curate.where {curate.where}" if curate.where else ""
        raise CurationDataError(f"data.source {data.source!r} holds no problems{where}")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise CurationDataError(f"data.source {data.source!r}: id {item.id!r} appears twice")
        seen.add(item.id)
    return items


def shard_items(items: list[CurationItem], shard: str | None) -> list[CurationItem]:
    """The items of shard ``i/n``: positions ``i, i + n, ...``; all items when ``None``."""
    if shard is None:
        return items
    i, n = parse_shard(shard)
    return items[i::n]


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
            raise CurationDataError(
                f"curate.where field {key!r} is not a field of {source}; fields: "
                f"{', '.join(sorted(known))}"
            )


def _from_benchmark(
    data: DataSection, curate: CurateSection, need_gold: bool
) -> list[CurationItem]:
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark(data.source)
    # Without a filter, the loader stops at the limit; with one, it reads everything.
    examples = bench.load(data.data_dir, limit=None if curate.where else data.limit)
    out: list[CurationItem] = []
    checked = False
    for ex in examples:
        attributes = {f.name: getattr(ex, f.name) for f in fields(ex) if f.name != "meta"}
        values = {**(ex.meta or {}), **attributes}
        if not checked:
            _check_where_fields(curate.where, set(values), data.source)
            checked = True
        if not _matches(curate.where, values):
            continue
        if need_gold and (ex.gold is None or (isinstance(ex.gold, str) and not ex.gold.strip())):
            # A benchmark's own unusable golds (MATH-train has 4) are skipped as RL
            # skips them: they are the dataset's, not the user's, to fix.
            continue
        solution = (ex.meta or {}).get("solution")
        out.append(
            CurationItem(
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
    path: Path, data: DataSection, curate: CurateSection, task: str, need_gold: bool
) -> list[CurationItem]:
    from longcot.benchmarks import Example
    from longcot.benchmarks.prompts import render_prompt

    if not path.is_file():
        raise CurationDataError(f"{path}: no such file (data.source)")
    out: list[CurationItem] = []
    try:
        for lineno, row in iter_objects(path):
            where = f"{path}:{lineno}"
            if curate.where and lineno == 1:
                _check_where_fields(curate.where, set(row), str(path))
            if not _matches(curate.where, row):
                continue
            gold = row.get("gold", row.get("answer"))
            if isinstance(gold, str) and not gold.strip():
                gold = None
            reference = _text(row, "solution", "reference")
            if gold is None and need_gold:
                raise CurationDataError(f"{where}: no 'gold' answer; rejection sampling needs one")
            if gold is None and reference is None:
                raise CurationDataError(
                    f"{where}: no 'solution' (or 'reference') text and no 'gold' answer: "
                    "nothing to read a reference answer from"
                )
            row_task = row.get("task") or task
            if not isinstance(row_task, str):
                raise CurationDataError(f"{where}: 'task' must be a task name")
            question = _text(row, "problem", "question")
            if "prompt" in row:
                prompt = row["prompt"]
                if not (isinstance(prompt, str) or _is_messages(prompt)):
                    raise CurationDataError(f"{where}: 'prompt' must be text or a list of messages")
                if question is None:
                    question = prompt if isinstance(prompt, str) else _last_user(prompt)
            elif question is not None:
                example = Example(str(row.get("id", lineno)), question, gold)
                prompt = render_prompt(data.template, _template_task(row_task), example)
            else:
                raise CurationDataError(
                    f"{where}: needs 'prompt' (text or messages) or 'problem' (or 'question') text"
                )
            out.append(
                CurationItem(
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
        raise CurationDataError(str(e)) from None
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
