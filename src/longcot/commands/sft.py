"""``longcot sft``: supervised fine-tuning on TRL's SFTTrainer, from a recipe.

Settings come from ``--recipe FILE`` (sectioned YAML: model, data, optim, eval,
run; see ``recipes/sft_tiny_cpu.yaml``), with ``--model``, ``--output``,
``--max-steps`` and ``--set SECTION.KEY=VALUE`` overriding it. The data is a
chat JSONL file (``{"messages": [...]}`` per line, the last message the reply
to learn) or a benchmark with reference solutions (``data.source: math_train``).
The loss is on the reply only, reasoning block and end-of-sequence included.

The output folder gets recipe.yaml, run.json, metrics.jsonl (loss, lr,
grad_norm, epoch, train_tokens, examples_seen per step), checkpoints/step_N,
final/ (loadable by --model), eval/final and summary.json. ``--resume``
continues a stopped run from its last checkpoint, with its stored recipe
when no ``--recipe`` is given. Under ``accelerate launch`` the same command
trains on every process.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from .options import add_set_option, command_parser

log = logging.getLogger(__name__)


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    p = command_parser(subparsers, name, help_text, __doc__)
    p.add_argument("--recipe", type=Path, help="recipe YAML; the options here override it")
    p.add_argument("--model", help="model to fine-tune: named model, checkpoint folder or hub id")
    p.add_argument("--output", type=Path, help="run folder (run.output)")
    p.add_argument("--max-steps", type=int, help="stop after N optimiser steps (run.max_steps)")
    add_set_option(p, "optim.lr=1e-5, data.packing=true")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output from its last checkpoint",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)
    return p


def build_recipe(args: argparse.Namespace):
    """The recipe file (or, with ``--resume`` and no ``--recipe``, the run's stored
    ``recipe.yaml``), then the command-line options, then ``--set``."""
    from longcot.config import load_recipe

    path = args.recipe
    if path is None and args.resume and args.output is not None:
        stored = Path(args.output) / "recipe.yaml"
        if stored.is_file():
            path = stored
    overrides: dict[str, dict[str, Any]] = {}
    if args.model is not None:
        overrides.setdefault("model", {})["path"] = args.model
    if args.output is not None:
        overrides.setdefault("run", {})["output"] = str(args.output)
    if args.max_steps is not None:
        overrides.setdefault("run", {})["max_steps"] = args.max_steps
    if args.no_progress:
        overrides.setdefault("run", {})["progress"] = False
    return load_recipe(path, args.sets, command="sft", overrides=overrides)


def expected_errors() -> tuple[type[BaseException], ...]:
    """Failures a user can fix from the message alone: one line, exit code 2."""
    from longcot.commands.eval import expected_errors as eval_errors
    from longcot.jsonl import JsonlError
    from longcot.train.sft import SFTSetupError
    from longcot.train.sft_data import SFTDataError

    return (*eval_errors(), SFTSetupError, SFTDataError, JsonlError)


def run(args: argparse.Namespace) -> int:
    from longcot.commands.eval import report_error
    from longcot.train.sft import run_sft

    try:
        recipe = build_recipe(args)
        result = run_sft(recipe, resume=args.resume)
    except expected_errors() as e:
        return report_error(e)
    if result.summary:
        show(result)
    return 0


def show(result) -> None:
    """Print the totals, the final evaluation's tables and where the files are."""
    from rich.console import Console

    console = Console()
    s = result.summary
    console.print(
        f"sft: {s['steps']} steps, {s['epochs']:.2f} epochs, {s['train_tokens']:,} response "
        f"tokens trained, final loss {s['final_loss']}, {s['seconds']:.1f} s "
        f"({s['examples']} examples; {s['dropped_overlong']} dropped as over-long, "
        f"{s['truncated']} truncated)",
        soft_wrap=True,
    )
    if result.evaluation is not None:
        from longcot.evaluate.summary import rich_tables

        for table in rich_tables(result.evaluation.summary):
            console.print(table)
    console.print(f"model: {result.final}", soft_wrap=True)
    console.print(f"run:   {result.output}", soft_wrap=True)
