"""``longcot report RUN_DIR... --output DIR``: plots and tables of runs, in one HTML page.

Each RUN_DIR is a folder a longcot command wrote: ``longcot sft``/``rl``/``sample``
output (with run.json) or a ``longcot eval`` output. DIR gets report.html (self-
contained: figures embedded, no network), report.md (the same tables, linking the
PNG files) and figures/*.png. Several runs are overlaid on every figure, one colour
per run, named by folder. Metrics a run did not log are skipped with a note; a
folder that is not a run is an error naming it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import command_parser


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = command_parser(sub, name, help_text, __doc__)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="run or eval folders")
    p.add_argument("--output", required=True, type=Path, help="folder for report.html, report.md")
    p.add_argument("--title", default="longcot report", help="the report's heading")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from longcot.analyze import RunFolderError, write_report
    from longcot.jsonl import JsonlError

    console = Console(stderr=True)
    try:
        report = write_report(args.runs, args.output, title=args.title)
    except (RunFolderError, JsonlError, OSError) as e:
        console.print(f"[red]error:[/red] {e}", soft_wrap=True)
        return 2
    for note in report.notes:
        console.print(f"[dim]note:[/dim] {note}", soft_wrap=True, highlight=False)
    console.print(
        f"{len(args.runs)} runs, {len(report.figures)} figures -> {report.html} and "
        f"{report.markdown}",
        soft_wrap=True,
        highlight=False,
    )
    return 0
