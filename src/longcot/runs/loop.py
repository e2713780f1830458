"""The one sample -> grade -> append -> resume loop (evaluation, periodic eval, curation).

Every command that draws K responses per prompt and grades them runs this
loop; none keeps a copy of it (DESIGN §1).

1. Skip what the store already holds: a job (prompt) whose K samples are all
   written is never sent to the backend again.
2. Generate in chunks of about ``chunk_completions`` completions. While chunk
   ``i + 1`` generates, chunk ``i`` is graded and appended to
   ``<benchmark>.jsonl`` in a background thread, so at most two chunks are in
   flight when a run dies.
3. A backend call that fails is retried with exponential back-off
   (``retries``); when it still fails, ``on_error="raise"`` stops the run
   (evaluation: a silent hole would bias the numbers) and
   ``on_error="record"`` writes the failure to ``<benchmark>.errors.jsonl``
   and goes on (curation: one bad prompt must not stop a night's run). Recorded
   failures are not results: a resumed run tries them again.

Resumed samples equal uninterrupted ones: a job with some samples missing is
regenerated with ``n = max missing index + 1`` and the same seed, and the
backends seed each completion from (seed, prompt, sample index), so the
missing samples come out as they would have the first time; only they are
written.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from longcot.generate.types import Backend, Completion, Prompt, SamplingParams

from .progress import NullProgress, Progress
from .store import ResultStore

log = logging.getLogger(__name__)

Grader = Callable[[list[dict[str, Any]]], list[Any]]
"""Grades result rows (``response``, ``gold``, ``task``, ``answer_type``,
``require_think_close``) and returns one verdict per row, each with
``to_dict()`` and ``extracted``: :func:`rule_grader` (``longcot.verify``) or a
model judge."""


@dataclass(frozen=True)
class SampleJob:
    """One prompt to sample ``samples`` times and grade."""

    benchmark: str
    """The group its rows are written under (``<benchmark>.jsonl``)."""
    id: str
    prompt: Prompt
    gold: Any
    task: str
    samples: int
    answer_type: str | None = None
    require_think_close: bool = False
    """The prompt opens a reasoning block, so a response must close it to have an answer."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Copied into every row of this job (e.g. the problem text for curation)."""


@dataclass(frozen=True)
class LoopStats:
    generated: int
    """Samples generated, graded and written in this invocation."""
    skipped: int
    """Samples already in the store (resumed past)."""
    failed: int = 0
    """Samples whose generation failed and was recorded (``on_error="record"``)."""


@dataclass(frozen=True)
class _Work:
    job: SampleJob
    missing: tuple[int, ...]
    """Sample indices still to write, ascending."""

    @property
    def n(self) -> int:
        return self.missing[-1] + 1


def rule_grader(
    *,
    think_markers: tuple[str, str] | None,
    timeout: float,
    workers: int | None,
    extract: str | None = None,
) -> Grader:
    """A :data:`Grader` over ``longcot.verify.grade_many`` (the one verifier)."""
    from longcot.verify import grade_many

    options: dict[str, Any] = {"workers": workers, "timeout": timeout}
    if extract is not None:
        options["extract"] = extract

    def grade(rows: list[dict[str, Any]]) -> list[Any]:
        items = [
            {
                "response": r["response"],
                "gold": r["gold"],
                "task": r["task"],
                "answer_type": r.get("answer_type"),
                "require_think_close": bool(r.get("require_think_close", False)),
            }
            for r in rows
        ]
        return grade_many(items, think_markers=think_markers, **options)

    return grade


