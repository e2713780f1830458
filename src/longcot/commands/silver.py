"""``longcot silver``: web QA pairs -> a filtered RL prompt set with gold answers (paper §5).

data.source is a JSONL file of pairs ({"question" or "problem", "solution" or
"reference", optional "id", "answer", "task"}) or a benchmark with reference
solutions (math_train). For each pair a short answer is read from the
solution by rule (curate.reference_extract) or, when that fails, by asking
the teacher to write it as \\boxed{} (curate.answer_fallback); the teacher
then answers the question rollout.n times, and the pair is kept when at least
curate.min_agree samples agree under the verifier (reward.verifier: rule or
judge). The run folder gets prompts.jsonl (id, problem, gold, task,
answer_type: what `longcot rl` reads with data.source), dropped.jsonl (id,
reason, detail), summary.json, summary.md, and the resumable stores
answers/ and candidates/.
"""

from __future__ import annotations

import argparse

from .options import command_parser


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    from longcot.commands.sample import add_common

    p = command_parser(subparsers, name, help_text, __doc__)
    add_common(p)
    p.add_argument("--min-agree", type=int, help="agreeing samples needed to keep a pair (1)")
    p.set_defaults(func=run)
    return p


def build_recipe(args: argparse.Namespace):
    from longcot.commands.sample import build_recipe as build

    if args.min_agree is not None:
        args.sets = [*args.sets, f"curate.min_agree={args.min_agree}"]
    return build(args, "silver")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from longcot.commands.eval import report_error
    from longcot.commands.sample import expected_errors
    from longcot.curate import run_silver

    try:
        result = run_silver(build_recipe(args))
    except expected_errors() as e:
        return report_error(e)
    s = result.summary
    console = Console()
    console.print(
        f"silver: kept {s['kept']} of {s['pairs']} pairs; dropped "
        + ", ".join(f"{k} {v}" for k, v in s["dropped"].items())
        + "; short answers from "
        + ", ".join(f"{k} {v}" for k, v in s["answers"].items()),
        soft_wrap=True,
    )
    for path in result.files:
        console.print(f"wrote: {path}", soft_wrap=True)
    return 0
