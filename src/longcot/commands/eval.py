"""``longcot eval``: evaluate a model on the paper's benchmarks, resumably.

Settings come from ``--recipe FILE`` (sectioned YAML, see ``recipes/eval_paper.yaml``)
with command-line options and ``--set SECTION.KEY=VALUE`` overriding it. ``longcot eval --output DIR`` with no
``--model`` (and ``--regrade``) starts from the settings stored in
``DIR/config.json`` instead, so a stopped run resumes with one short command.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from .options import add_set_option, command_parser

log = logging.getLogger(__name__)

# argparse dest -> EvalConfig field, for options whose names differ.
_FIELDS = {
    "model": "model",
    "backend": "backend",
    "benchmarks": "benchmarks",
    "samples": "samples",
    "temperature": "temperature",
    "top_p": "top_p",
    "max_new_tokens": "max_new_tokens",
    "limit": "limit",
    "data_dir": "data_dir",
    "output": "output",
    "seed": "seed",
    "template": "template",
    "grade_timeout": "grade_timeout",
    "grade_workers": "grade_workers",
    "chunk_completions": "chunk_completions",
    "verifier": "verifier",
}


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    p = command_parser(subparsers, name, help_text, __doc__)
    p.add_argument("--model", help="named model, checkpoint folder, hub id, or served model name")
    p.add_argument("--backend", help="hf (default), vllm, openai, or package.module:Class")
    p.add_argument(
        "--benchmarks", help="comma-separated (default: math500,aime24,theoremqa,mmlu_pro_1k)"
    )
    p.add_argument("--samples", type=int, help="samples per problem (default: AIME 16, others 4)")
    p.add_argument("--temperature", type=float, help="default 0.7")
    p.add_argument("--top-p", type=float, help="default 0.95")
    p.add_argument("--max-new-tokens", type=int, help="token cap per response (default 16384)")
    p.add_argument("--limit", type=int, help="first N problems of each benchmark")
    p.add_argument("--data-dir", help="local benchmarks folder (default: $LONGCOT_DATA, else hub)")
    p.add_argument("--output", type=Path, help="output folder; reusing it resumes the run")
    p.add_argument("--recipe", type=Path, help="recipe YAML; options here override it")
    add_set_option(p, "eval.limit=5, rollout.backend=vllm")
    p.add_argument("--seed", type=int, help="sampling seed (default 0)")
    p.add_argument("--template", help="prompt template: default, plain, demystify")
    p.add_argument(
        "--think-markers",
        help="reasoning markers 'OPEN,CLOSE' (default '<think>,</think>'), or 'none'",
    )
    p.add_argument(
        "--require-think-close",
        choices=("auto", "true", "false"),
        help="responses must close the reasoning block (auto: when the chat template opens it)",
    )
    p.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend constructor option, repeatable (threads=2, dtype=bfloat16, base_url=...)",
    )
    p.add_argument("--grade-timeout", type=float, help="seconds per response (default 5)")
    p.add_argument("--grade-workers", type=int, help="grader processes (default: cores)")
    p.add_argument("--chunk-completions", type=int, help="completions per backend call (256)")
    p.add_argument(
        "--verifier",
        choices=("rule", "judge"),
        help="rule (default: longcot.verify) or judge (a model reads each response's end)",
    )
    p.add_argument(
        "--judge-model", help="the judge model for --verifier judge (default: the evaluated one)"
    )
    p.add_argument(
        "--regrade", action="store_true", help="re-grade DIR's samples; generate nothing"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The EvalConfig fields given on the command line (unset options are left out)."""
    import yaml

    out: dict[str, Any] = {}
    for dest, field in _FIELDS.items():
        value = getattr(args, dest, None)
        if value is not None:
            out[field] = str(value) if isinstance(value, Path) else value
    if args.think_markers is not None:
        if args.think_markers.lower() == "none":
            out["think_markers"] = None
        else:
            parts = args.think_markers.split(",")
            if len(parts) != 2:
                raise ValueError(f"--think-markers {args.think_markers!r}: give 'OPEN,CLOSE'")
            out["think_markers"] = tuple(parts)
    if getattr(args, "judge_model", None) is not None:
        out["judge"] = {"model": args.judge_model}
    if args.require_think_close is not None:
        out["require_think_close"] = {"auto": None, "true": True, "false": False}[
            args.require_think_close
        ]
    if args.backend_option:
        options = {}
        for item in args.backend_option:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--backend-option {item!r}: expected KEY=VALUE")
            # YAML scalars, so threads=2 is an int and trust_remote_code=true a bool.
            options[key.strip()] = yaml.safe_load(value)
        out["backend_options"] = options
    return out


def build_config(args: argparse.Namespace):
    """Recipe (or the output folder's stored config when resuming by folder), then
    the command-line options, then ``--set``."""
    from longcot.config import load_recipe
    from longcot.evaluate import EvalConfig, ResultStore
    from longcot.evaluate.config import recipe_key

    overrides = overrides_from_args(args)
    stored = ResultStore(args.output).stored_config() if args.output else None
    if (
        args.recipe is None
        and stored is not None
        and (args.regrade or args.model is None)
        and not args.sets
    ):
        return stored.with_overrides(overrides)
    sections: dict[str, dict[str, Any]] = {}
    for name, value in overrides.items():
        section, key = recipe_key(name)
        sections.setdefault(section, {})[key] = value
    recipe = load_recipe(args.recipe, args.sets, command="eval", overrides=sections)
    return EvalConfig.from_recipe(recipe)


def expected_errors() -> tuple[type[BaseException], ...]:
    """Failures a user can fix from the message alone: reported in one line, exit code 2."""
    from longcot.benchmarks import BenchmarkDataError, BenchmarkUnavailableError
    from longcot.config import RecipeError
    from longcot.evaluate import ConfigMismatchError, EvalConfigError, ResultsFileError
    from longcot.models import ModelUnavailableError

    return (
        RecipeError,
        EvalConfigError,
        ConfigMismatchError,
        ResultsFileError,
        BenchmarkDataError,
        BenchmarkUnavailableError,
        ModelUnavailableError,
        FileNotFoundError,
        FileExistsError,
        ValueError,
    )


def report_error(e: BaseException) -> int:
    from rich.console import Console

    # -v shows where it came from.
    log.debug("failed", exc_info=True)
    Console(stderr=True).print(f"[red]error:[/red] {e}", highlight=False)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args)
        execute(config, regrade_only=args.regrade, progress=not args.no_progress)
        return 0
    except expected_errors() as e:
        return report_error(e)


def execute(config, *, regrade_only: bool = False, progress: bool = True, console=None):
    """Run (or regrade) ``config``, print the tables and where the files are; return the EvalResult."""
    from rich.console import Console

    from longcot.evaluate import ResultStore, regrade, run_eval
    from longcot.evaluate.summary import rich_tables
    from longcot.runs import NullProgress, RichProgress

    console = console or Console()
    reporter = RichProgress() if progress else NullProgress()
    if regrade_only:
        result = regrade(config, progress=reporter)
    else:
        result = run_eval(config, progress=reporter)
    for table in rich_tables(result.summary):
        console.print(table)
    # soft_wrap: paths stay on one line, so they can be copied from a narrow terminal.
    if result.skipped and not regrade_only:
        console.print(
            f"resumed: {result.skipped} samples were already in {result.output}, "
            f"{result.generated} generated now",
            soft_wrap=True,
        )
    for name in config.benchmarks:
        console.print(f"results: {ResultStore(config.output).results_path(name)}", soft_wrap=True)
    for path in result.files:
        console.print(f"summary: {path}", soft_wrap=True)
    return result
