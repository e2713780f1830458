"""``longcot construct``: long CoT built by prompting a short-CoT model through actions (paper §3.3).

Each problem of data.source gets rollout.n traces. A trace walks
clarify -> decompose -> solution step <-> reflect -> answer: at each action
the teacher gets the problem, the log so far and the action to take (prompt
templates in longcot/curate/templates/*.txt; curate.templates: DIR replaces
them file by file), and its output's last "NEXT: <action>" line chooses the
next action. An output that names no allowed action ends the trace as failed,
with the reason kept in candidates/<source>.jsonl; curate.max_actions caps a
trace (its last action is always answer). Finished traces are graded and
filtered like rejection sampling and written in the same format
(sft_n<N>.jsonl, summary.json, ...); steps/<source>.jsonl holds every action.
Rerunning into the same --output resumes every unfinished trace.
"""

from __future__ import annotations

import argparse

from .options import command_parser


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    from longcot.commands.sample import add_common

    p = command_parser(subparsers, name, help_text, __doc__)
    add_common(p)
    p.add_argument("--ns", help="trace counts to derive datasets for, e.g. 1,2,4 (curate.ns)")
    p.add_argument("--max-actions", type=int, help="most actions per trace (curate.max_actions)")
    p.add_argument("--templates", help="folder of action prompt templates (curate.templates)")
    p.set_defaults(func=run)
    return p


def build_recipe(args: argparse.Namespace):
    from longcot.commands.sample import build_recipe as build

    if args.max_actions is not None:
        args.sets = [*args.sets, f"curate.max_actions={args.max_actions}"]
    if args.templates is not None:
        args.sets = [*args.sets, f"curate.templates={args.templates}"]
    return build(args, "construct")


def run(args: argparse.Namespace) -> int:
    from longcot.commands.eval import report_error
    from longcot.commands.sample import expected_errors, show
    from longcot.curate import run_construct

    try:
        result = run_construct(build_recipe(args))
    except expected_errors() as e:
        return report_error(e)
    s = result.summary
    show(result, f"longcot construct: {s['source']}")
    print(
        f"traces: {s['traces_done']} answered, {s['traces_failed']} failed, "
        f"{s['traces_unfinished']} unfinished, {s['forced_answers']} forced to answer; "
        f"{s['mean_actions']} actions a trace on average"
    )
    return 0
