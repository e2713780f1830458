"""``longcot keywords FILE``: reflection keyword, branching and coding rates of a JSONL file.

Reads the --field (default response) of every line: an evaluation's
<benchmark>.jsonl, an RL run's rollouts.jsonl, rejection-sampling candidates or
any JSONL of responses. For each feature (wait, recheck, alternatively, retry,
however: whole words, any case; branching: "alternatively,"; coding: a fenced
python block) it prints the share of responses containing it and the mean count
per response; --json prints the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .options import command_parser


def add_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = command_parser(sub, name, help_text, __doc__)
    p.add_argument("file", type=Path, metavar="FILE", help="JSONL file, one response per line")
    p.add_argument(
        "--field", default="response", help="the string field to read (default response)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from longcot.jsonl import JsonlError
    from longcot.reflection import FEATURES, reflection_from_jsonl

    try:
        stats = reflection_from_jsonl(args.file, field=args.field)
    except (JsonlError, OSError, UnicodeDecodeError) as e:
        Console(stderr=True).print(f"[red]error:[/red] {e}", soft_wrap=True)
        return 2
    if args.json:
        print(json.dumps({"file": str(args.file), "field": args.field, **stats}, indent=2))
        return 0
    console = Console()
    n = stats["responses"]
    console.print(f"{args.file}: {n:,} responses, field {args.field!r}", soft_wrap=True)
    table = Table()
    table.add_column("feature")
    table.add_column("% of responses", justify="right")
    table.add_column("mean count", justify="right")
    for f in FEATURES:
        table.add_row(f, f"{100 * stats[f]['rate']:.1f}", f"{stats[f]['mean']:.2f}")
    console.print(table)
    return 0
