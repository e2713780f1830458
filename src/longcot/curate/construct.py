"""``longcot construct``: long CoT built by prompting a short-CoT model through actions (paper §3.3).

Each problem gets ``rollout.n`` traces; each trace walks the state machine
of :mod:`longcot.curate.actions` (clarify -> decompose -> step <-> reflect ->
answer), one teacher call per action, until it answers, fails or reaches
``curate.max_actions``. Then the traces are graded and filtered exactly like
rejection sampling and written in the same format (``sft_n<N>.jsonl``,
``summary.json``), so ``longcot sft`` trains on either and the two compare
one to one.

Actions run in rounds: round k sends every running trace's k-th action, one
backend call per trace index (trace t of every problem is sampled with seed
``run.seed + t``, so the traces of one problem differ from their first
action on and a resumed run draws what the first one would have).

Files, besides the sample layout: ``steps/<source>.jsonl``, one line per
action (the prompt the teacher saw, its output, ``problem_id``, ``trace``,
``step``, ``action``), appended through the shared loop; a rerun replays it
and continues every unfinished trace. ``candidates/<source>.jsonl`` holds
each finished trace with its verdict and a ``construct`` record (``status``
done or failed, ``reason``, ``actions``, ``forced_answer``); a failed trace
is ``no_answer`` with the reason, and counts as a candidate that was not kept.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longcot.config import Recipe
from longcot.runs import (
    NullProgress,
    Progress,
    ResultStore,
    SampleJob,
    errors_path,
    grade_rows,
    run_jobs,
)
from longcot.verify.verdict import Verdict

from .actions import ACTIONS, Trace, parse_output
from .derive import check_ns
from .folder import default_progress, open_run, output_dir
from .outputs import write_outputs
from .sample import CurationResult, candidates_store
from .select import KeepRules
from .settings import CurationConfig, sampling_params
from .sources import CurationItem, load_items, shard_items, source_name
from .teacher import Teacher
from .templates import digest, fill, load_templates

log = logging.getLogger(__name__)

STEPS = "steps"


@dataclass(frozen=True)
class StepCheck:
    """What an action's output said (stored with the step; the trace re-reads it on replay)."""

    next: str | None
    error: str | None

    @property
    def extracted(self) -> str | None:
        return self.next

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.error is None else "unparseable",
            "next": self.next,
            "error": self.error,
        }


def check_steps(rows: list[dict[str, Any]]) -> list[StepCheck]:
    """The loop's "grader" for action outputs: parse, do not grade."""
    return [StepCheck(*_next_and_error(row)) for row in rows]


def _next_and_error(row: dict[str, Any]) -> tuple[str | None, str | None]:
    parsed = parse_output(row["action"], row["response"])
    return parsed.next, parsed.error


def step_job(group: str, item: CurationItem, trace: Trace, templates: dict[str, str]) -> SampleJob:
    """The teacher call for ``trace``'s next action."""
    action = trace.next_action
    text = fill(templates[action], problem=item.question, log=trace.render_log())
    return SampleJob(
        benchmark=group,
        id=f"{item.id}#{trace.trace}#{len(trace.log)}",
        prompt=[{"role": "user", "content": text}],
        gold=item.gold,
        task=item.task,
        samples=1,
        answer_type=item.answer_type,
        extra={
            "problem_id": item.id,
            "trace": trace.trace,
            "step": len(trace.log),
            "action": action,
            "index": item.index,
        },
    )


def replay(traces: dict[tuple[str, int], Trace], rows: list[dict[str, Any]]) -> int:
    """Apply stored action outputs to their traces, in order; returns how many were applied."""
    applied = 0
    for row in sorted(rows, key=lambda r: (str(r["problem_id"]), int(r["trace"]), int(r["step"]))):
        trace = traces.get((str(row["problem_id"]), int(row["trace"])))
        if trace is None or int(row["step"]) < len(trace.log):
            continue  # a problem outside this run's plan, or already applied
        if int(row["step"]) != len(trace.log) or row["action"] != trace.next_action:
            raise ValueError(
                f"steps file: {row['id']} is action {row['action']!r} at step {row['step']}, but "
                f"the trace expects {trace.next_action!r} at step {len(trace.log)}; the file does "
                "not belong to these settings"
            )
        trace.apply(
            row["action"],
            row["response"],
            tokens=int(row.get("completion_tokens") or 0),
            truncated=bool(row.get("truncated")),
        )
        applied += 1
    return applied


def trace_row(group: str, item: CurationItem, trace: Trace, markers) -> dict[str, Any]:
    """A finished trace as a candidate row (the sample layout, plus ``construct``)."""
    return {
        "benchmark": group,
        "id": item.id,
        "sample": trace.trace,
        "index": item.index,
        "prompt": item.prompt if isinstance(item.prompt, str) else list(item.prompt),
        "response": trace.response(markers),
        "extracted": None,
        "verdict": None,
        "gold": item.gold,
        "task": item.task,
        "answer_type": item.answer_type,
        "prompt_tokens": None,
        "completion_tokens": trace.completion_tokens,
        "finish_reason": "length" if trace.truncated else "stop",
        "truncated": trace.truncated,
        "require_think_close": False,
        "construct": {
            "status": trace.status,
            "reason": trace.reason,
            "actions": trace.actions(),
            "forced_answer": trace.forced_answer,
        },
    }


