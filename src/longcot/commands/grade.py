"""``longcot grade``: grade a JSONL file of responses against gold answers.

Each input line is an object with ``response`` and ``gold``, and optionally
``task`` and ``answer_type``; every other field is copied to the output,
which adds ``verdict`` (status, extracted, reason, correct).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from longcot.constants import THINK_MARKERS
from longcot.jsonl import JsonlError, iter_objects
from longcot.verify import TASKS, grade_many

CHUNK = 256  # items per grade_many call: keeps the progress bar moving and memory flat


def read_items(path: Path, default_task: str) -> list[dict]:
    items = []
    for lineno, row in iter_objects(path):
        for key in ("response", "gold"):
            if key not in row:
                raise JsonlError(f"{path}:{lineno}: missing field {key!r}")
        if not isinstance(row["response"], str):
            raise JsonlError(f"{path}:{lineno}: field 'response' must be a string")
        row.setdefault("task", default_task)
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
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
                chunk, workers=args.workers, timeout=args.timeout, think_markers=markers
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
