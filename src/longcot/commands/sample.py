"""``longcot sample``: rejection sampling, resumable, sharded and merged (paper §3.1).

For each problem of data.source (a benchmark, a task, or a JSONL file), draw
rollout.n candidates from the teacher (model.path through rollout.backend:
hf, vllm or openai), grade each with the verifier (reward.verifier: rule or
judge), and keep the correct ones (curate: keep_per_prompt, dedup,
drop_truncated, require_closed_think). The run folder gets
candidates/<source>.jsonl (every candidate with its verdict), sft_n<N>.jsonl
for each N of curate.ns (the first N candidates of each prompt: the
token-scaling study from one run), per_prompt.jsonl, summary.json,
summary.md, by_n.png, recipe.yaml, run.json and metrics.jsonl.

Rerunning into the same --output resumes; "longcot sample --output DIR" alone
resumes with the folder's stored recipe. --shard i/n samples every n-th
problem; "longcot sample --merge DIR... --output OUT" joins finished shards.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from .options import add_set_option, command_parser

log = logging.getLogger(__name__)


def add_common(p: argparse.ArgumentParser) -> None:
    """Options every curation command takes (sample, construct, silver)."""
    p.add_argument("--recipe", type=Path, help="recipe YAML; the options here override it")
    p.add_argument(
        "--model", help="the teacher: named model, checkpoint folder, hub id, served name"
    )
    p.add_argument("--backend", help="hf, vllm, openai, or package.module:Class (rollout.backend)")
    p.add_argument("--output", type=Path, help="run folder; rerunning into it resumes")
    p.add_argument("--source", help="data.source: a benchmark or task name, or a .jsonl file")
    p.add_argument("--data-dir", help="local benchmarks folder (data.data_dir)")
    p.add_argument("--limit", type=int, help="first N problems (data.limit)")
    p.add_argument("--n", type=int, help="candidates (samples) per problem (rollout.n)")
    p.add_argument("--shard", help="i/n: work on every n-th problem from the i-th (curate.shard)")
    p.add_argument(
        "--verifier", choices=("rule", "judge"), help="rule (default) or judge (reward.verifier)"
    )
    p.add_argument("--judge-model", help="the judge for --verifier judge (default: the teacher)")
    add_set_option(p, "curate.keep_per_prompt=4, rollout.top_p=0.95")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    p = command_parser(subparsers, name, help_text, __doc__)
    add_common(p)
    p.add_argument(
        "--ns", help="candidate counts to derive datasets for, e.g. 32,64,128 (curate.ns)"
    )
    p.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="SHARD_DIR",
        help="join these finished shard folders into --output (no generation)",
    )
    p.set_defaults(func=run)
    return p


def overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The recipe keys given as options (unset options are left out)."""
    out: dict[str, dict[str, Any]] = {}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            out.setdefault(section, {})[key] = value

    put("model", "path", args.model)
    put("rollout", "backend", args.backend)
    put("run", "output", str(args.output) if args.output is not None else None)
    put("data", "source", args.source)
    put("data", "data_dir", args.data_dir)
    put("data", "limit", args.limit)
    put("rollout", "n", args.n)
    put("curate", "shard", args.shard)
    put("reward", "verifier", args.verifier)
    if args.judge_model is not None:
        put("reward", "judge", {"model": args.judge_model})
    if getattr(args, "ns", None):
        put("curate", "ns", [int(v) for v in args.ns.split(",") if v.strip()])
    if args.no_progress:
        put("run", "progress", False)
    return out


def build_recipe(args: argparse.Namespace, command: str):
    """The recipe file, else the output folder's stored ``recipe.yaml`` (resume by
    folder), then the options, then ``--set``."""
    from longcot.config import load_recipe

    path = args.recipe
    if path is None and args.output is not None:
        stored = Path(args.output) / "recipe.yaml"
        if stored.is_file():
            path = stored
    return load_recipe(path, args.sets, command=command, overrides=overrides(args))


def expected_errors() -> tuple[type[BaseException], ...]:
    """Failures a user can fix from the message alone: one line, exit code 2."""
    from longcot.commands.eval import expected_errors as eval_errors
    from longcot.curate import CurationDataError
    from longcot.curate.templates import TemplateError
    from longcot.jsonl import JsonlError

    return (*eval_errors(), CurationDataError, TemplateError, JsonlError)


def show(result, title: str) -> None:
    """The by-N table and where the files are."""
    from rich.console import Console

    from longcot.curate.report import rich_table

    console = Console()
    s = result.summary
    if "by_n" in s:
        console.print(rich_table(s["by_n"], title))
    timing = ""
    if s.get("seconds"):
        timing = f" in {s['seconds']:.1f} s ({s.get('grade_seconds', 0):.1f} s grading)"
    console.print(
        f"{s.get('generated', s.get('generated_actions', 0))} generated now, "
        f"{s.get('skipped', 0)} already stored{timing}",
        soft_wrap=True,
    )
    for path in result.files:
        console.print(f"wrote: {path}", soft_wrap=True)


def run(args: argparse.Namespace) -> int:
    from longcot.commands.eval import report_error
    from longcot.curate import merge_shards, run_sample

    try:
        if args.merge:
            if args.output is None:
                raise ValueError("--merge needs --output: the folder to write the joined run to")
            result = merge_shards(list(args.merge), args.output, args.sets)
        else:
            result = run_sample(build_recipe(args, "sample"))
    except expected_errors() as e:
        return report_error(e)
    show(result, f"longcot sample: {result.summary['source']}")
    return 0
