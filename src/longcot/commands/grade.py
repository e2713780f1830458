"""``longcot grade``: grade a JSONL file of responses against gold answers.

Each input line is an object with ``response`` and ``gold``, and optionally
``task`` and ``answer_type``; every other field is copied to the output,
which adds ``verdict`` (status, extracted, reason, correct). Every line is
checked before any grading starts, and a bad one is reported as
``file:line: what is wrong``. ``--extract strict`` reads only a box or an
English answer phrase (see ``longcot.verify.grade``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from longcot.constants import THINK_MARKERS
from longcot.jsonl import JsonlError, iter_objects
from longcot.verify import EXTRACT_POLICIES, TASKS, grade_many
from longcot.verify.tasks import check_task_name
from longcot.verify.theoremqa import ANSWER_TYPES

CHUNK = 256  # items per grade_many call: keeps the progress bar moving and memory flat


def check_task_fields(task: object, answer_type: object) -> str | None:
    """What is wrong with a line's ``task`` / ``answer_type``, or None.

    ``theoremqa`` needs one of its answer types; the other built-in tasks take
    none (``null`` is fine); a ``module:function`` task may use any string.
    """
    if not isinstance(task, str):
        return f"field 'task' must be a string, got {type(task).__name__}"
    try:
        check_task_name(task)
    except ValueError as e:
        return f"field 'task': {e}"
    if answer_type is not None and not isinstance(answer_type, str):
        return f"field 'answer_type' must be a string or null, got {type(answer_type).__name__}"
    if task == "theoremqa" and answer_type not in ANSWER_TYPES:
        return f"task 'theoremqa' needs 'answer_type', one of {list(ANSWER_TYPES)}; got {answer_type!r}"
    if task in TASKS and task != "theoremqa" and answer_type is not None:
        return f"field 'answer_type' is only read by task 'theoremqa', not {task!r}; remove it or set null"
    return None


def read_items(path: Path, default_task: str) -> list[dict]:
    items = []
    for lineno, row in iter_objects(path):
        for key in ("response", "gold"):
            if key not in row:
                raise JsonlError(f"{path}:{lineno}: missing field {key!r}")
        if not isinstance(row["response"], str):
            raise JsonlError(f"{path}:{lineno}: field 'response' must be a string")
        row.setdefault("task", default_task)
        problem = check_task_fields(row["task"], row.get("answer_type"))
        if problem is not None:
            raise JsonlError(f"{path}:{lineno}: {problem}")
        items.append(row)
    return items


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=__doc__)
    p.add_argument("--input", required=True, type=Path, help="JSONL with response, gold")
    p.add_argument("--output", required=True, type=Path, help="JSONL to write, one line per input")
    p.add_argument("--task", default="math", help=f"default task: {', '.join(TASKS)}")
    p.add_argument("--workers", type=int, default=None, help="grader processes (default: cores)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per item (hard limit)")
    p.add_argument(
        "--no-think", action="store_true", help="grade whole responses; ignore <think> blocks"
    )
    p.add_argument(
        "--extract",
        choices=EXTRACT_POLICIES,
        default="auto",
        help="auto: box, tag, phrase, ####, bare answer, equation, math span, number; "
        "strict: box or English answer phrase only",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    try:
        check_task_name(args.task)
    except ValueError as e:
        console.print(f"[red]error:[/red] --task: {e}")
        return 2
    try:
        items = read_items(args.input, args.task)
    except (JsonlError, OSError) as e:
        console.print(f"[red]error:[/red] {e}")
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    markers = None if args.no_think else THINK_MARKERS
    counts: Counter[str] = Counter()
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with (
        args.output.open("w", encoding="utf-8") as out,
        Progress(*columns, TimeRemainingColumn(), console=console) as progress,
    ):
        bar = progress.add_task("grading", total=len(items))
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            verdicts = grade_many(
                chunk,
                workers=args.workers,
                timeout=args.timeout,
                think_markers=markers,
                extract=args.extract,
            )
            for row, verdict in zip(chunk, verdicts, strict=True):
                counts[verdict.status] += 1
                out.write(json.dumps({**row, "verdict": verdict.to_dict()}) + "\n")
            out.flush()  # a crash loses at most one chunk
            progress.advance(bar, len(chunk))
    total = max(1, len(items))
    summary = ", ".join(f"{s} {n}" for s, n in counts.most_common())
    console.print(
        f"graded {len(items)} items: accuracy {counts['correct'] / total:.1%} ({summary}) "
        f"-> {args.output}"
    )
    return 0
