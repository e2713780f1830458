"""Run an evaluation: benchmarks -> prompts -> backend -> verifier -> JSONL -> summary.

1. Plan: load each benchmark (``limit`` problems), build prompts, and decide
   ``K`` samples per problem (``config.samples`` or the paper default).
2. Skip what the output folder already holds: a problem whose samples are all
   written is never sent to the backend again.
3. Generate in chunks of about ``config.chunk_completions`` completions.
   While chunk ``i + 1`` generates, chunk ``i`` is graded with
   ``verify.grade_many`` and appended to ``<benchmark>.jsonl`` in a
   background thread, so at most two chunks are in flight when a run dies.
4. Summarise (``summary.py``).

Resumed samples equal uninterrupted ones: a problem with some samples missing
is regenerated with ``n = max missing index + 1`` and the same seed, and the
backends seed each completion from (seed, prompt, sample index), so the missing
samples come out as they would have the first time; only they are written.

Reasoning blocks (DESIGN §3): the verifier reads the answer after a closed
block, and an unclosed block is ``no_answer``. When the rendered prompt itself
ends inside an opened block (R1-style templates), ``require_think_close`` is
set for that prompt, so a response cut off at the cap is ``no_answer`` too,
never graded on a ``\\boxed{}`` inside its unfinished reasoning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longcot.benchmarks import Example, get_benchmark
from longcot.generate.types import Backend, Completion, Prompt, SamplingParams
from longcot.verify import grade_many

from . import backends
from .config import EvalConfig
from .progress import NullProgress, Progress
from .store import ResultStore
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


@dataclass(frozen=True)
class _Work:
    problem: Problem
    missing: tuple[int, ...]
    """Sample indices still to write, ascending."""

    @property
    def n(self) -> int:
        return self.missing[-1] + 1


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


def _pending(plans: Sequence[BenchmarkPlan], store: ResultStore) -> tuple[list[_Work], int]:
    work: list[_Work] = []
    skipped = 0
    for plan in plans:
        done = store.done(plan.name)
        for problem in plan.problems:
            have = {s for s in range(plan.samples) if (problem.example.id, s) in done}
            skipped += len(have)
            missing = tuple(s for s in range(plan.samples) if s not in have)
            if missing:
                work.append(_Work(problem, missing))
    return work, skipped


def _chunks(work: Sequence[_Work], size: int) -> list[list[_Work]]:
    """Consecutive items with the same ``n`` (one backend call takes one ``n``), about ``size`` rows each."""
    chunks: list[list[_Work]] = []
    rows = 0
    for item in work:
        if chunks and chunks[-1][0].n == item.n and rows + item.n <= size:
            chunks[-1].append(item)
            rows += item.n
        else:
            chunks.append([item])
            rows = item.n
    return chunks


def _row(
    problem: Problem, sample: int, completion: Completion, think_close: bool
) -> dict[str, Any]:
    ex = problem.example
    return {
        "benchmark": problem.benchmark,
        "id": ex.id,
        "sample": sample,
        "prompt": problem.prompt if isinstance(problem.prompt, str) else list(problem.prompt),
        "response": completion.text,
        "extracted": None,
        "verdict": None,
        "gold": ex.gold,
        "task": problem.task,
        "answer_type": ex.answer_type,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "finish_reason": completion.finish_reason,
        "truncated": completion.finish_reason == "length",
        "require_think_close": think_close,
    }


def grade_rows(rows: list[dict[str, Any]], config: EvalConfig) -> None:
    """Fill ``verdict`` and ``extracted`` of result rows in place, with the current verifier."""
    if not rows:
        return
    verdicts = grade_many(
        [
            {
                "response": r["response"],
                "gold": r["gold"],
                "task": r["task"],
                "answer_type": r.get("answer_type"),
                "require_think_close": bool(r.get("require_think_close", False)),
            }
            for r in rows
        ],
        workers=config.grade_workers,
        timeout=config.grade_timeout,
        think_markers=config.think_markers,
    )
    for row, verdict in zip(rows, verdicts, strict=True):
        row["verdict"] = verdict.to_dict()
        row["extracted"] = verdict.extracted


def _check_shape(outputs: list[list[Completion]], prompts: int, n: int, backend: Backend) -> None:
    if len(outputs) != prompts or any(len(o) != n for o in outputs):
        shape = [len(o) for o in outputs]
        raise RuntimeError(
            f"backend {getattr(backend, 'name', backend)!r} returned {shape} completions "
            f"for {prompts} prompts x n={n}"
        )


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
    work, skipped = _pending(plans, store)
    total = sum(len(w.missing) for w in work)
    if skipped:
        log.info("resuming: %d samples already done, %d to go", skipped, total)
    owned = backend is None and bool(work)
    if owned:
        backend = backends.open_backend(config)
    try:
        if work:
            _generate_all(config, backend, store, work, total, progress)
    finally:
        progress.close()
        if owned:
            backend.close()
    summary = summarize(config, plans, store)
    files = write_summary(store, summary)
    return EvalResult(store.root, summary, total, skipped, files)


def _generate_all(
    config: EvalConfig,
    backend: Backend,
    store: ResultStore,
    work: list[_Work],
    total: int,
    progress: Progress,
) -> None:
    think_close = {
        id(w.problem): backends.require_think_close(config, backend, w.problem.prompt) for w in work
    }
    if any(think_close.values()):
        log.info("the chat template opens a reasoning block: unclosed responses have no answer")
    elif (
        config.think_markers is not None
        and config.require_think_close is None
        and backends.rendered_prompt(backend, work[0].problem.prompt) is None
    ):
        log.warning(
            "backend %r does not show its rendered prompts, so longcot cannot tell whether its "
            "chat template opens %r; set require_think_close: true if it does",
            getattr(backend, "name", backend),
            config.think_markers[0],
        )
    # A folder shows as its last part; a URL or hub id as given.
    label = config.model if "://" in config.model else Path(config.model).name or config.model
    progress.start(total, f"eval {label}")

    def grade_and_write(rows: list[dict[str, Any]], tokens: int) -> None:
        grade_rows(rows, config)
        by_bench: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_bench.setdefault(row["benchmark"], []).append(row)
        for name, bench_rows in by_bench.items():
            store.append(name, bench_rows)
        progress.advance(len(rows), tokens)

    # One grading thread: grading chunk i (in the verifier's worker processes)
    # overlaps generating chunk i + 1, and waiting on it before submitting the
    # next bounds what a crash can lose to two chunks.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="longcot-grade") as pool:
        pending: Future | None = None
        for chunk in _chunks(work, config.chunk_completions):
            n = chunk[0].n
            params = SamplingParams(
                n=n,
                temperature=config.temperature,
                top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
                seed=config.seed,
            )
            outputs = backend.generate([w.problem.prompt for w in chunk], params)
            _check_shape(outputs, len(chunk), n, backend)
            rows = [
                _row(w.problem, s, completions[s], think_close[id(w.problem)])
                for w, completions in zip(chunk, outputs, strict=True)
                for s in w.missing
            ]
            tokens = sum(c.completion_tokens for completions in outputs for c in completions)
            if pending is not None:
                pending.result()  # re-raises a grading/writing error here
            pending = pool.submit(grade_and_write, rows, tokens)
        if pending is not None:
            pending.result()


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
    progress.start(count, "regrade")
    try:
        for name, rows in rows_by_bench.items():
            changed = 0
            for start in range(0, len(rows), config.chunk_completions):
                chunk = rows[start : start + config.chunk_completions]
                before = [(r.get("verdict") or {}).get("status") for r in chunk]
                grade_rows(chunk, config)
                changed += sum(
                    b != r["verdict"]["status"] for b, r in zip(before, chunk, strict=True)
                )
                progress.advance(len(chunk), 0)
            store.rewrite(name, rows)
            log.info("%s: regraded %d samples, %d changed status", name, len(rows), changed)
    finally:
        progress.close()
    summary = summarize(config, plans, store)
    files = write_summary(store, summary)
    return EvalResult(store.root, summary, 0, count, files)