def run_construct(
    recipe: Recipe, *, backend: Any = None, progress: Progress | None = None
) -> CurationResult:
    """Construct, grade and keep traces; resume into ``run.output``."""
    out = output_dir(recipe)
    group = source_name(recipe.data)
    n = recipe.rollout.n
    ns = check_ns(recipe.curate.ns, n)
    rules = KeepRules.from_section(recipe.curate, recipe.reward.think_markers)
    items = shard_items(
        load_items(recipe.data, recipe.curate, task=recipe.reward.task), recipe.curate.shard
    )
    templates = load_templates(ACTIONS, recipe.curate.templates)
    config = CurationConfig.from_recipe("construct", recipe, templates=digest(templates))
    steps = ResultStore(Path(out) / STEPS, config_type=CurationConfig)
    steps.check_config(config)
    candidates = candidates_store(out)
    candidates.check_config(config)
    run, last_step = open_run(recipe, "construct")
    by_id = {item.id: item for item in items}
    traces = {
        (item.id, t): Trace(item.id, t, recipe.curate.max_actions)
        for item in items
        for t in range(n)
    }
    replay(traces, steps.read(group))
    written = candidates.done(group)
    progress = progress or default_progress(recipe)
    t0 = time.perf_counter()
    generated = 0
    with Teacher(recipe, backend) as teacher:
        todo = [t for key, t in traces.items() if key not in written and t.status == "running"]
        progress.start(len(todo), f"construct {group}")
        round_no = last_step
        try:
            while todo:
                before = sum(len(t.log) for t in todo)
                for t_index in range(n):
                    batch = [t for t in todo if t.trace == t_index]
                    if not batch:
                        continue
                    stats = run_jobs(
                        [step_job(group, by_id[t.problem_id], t, templates) for t in batch],
                        teacher.backend,
                        sampling_params(recipe, seed=recipe.run.seed + t_index),
                        steps,
                        check_steps,
                        chunk_completions=recipe.curate.chunk_completions,
                        progress=NullProgress(),
                        retries=recipe.curate.retries,
                        backoff=recipe.curate.backoff,
                        on_error="record",
                    )
                    generated += stats.generated
                replay(traces, steps.read(group))
                advanced = sum(len(t.log) for t in todo) - before
                finished = [t for t in todo if t.status != "running"]
                todo = [t for t in todo if t.status == "running"]
                round_no += 1
                progress.advance(len(finished), 0)
                run.log(
                    {
                        "step": round_no,
                        "actions": advanced,
                        "traces_running": len(todo),
                        "traces_done": sum(t.status == "done" for t in traces.values()),
                        "traces_failed": sum(t.status == "failed" for t in traces.values()),
                    }
                )
                if advanced == 0:
                    log.error(
                        "no action of %d running traces could be generated (see %s); "
                        "rerun to retry them",
                        len(todo),
                        errors_path(steps, group),
                    )
                    break
        finally:
            progress.close()
        new_rows = [
            trace_row(group, by_id[key[0]], trace, recipe.reward.think_markers)
            for key, trace in traces.items()
            if key not in written and trace.status != "running"
        ]
        done = [r for r in new_rows if r["construct"]["status"] == "done"]
        if done:
            grade_rows(done, teacher.grader)
        for row in new_rows:
            if row["construct"]["status"] == "failed":
                failed = Verdict(
                    "no_answer", None, f"construction failed: {row['construct']['reason']}"
                )
                row["verdict"], row["extracted"] = failed.to_dict(), None
        candidates.append(group, new_rows)
        grade_seconds = teacher.grade_seconds
    seconds = time.perf_counter() - t0
    all_traces = traces.values()
    summary = write_outputs(
        run,
        kind="construct",
        source=group,
        rows=candidates.read(group),
        ids=[item.id for item in items],
        ns=ns,
        rules=rules,
        totals={
            "generated_actions": generated,
            "traces": len(traces),
            "traces_done": sum(t.status == "done" for t in all_traces),
            "traces_failed": sum(t.status == "failed" for t in all_traces),
            "traces_unfinished": sum(t.status == "running" for t in all_traces),
            "forced_answers": sum(t.forced_answer for t in all_traces),
            "mean_actions": round(sum(len(t.log) for t in all_traces) / max(len(traces), 1), 3),
            "seconds": round(seconds, 3),
            "grade_seconds": round(grade_seconds, 3),
        },
    )
    return CurationResult(out, summary, [run.path / f for f in summary["files"]])