def settings_grader(settings: Any, model: Any = None, *, prefix: str = "") -> Grader:
    """The grader a run's settings ask for: ``settings`` is an ``EvalConfig`` or a
    ``RewardSpec`` (``verifier``, ``judge``, ``think_markers``, ``grade_timeout``,
    ``grade_workers``, ``extract``). ``verifier: judge`` asks ``judge.model``, else
    ``model``, the run's own backend (wrap it in ``verify.judge.SerialBackend``).
    ``prefix`` names the settings' section in errors (``reward.``)."""
    if settings.verifier == "judge":
        from longcot.verify.judge import JudgeSpec, open_judge

        spec = settings.judge or JudgeSpec()
        backend = open_judge(spec) if spec.model is not None else model
        if backend is None:
            raise ValueError(
                f"{prefix}verifier: judge without {prefix}judge.model needs the run's own model"
            )
        return judge_grader(backend, spec, think_markers=settings.think_markers)
    return rule_grader(
        think_markers=settings.think_markers,
        timeout=settings.grade_timeout,
        workers=settings.grade_workers,
        extract=settings.extract,
    )


def judge_grader(
    judge: Any,
    spec: Any = None,
    *,
    think_markers: tuple[str, str] | None,
) -> Grader:
    """A :data:`Grader` that asks a model judge (``longcot.verify.judge``) instead of the rules.

    Args:
        judge: a backend (``generate``) or a callable; wrap a backend that also
            generates in this run in ``verify.judge.SerialBackend`` (the loop
            grades in a second thread).
        spec: a ``verify.judge.JudgeSpec`` (prompt, lengths, retries).

    A row's ``reference`` (a reference solution, e.g. silver data's) is what the
    judge compares against when present, else its ``gold``.
    """
    from longcot.verify.judge import judge_many

    def grade(rows: list[dict[str, Any]]) -> list[Any]:
        items = [
            {
                "response": r["response"],
                "gold": r["gold"],
                "reference": r.get("reference"),
                "require_think_close": bool(r.get("require_think_close", False)),
            }
            for r in rows
        ]
        return judge_many(items, judge, spec, think_markers=think_markers)

    return grade


def grade_rows(rows: list[dict[str, Any]], grader: Grader) -> None:
    """Fill ``verdict`` and ``extracted`` of result rows in place."""
    if not rows:
        return
    verdicts = grader(rows)
    if len(verdicts) != len(rows):
        raise RuntimeError(f"grader returned {len(verdicts)} verdicts for {len(rows)} rows")
    for row, verdict in zip(rows, verdicts, strict=True):
        row["verdict"] = verdict.to_dict()
        row["extracted"] = verdict.extracted


def pending_work(jobs: Sequence[SampleJob], store: ResultStore) -> tuple[list[_Work], int]:
    """The jobs with samples still missing from ``store``, and how many samples are there."""
    done: dict[str, set] = {}
    work: list[_Work] = []
    skipped = 0
    for job in jobs:
        if job.benchmark not in done:
            done[job.benchmark] = store.done(job.benchmark)
        have = {s for s in range(job.samples) if (job.id, s) in done[job.benchmark]}
        skipped += len(have)
        missing = tuple(s for s in range(job.samples) if s not in have)
        if missing:
            work.append(_Work(job, missing))
    return work, skipped


def chunk_work(work: Sequence[_Work], size: int) -> list[list[_Work]]:
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


def result_row(job: SampleJob, sample: int, completion: Completion) -> dict[str, Any]:
    """One result line; ``verdict``/``extracted`` are filled by :func:`grade_rows`."""
    row = {
        "benchmark": job.benchmark,
        "id": job.id,
        "sample": sample,
        "prompt": job.prompt if isinstance(job.prompt, str) else list(job.prompt),
        "response": completion.text,
        "extracted": None,
        "verdict": None,
        "gold": job.gold,
        "task": job.task,
        "answer_type": job.answer_type,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "finish_reason": completion.finish_reason,
        "truncated": completion.finish_reason == "length",
        "require_think_close": job.require_think_close,
    }
    for key, value in job.extra.items():
        row.setdefault(key, value)
    return row


def _check_shape(outputs: list[list[Completion]], prompts: int, n: int, backend: Backend) -> None:
    if len(outputs) != prompts or any(len(o) != n for o in outputs):
        shape = [len(o) for o in outputs]
        raise RuntimeError(
            f"backend {getattr(backend, 'name', backend)!r} returned {shape} completions "
            f"for {prompts} prompts x n={n}"
        )


