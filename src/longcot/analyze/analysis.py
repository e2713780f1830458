"""One run's numbers, computed once for every plot and table of the report.

:func:`analyze` reads each evaluation checkpoint's rows and the run's
``rollouts.jsonl`` a single time; the plots and tables then only look values up.
Curves are indexed by step: RL steps for ``rl`` runs, optimiser steps for ``sft``
runs (the run-folder contract's ``step``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .readers import Checkpoint, Run
from .stats import ResponseStats, checkpoint_stats, rollout_stats, series, sft_group


@dataclass(frozen=True)
class CheckpointStats:
    """One evaluation: statistics per benchmark and over all its responses pooled."""

    checkpoint: Checkpoint
    per_benchmark: dict[str, ResponseStats]
    pooled: ResponseStats


@dataclass
class RunAnalysis:
    """A run with its statistics; ``notes`` collects what was skipped and why."""

    run: Run
    checkpoints: list[CheckpointStats] = field(default_factory=list)
    rollouts: dict[int, ResponseStats] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def kind(self) -> str:
        return self.run.kind

    @property
    def notes(self) -> list[str]:
        return self.run.notes

    @property
    def final(self) -> CheckpointStats | None:
        """The checkpoint the comparison table reports (``final``, else the latest)."""
        chosen = self.run.final
        return next((c for c in self.checkpoints if c.checkpoint is chosen), None)

    @property
    def benchmarks(self) -> list[str]:
        """Every benchmark evaluated at some checkpoint, first-seen order."""
        return list(dict.fromkeys(b for c in self.checkpoints for b in c.per_benchmark))

    def train(self, key: str) -> tuple[list, list]:
        """``metrics.jsonl``'s ``key`` against step."""
        return series(self.run.metrics, key)

    def train_reflection(self, feature: str) -> tuple[list, list]:
        """Share of training responses with ``feature`` per step: counted in
        ``rollouts.jsonl`` when the run saved it, else the logged ``reflection/<feature>``."""
        if self.rollouts:
            steps = list(self.rollouts)
            return steps, [self.rollouts[s].reflection[feature] for s in steps]
        return self.train(f"reflection/{feature}")

    def at_checkpoints(self, attr: str, benchmark: str | None = None) -> tuple[list, list]:
        """A :class:`ResponseStats` attribute (``accuracy``, ``correct_p90``, ...) or a
        reflection feature (``reflection.wait``) over checkpoints with a known step, for one
        benchmark or (``None``) all responses pooled; missing values are skipped."""
        xs, ys = [], []
        for c in self.checkpoints:
            if c.checkpoint.step is None:
                continue
            stats = c.pooled if benchmark is None else c.per_benchmark.get(benchmark)
            value = _value(stats, attr) if stats is not None else None
            if value is not None:
                xs.append(c.checkpoint.step)
                ys.append(value)
        return xs, ys


def _value(stats: ResponseStats, attr: str) -> float | None:
    if attr.startswith("reflection."):
        return stats.reflection.get(attr.split(".", 1)[1]) if stats.responses else None
    value = getattr(stats, attr)
    return None if value is None or not math.isfinite(value) else float(value)


def analyze(run: Run) -> RunAnalysis:
    """Compute every statistic of ``run`` (reads the evaluation rows and rollouts once)."""
    out = RunAnalysis(run)
    for c in run.checkpoints:
        per, pooled = checkpoint_stats(c, run.notes)
        out.checkpoints.append(CheckpointStats(c, per, pooled))
    if run.rollouts is not None:
        out.rollouts = rollout_stats(run.rollouts, run.notes)
    return out


@dataclass(frozen=True)
class SftPoint:
    """One SFT run on the accuracy-against-SFT-tokens curve."""

    run: str
    tokens: int
    accuracy: float


def sft_token_curves(analyses: list[RunAnalysis]) -> dict[str, dict[str, list[SftPoint]]]:
    """benchmark -> curve name -> points sorted by tokens (the paper's Figure 2 shape).

    Each ``sft`` run gives one point: ``summary.json``'s ``train_tokens`` (response
    tokens trained on) and its final checkpoint's accuracy. Curves group the runs by
    their data (:func:`~longcot.analyze.stats.sft_group`), so rejection-sampled sets
    of growing N from one teacher line up as one curve.
    """
    out: dict[str, dict[str, list[SftPoint]]] = {}
    for a in analyses:
        if a.kind != "sft":
            continue
        tokens = a.run.summary.get("train_tokens")
        final = a.final
        if not isinstance(tokens, int) or isinstance(tokens, bool) or final is None:
            continue
        group = sft_group(a.run.recipe())
        for bench, stats in final.per_benchmark.items():
            if stats.accuracy is not None:
                point = SftPoint(a.name, tokens, stats.accuracy)
                out.setdefault(bench, {}).setdefault(group, []).append(point)
    for curves in out.values():
        for points in curves.values():
            points.sort(key=lambda p: p.tokens)
    return out


SAMPLING_FIELDS = ("n", "prompts", "acceptance", "coverage", "kept", "tokens_kept")
"""The fields of a rejection-sampling ``summary.json`` ``by_n`` row."""


def sampling_rows(run: Run) -> list[dict[str, Any]]:
    """``by_n`` rows of a sampling run, sorted by N; fields that are missing or not
    numbers come back as ``None`` (with a note), rows without an integer ``n`` are skipped."""
    raw = run.summary.get("by_n")
    if raw is None:
        return []
    if not isinstance(raw, list):
        run.notes.append(f"{run.path / 'summary.json'}: 'by_n' is not a list; ignored")
        return []
    where = run.path / "summary.json"
    rows, bad, missing = [], 0, set()
    for item in raw:
        n = item.get("n") if isinstance(item, dict) else None
        if not isinstance(n, int) or isinstance(n, bool):
            bad += 1
            continue
        row: dict[str, Any] = {}
        for key in SAMPLING_FIELDS:
            v = item.get(key)
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            row[key] = v if ok else None
            if not ok:
                missing.add(key)
        rows.append(row)
    if bad:
        run.notes.append(f"{where}: {bad} 'by_n' rows without an integer n skipped")
    if missing:
        names = ", ".join(k for k in SAMPLING_FIELDS if k in missing)
        run.notes.append(f"{where}: 'by_n' rows lack numbers for {names}; shown as –")
    return sorted(rows, key=lambda r: r["n"])
