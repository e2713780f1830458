"""A curation run's folder: the training runs' layout (``longcot.train.run_dir``), plus its stores.

::

    <run>/recipe.yaml            the resolved recipe
    <run>/run.json               kind (sample | construct | silver), name, model, started, finished
    <run>/metrics.jsonl          one row per graded chunk: step, elapsed_s, candidates, tokens, ...
    <run>/candidates/            the shared loop's store: config.json, <source>.jsonl (every
                                 candidate with its verdict), <source>.errors.jsonl
    <run>/summary.json, summary.md, by_n.png   written at the end

A rerun into the folder resumes: ``run.json`` keeps its start time, and
``metrics.jsonl`` goes on from its last step.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from longcot.config import Recipe
from longcot.runs import NullProgress, Progress, RichProgress
from longcot.train.run_dir import RunDir


def output_dir(recipe: Recipe) -> Path:
    if not recipe.run.output:
        raise ValueError(f"{recipe.source}: run.output is required (give --output DIR)")
    return Path(recipe.run.output)


def open_run(recipe: Recipe, kind: str) -> tuple[RunDir, int]:
    """Write ``recipe.yaml`` and ``run.json``; returns the run folder and the last
    metrics step already logged (0 for a new run)."""
    run = RunDir(output_dir(recipe))
    last = 0
    if run.exists():
        steps = [r["step"] for r in run.metrics() if isinstance(r.get("step"), int)]
        last = max(steps, default=0)
        run.start(kind, recipe.model.path, resume_step=last)
    else:
        run.start(kind, recipe.model.path)
    run.write_recipe(recipe)
    return run, last


def default_progress(recipe: Recipe) -> Progress:
    return RichProgress() if recipe.run.progress else NullProgress()


class MetricsProgress:
    """Forwards to another :class:`~longcot.runs.Progress` and logs one
    ``metrics.jsonl`` row per graded chunk: ``candidates`` and ``tokens``
    (cumulative, this invocation) and their rates since it started."""

    def __init__(self, inner: Progress, run: RunDir, first_step: int, **fixed: Any) -> None:
        self.inner = inner
        self.run = run
        self.step = first_step
        self.fixed = fixed
        self._lock = threading.Lock()  # advance() runs in the loop's grading thread
        self._t0 = time.perf_counter()
        self._candidates = 0
        self._tokens = 0

    def start(self, total: int, description: str) -> None:
        self._t0 = time.perf_counter()
        self.inner.start(total, description)

    def advance(self, samples: int, tokens: int) -> None:
        self.inner.advance(samples, tokens)
        with self._lock:
            self.step += 1
            self._candidates += samples
            self._tokens += tokens
            dt = max(time.perf_counter() - self._t0, 1e-9)
            self.run.log(
                {
                    "step": self.step,
                    **self.fixed,
                    "candidates": self._candidates,
                    "tokens": self._tokens,
                    "candidates_per_s": round(self._candidates / dt, 3),
                    "tokens_per_s": round(self._tokens / dt, 1),
                }
            )

    def close(self) -> None:
        self.inner.close()
