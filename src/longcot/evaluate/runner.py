"""Run an evaluation: benchmarks -> prompts -> the shared sample/grade/append loop -> summary.

1. Plan: load each benchmark (``limit`` problems), build prompts, and decide
   ``K`` samples per problem (``config.samples`` or the paper default).
2. Hand the problems to :func:`longcot.runs.run_jobs`, the one sample ->
   grade -> append -> resume loop (also used by the trainer's periodic
   evaluation and by curation): finished samples are skipped, chunks are
   graded while the next generates, results are appended as they are graded.
3. Summarise (``summary.py``).

Reasoning blocks (DESIGN §3): the verifier reads the answer after a closed
block, and an unclosed block is ``no_answer``. When the rendered prompt itself
ends inside an opened block (R1-style templates), ``require_think_close`` is
set for that prompt, so a response cut off at the cap is ``no_answer`` too,
never graded on a ``\\boxed{}`` inside its unfinished reasoning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from longcot.benchmarks import Example, get_benchmark
from longcot.generate.types import Backend, Prompt, SamplingParams
from longcot.runs import (
    Grader,
    NullProgress,
    Progress,
    ResultStore,
    SampleJob,
    grade_rows,
    pending_work,
    run_jobs,
    settings_grader,
)

from . import backends
from .config import EvalConfig
from .summary import summarize, write_summary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One benchmark item to evaluate, with its prompt."""

    benchmark: str
    task: str
    example: Example
    prompt: Prompt


@dataclass
class BenchmarkPlan:
    name: str
    task: str
    samples: int
    """K: samples per problem for this benchmark."""
    problems: list[Problem]


@dataclass
class EvalResult:
    """What a run did and where it wrote."""

    output: Path
    summary: dict[str, Any]
    generated: int = 0
    """Samples generated and graded in this invocation."""
    skipped: int = 0
    """Samples already in the output folder (resumed past)."""
    files: list[Path] = field(default_factory=list)


def build_plan(config: EvalConfig) -> list[BenchmarkPlan]:
    """Load every benchmark of ``config`` and build its prompts."""
    plans = []
    for name in config.benchmarks:
        bench = get_benchmark(name)
        examples = bench.load(config.data_dir, limit=config.limit)
        problems = [
            Problem(name, bench.task, ex, bench.prompt(ex, config.template)) for ex in examples
        ]
        plans.append(
            BenchmarkPlan(name, bench.task, config.samples_for(bench.default_samples), problems)
        )
        log.info("%s: %d problems x %d samples", name, len(problems), plans[-1].samples)
    return plans


def config_grader(config: EvalConfig, backend: Backend | None = None) -> Grader:
    """The rule verifier with ``config``'s markers, limits and extraction policy,
    or, with ``verifier: judge``, a model judge: ``config.judge.model``, else
    ``backend`` (the evaluated model; pass it wrapped in ``SerialBackend``)."""
    return settings_grader(config, backend)


def run_eval(
    config: EvalConfig, *, backend: Backend | None = None, progress: Progress | None = None
) -> EvalResult:
    """Evaluate ``config.model`` on ``config.benchmarks``, resuming into ``config.output``.

    Args:
        backend: an already loaded backend (tests, notebooks); default: loaded
            from the config, and only if something is left to generate.
        progress: where to report progress; default: nothing.

    Raises:
        ConfigMismatchError: the output folder holds a run with other settings.
    """
    progress = progress or NullProgress()
    store = ResultStore(config.output)
    store.check_config(config)  # before loading any model: fail in a second, not a minute
    plans = build_plan(config)
    jobs = plan_jobs(plans)
    work, skipped = pending_work(jobs, store)
    owned = backend is None and bool(work)
    if owned:
        backend = backends.open_backend(config)
    try:
        stats = None
        if work:
            if config.verifier == "judge":
                # The grading thread may ask this same model to judge.
                from longcot.verify.judge import SerialBackend

                backend = SerialBackend(backend)
            jobs = _with_think_close(config, backend, jobs)
            # A folder shows as its last part; a URL or hub id as given.
            label = (
                config.model if "://" in config.model else Path(config.model).name or config.model
            )
            stats = run_jobs(
                jobs,
                backend,
                sampling_params(config),
                store,
                config_grader(config, backend),
                chunk_completions=config.chunk_completions,
                progress=progress,
                description=f"eval {label}",
            )
    finally:
        progress.close()
        if owned:
            backend.close()
    summary = summarize(config, plans, store)
    files = write_summary(store, summary)
    generated = stats.generated if stats else 0
    return EvalResult(store.root, summary, generated, skipped, files)