def _generate_with_retries(
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    retries: int,
    backoff: float,
) -> list[list[Completion]]:
    delay = backoff
    for attempt in range(retries + 1):
        try:
            outputs = backend.generate(prompts, params)
            _check_shape(outputs, len(prompts), params.n, backend)
            return outputs
        except Exception as e:  # any backend failure: network, server, OOM
            if attempt == retries:
                raise
            log.warning(
                "generation failed (%s: %s); retry %d/%d in %.1f s",
                type(e).__name__,
                e,
                attempt + 1,
                retries,
                delay,
            )
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def errors_path(store: ResultStore, benchmark: str):
    path = store.results_path(benchmark)
    return path.with_name(path.stem + ".errors.jsonl")


def run_jobs(
    jobs: Sequence[SampleJob],
    backend: Backend,
    params: SamplingParams,
    store: ResultStore,
    grader: Grader,
    *,
    chunk_completions: int = 256,
    progress: Progress | None = None,
    description: str = "sampling",
    retries: int = 0,
    backoff: float = 1.0,
    on_error: Literal["raise", "record"] = "raise",
) -> LoopStats:
    """Sample, grade and append every missing sample of ``jobs`` into ``store``.

    Args:
        params: sampling settings; ``n`` is set per chunk from the jobs.
        grader: :func:`rule_grader` or a judge.
        retries, backoff: a failed backend call is retried ``retries`` times,
            waiting ``backoff`` seconds, then twice as long each time.
        on_error: what to do when a chunk still fails (see the module docstring).
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    progress = progress or NullProgress()
    work, skipped = pending_work(jobs, store)
    total = sum(len(w.missing) for w in work)
    if skipped:
        log.info("resuming: %d samples already done, %d to go", skipped, total)
    if not work:
        return LoopStats(0, skipped)
    progress.start(total, description)

    def grade_and_write(rows: list[dict[str, Any]], tokens: int) -> None:
        grade_rows(rows, grader)
        by_group: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_group.setdefault(row["benchmark"], []).append(row)
        for name, group_rows in by_group.items():
            store.append(name, group_rows)
        progress.advance(len(rows), tokens)

    generated = failed = 0
    try:
        # One grading thread: grading chunk i (in the verifier's worker processes)
        # overlaps generating chunk i + 1, and waiting on it before submitting the
        # next bounds what a crash can lose to two chunks.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="longcot-grade") as pool:
            pending: Future | None = None
            for chunk in chunk_work(work, chunk_completions):
                chunk_params = replace(params, n=chunk[0].n)
                prompts = [w.job.prompt for w in chunk]
                try:
                    outputs = _generate_with_retries(
                        backend, prompts, chunk_params, retries, backoff
                    )
                except Exception as e:
                    if on_error == "raise":
                        raise
                    failed += _record_failure(store, chunk, e)
                    progress.advance(sum(len(w.missing) for w in chunk), 0)
                    continue
                rows = [
                    result_row(w.job, s, completions[s])
                    for w, completions in zip(chunk, outputs, strict=True)
                    for s in w.missing
                ]
                generated += len(rows)
                tokens = sum(c.completion_tokens for completions in outputs for c in completions)
                if pending is not None:
                    pending.result()  # re-raises a grading/writing error here
                pending = pool.submit(grade_and_write, rows, tokens)
            if pending is not None:
                pending.result()
    finally:
        progress.close()
    return LoopStats(generated, skipped, failed)


def _record_failure(store: ResultStore, chunk: list[_Work], error: Exception) -> int:
    message = f"{type(error).__name__}: {error}"
    log.error("generation failed after retries, recorded and skipped: %s", message)
    rows = [
        {"benchmark": w.job.benchmark, "id": w.job.id, "samples": list(w.missing), "error": message}
        for w in chunk
    ]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_group.setdefault(row["benchmark"], []).append(row)
    for name, group_rows in by_group.items():
        path = errors_path(store, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in group_rows))
    return sum(len(w.missing) for w in chunk)
