"""``longcot demo`` (what ``make demo`` runs): the paper's pipeline on a laptop, in minutes.

From nothing (no download, no benchmark file; it runs from any folder): builds a
0.2 M-parameter model and its tokenizer, trains one copy on long-CoT and one on
short-CoT traces of synthetic arithmetic chains (``longcot sft``), runs RL from
each with the cosine reward and the repetition penalty and, from the long-CoT
model, with the classic reward (``longcot rl``), evaluates every checkpoint on a
held-out split, and writes ``report.html`` with the comparison table, one verdict
per finding of the paper, and the curves (``longcot report``).

  longcot demo                 # ~10 minutes on 2 cores; reruns reuse finished stages
  longcot demo --quick         # the same stages, tiny budgets: ~1 minute
  longcot demo --seeds 3       # the honest study: each finding with its seed spread
  longcot demo --real          # SmolLM2-135M-Instruct on a slice of the paper's benchmarks

Stages run as separate processes, two at a time on two cores, one torch thread each.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import time
from pathlib import Path

from .options import command_parser

log = logging.getLogger(__name__)

OUTPUT = "runs/demo"
QUICK_OUTPUT = "runs/demo-quick"
SETTINGS_FILE = "demo_settings.json"


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    from .demo_real import DEMO_SETTINGS

    p = command_parser(subparsers, name, help_text, __doc__)
    p.add_argument(
        "--output", help=f"output folder (default {OUTPUT}, {QUICK_OUTPUT} with --quick)"
    )
    p.add_argument(
        "--quick", action="store_true", help="tiny budgets: checks the pipeline in ~1 min"
    )
    p.add_argument("--seeds", type=int, default=1, help="repeat every stage with seeds 0..N-1")
    p.add_argument(
        "--workers", type=int, help="stages at once (default: the usable cores, at most 2)"
    )
    p.add_argument("--fresh", action="store_true", help="delete the demo's previous results first")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    real = p.add_argument_group("--real: a pretrained model on the paper's benchmarks")
    real.add_argument("--real", action="store_true", help="evaluate SmolLM2-135M-Instruct instead")
    real.add_argument("--data-dir", help="benchmarks folder (default: $LONGCOT_DATA or ../shared)")
    real.add_argument(
        "--limit", type=int, help=f"problems per benchmark ({DEMO_SETTINGS['limit']})"
    )
    real.add_argument(
        "--samples", type=int, help=f"samples per problem ({DEMO_SETTINGS['samples']})"
    )
    real.add_argument(
        "--max-new-tokens", type=int, help=f"token cap ({DEMO_SETTINGS['max_new_tokens']})"
    )
    p.set_defaults(func=run)
    return p


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _prepare(root: Path, settings: dict, fresh: bool) -> None:
    marker = root / SETTINGS_FILE
    if fresh and root.exists():
        # Only a folder the demo wrote is deleted: --output could point anywhere.
        if not marker.is_file():
            raise FileExistsError(
                f"{root} exists but was not written by longcot demo; not deleting it"
            )
        shutil.rmtree(root)
    if root.exists() and any(root.iterdir()) and not marker.is_file():
        raise FileExistsError(f"{root} holds other files; give longcot demo an empty --output")
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(settings, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    if args.real:
        from .demo_real import run_real

        if args.output is None:
            from .demo_real import DEMO_OUTPUT

            args.output = DEMO_OUTPUT
        return run_real(args)
    from rich.console import Console

    console = Console(stderr=True)
    if args.seeds < 1:
        console.print("[red]error:[/red] --seeds must be >= 1")
        return 2
    try:
        return _pipeline(args)
    except (FileExistsError, ValueError) as e:
        console.print(f"[red]error:[/red] {e}", highlight=False)
        return 2


def _pipeline(args: argparse.Namespace) -> int:
    from rich.console import Console

    from longcot.pipeline import (
        ARMS,
        FULL,
        QUICK,
        StageFailed,
        demo_report,
        demo_stages,
        run_stages,
        settings_dict,
    )

    out = Console()
    settings = QUICK if args.quick else FULL
    root = Path(args.output or (QUICK_OUTPUT if args.quick else OUTPUT))
    _prepare(root, {**settings_dict(settings), "seeds": args.seeds}, args.fresh)
    workers = args.workers or max(1, min(2, _cores()))
    stages = demo_stages(root, settings, args.seeds)
    out.print(
        f"longcot demo: {len(stages)} stages ({args.seeds} seed{'s' * (args.seeds > 1)}), "
        f"{workers} at a time, into {root}"
        + (" (--quick: too short to learn)" if args.quick else "")
    )
    start = time.perf_counter()
    try:
        timings = run_stages(stages, workers=workers, progress=not args.no_progress)
    except StageFailed as e:
        Console(stderr=True).print(f"[red]error:[/red] {e}", highlight=False)
        return 1
    reused = sum(v == "reused" for v in timings.values())
    report, verdicts = demo_report(root, args.seeds, ARMS, quick=args.quick)
    for line in verdict_lines(verdicts):
        out.print(line, highlight=False)
    elapsed = time.perf_counter() - start
    out.print(
        f"demo took {elapsed:.0f} s ({reused} of {len(stages)} stages reused)\n"
        f"report: {report.html}\n        {report.markdown}",
        soft_wrap=True,
    )
    return 0


def verdict_lines(verdicts) -> list[str]:
    lines = []
    for v in verdicts:
        mean = "–" if v.mean is None else f"{v.mean:+.2f} {v.finding.unit}".rstrip()
        lines.append(f"  {v.verdict:<13} {v.finding.paper}: {mean}")
    return lines