def plan_jobs(plans: list[BenchmarkPlan]) -> list[SampleJob]:
    """One :class:`~longcot.runs.SampleJob` per planned problem."""
    return [
        SampleJob(
            benchmark=plan.name,
            id=p.example.id,
            prompt=p.prompt,
            gold=p.example.gold,
            task=p.task,
            samples=plan.samples,
            answer_type=p.example.answer_type,
        )
        for plan in plans
        for p in plan.problems
    ]


def sampling_params(config: EvalConfig) -> SamplingParams:
    """The config's sampling settings (``n`` is set per chunk by the loop)."""
    return SamplingParams(
        n=1,
        temperature=config.temperature,
        top_p=config.top_p,
        max_new_tokens=config.max_new_tokens,
        seed=config.seed,
    )


def _with_think_close(config: EvalConfig, backend: Backend, jobs: list[SampleJob]):
    out = [
        replace(j, require_think_close=backends.require_think_close(config, backend, j.prompt))
        for j in jobs
    ]
    if any(j.require_think_close for j in out):
        log.info("the chat template opens a reasoning block: unclosed responses have no answer")
    elif (
        config.think_markers is not None
        and config.require_think_close is None
        and backends.rendered_prompt(backend, jobs[0].prompt) is None
    ):
        log.warning(
            "backend %r does not show its rendered prompts, so longcot cannot tell whether its "
            "chat template opens %r; set require_think_close: true if it does",
            getattr(backend, "name", backend),
            config.think_markers[0],
        )
    return out


def regrade(config: EvalConfig, *, progress: Progress | None = None) -> EvalResult:
    """Grade every stored sample again with the current verifier; generate nothing.

    Uses each line's stored gold, task, answer type and ``require_think_close``,
    and the config's think markers and grading limits. Files are replaced
    atomically per benchmark, then the summary is rewritten.
    """
    progress = progress or NullProgress()
    store = ResultStore(config.output)
    if store.stored_config() is None:
        raise FileNotFoundError(f"{store.config_path} not found: nothing to regrade")
    store.check_config(config)
    plans = build_plan(config)
    rows_by_bench = {p.name: store.read(p.name) for p in plans}
    count = sum(len(r) for r in rows_by_bench.values())
    judge_backend = None
    if config.verifier == "judge" and (config.judge is None or config.judge.model is None):
        judge_backend = backends.open_backend(config)  # the evaluated model judges
    grader = config_grader(config, judge_backend)
    progress.start(count, "regrade")
    try:
        for name, rows in rows_by_bench.items():
            changed = 0
            for start in range(0, len(rows), config.chunk_completions):
                chunk = rows[start : start + config.chunk_completions]
                before = [(r.get("verdict") or {}).get("status") for r in chunk]
                grade_rows(chunk, grader)
                changed += sum(
                    b != r["verdict"]["status"] for b, r in zip(before, chunk, strict=True)
                )
                progress.advance(len(chunk), 0)
            store.rewrite(name, rows)
            log.info("%s: regraded %d samples, %d changed status", name, len(rows), changed)
    finally:
        progress.close()
        if judge_backend is not None:
            judge_backend.close()
    summary = summarize(config, plans, store)
    files = write_summary(store, summary)
    return EvalResult(store.root, summary, 0, count, files)
