"""Statistics of responses and runs: accuracy, lengths (correct vs wrong), truncation, reflection.

Lengths are in tokens of the policy's tokenizer, as the producers wrote them
(``completion_tokens`` in evaluation rows, ``length`` in ``rollouts.jsonl``).
The 90th percentile is numpy's linear interpolation, the definition
``longcot eval``'s summary and the RL step metrics use, so the numbers agree.
"Wrong" means graded and not correct (``incorrect``, ``no_answer``, ``timeout``);
``bad_gold`` responses say nothing about the model and are left out of accuracy
and of the correct/wrong split, as evaluation and training leave them out.
Keyword features come from :mod:`longcot.reflection`, the statistics every
producer uses.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from longcot.reflection import FEATURES, keyword_counts

from .readers import Checkpoint, iter_rows


@dataclass(frozen=True)
class Response:
    """What the statistics need of one response (its text reduced to feature flags)."""

    length: int
    status: str
    truncated: bool
    features: frozenset[str]

    @classmethod
    def of(cls, text: str, length: int, status: str, truncated: bool) -> Response:
        counts = keyword_counts(text)
        return cls(
            int(length), status, bool(truncated), frozenset(f for f, c in counts.items() if c)
        )


@dataclass(frozen=True)
class ResponseStats:
    """Statistics of a set of responses (``None`` where the set it needs is empty).

    Attributes:
        responses: all responses. ``graded``: those without ``bad_gold``.
        accuracy: correct / graded (for an evaluation, :func:`checkpoint_stats`
            puts ``summary.json``'s mean-over-problems accuracy here instead).
        length_mean, length_p90: over all responses, tokens.
        correct_mean, correct_p90, wrong_mean, wrong_p90: over correct / wrong responses.
        truncated_rate: share of responses cut at the token cap.
        reflection: feature -> share of responses containing it (``FEATURES`` order).
    """

    responses: int
    graded: int
    accuracy: float | None
    length_mean: float | None
    length_p90: float | None
    correct_mean: float | None
    correct_p90: float | None
    wrong_mean: float | None
    wrong_p90: float | None
    truncated_rate: float | None
    reflection: dict[str, float]


def _mean(xs: Sequence[float]) -> float | None:
    return float(np.mean(xs)) if len(xs) else None


def _p90(xs: Sequence[float]) -> float | None:
    return float(np.percentile(xs, 90)) if len(xs) else None


def response_stats(responses: Iterable[Response]) -> ResponseStats:
    """:class:`ResponseStats` of ``responses`` (see the module docstring for the definitions)."""
    items = list(responses)
    graded = [r for r in items if r.status != "bad_gold"]
    correct = [r.length for r in graded if r.status == "correct"]
    wrong = [r.length for r in graded if r.status != "correct"]
    lengths = [r.length for r in items]
    n = len(items)
    return ResponseStats(
        responses=n,
        graded=len(graded),
        accuracy=len(correct) / len(graded) if graded else None,
        length_mean=_mean(lengths),
        length_p90=_p90(lengths),
        correct_mean=_mean(correct),
        correct_p90=_p90(correct),
        wrong_mean=_mean(wrong),
        wrong_p90=_p90(wrong),
        truncated_rate=sum(r.truncated for r in items) / n if n else None,
        reflection={f: (sum(f in r.features for r in items) / n if n else 0.0) for f in FEATURES},
    )


def _field(row: dict[str, Any], *keys: str) -> Any:
    value: Any = row
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _response(
    row: dict[str, Any], length_key: str, status_keys: tuple[str, ...]
) -> Response | None:
    text, length = row.get("response"), row.get(length_key)
    status, truncated = _field(row, *status_keys), row.get("truncated", False)
    if not isinstance(text, str) or not isinstance(status, str):
        return None
    if isinstance(length, bool) or not isinstance(length, int | float):
        return None
    return Response.of(text, int(length), status, bool(truncated))


def eval_responses(checkpoint: Checkpoint, benchmark: str, notes: list[str]) -> list[Response]:
    """The responses of ``<benchmark>.jsonl``, one per ``(id, sample)`` (the first, as
    ``longcot eval`` keeps it), limited to the summary's samples per problem."""
    path = checkpoint.rows_path(benchmark)
    if not path.is_file():
        notes.append(f"{path}: missing; {benchmark} at {checkpoint.path.name} left out")
        return []
    samples = checkpoint.benchmark_summary(benchmark).get("samples_per_problem")
    seen: set[tuple[str, int]] = set()
    out, bad = [], 0
    for row in iter_rows(path, notes):
        key = (str(row.get("id")), row.get("sample"))
        if key in seen:
            continue
        seen.add(key)
        if isinstance(samples, int) and isinstance(key[1], int) and key[1] >= samples:
            continue  # a folder reused by a larger evaluation: report this one's samples
        r = _response(row, "completion_tokens", ("verdict", "status"))
        if r is None:
            bad += 1
        else:
            out.append(r)
    if bad:
        notes.append(f"{path}: {bad} rows without response/completion_tokens/verdict skipped")
    return out


def checkpoint_stats(
    checkpoint: Checkpoint, notes: list[str]
) -> tuple[dict[str, ResponseStats], ResponseStats]:
    """Per-benchmark statistics of one evaluation, and the statistics of all its responses pooled.

    A benchmark's accuracy is ``summary.json``'s (the evaluation's own number: the
    mean over problems of the mean over samples) when there is one.
    """
    per: dict[str, ResponseStats] = {}
    pooled: list[Response] = []
    for bench in checkpoint.benchmarks:
        rows = eval_responses(checkpoint, bench, notes)
        pooled += rows
        stats = response_stats(rows)
        acc = checkpoint.benchmark_summary(bench).get("accuracy")
        if isinstance(acc, int | float) and not isinstance(acc, bool) and math.isfinite(acc):
            stats = replace(stats, accuracy=float(acc))
        per[bench] = stats
    return per, response_stats(pooled)


def rollout_stats(path: Path, notes: list[str]) -> dict[int, ResponseStats]:
    """Per RL step, the statistics of the responses in ``rollouts.jsonl``."""
    by_step: dict[int, list[Response]] = defaultdict(list)
    bad = 0
    for row in iter_rows(path, notes):
        step = row.get("step")
        r = _response(row, "length", ("status",))
        if r is None or isinstance(step, bool) or not isinstance(step, int):
            bad += 1
            continue
        by_step[step].append(r)
    if bad:
        notes.append(f"{path}: {bad} rows without step/response/length/status skipped")
    return {s: response_stats(rs) for s, rs in sorted(by_step.items())}


def series(rows: Iterable[dict[str, Any]], key: str, x: str = "step") -> tuple[list, list]:
    """``(xs, ys)`` of ``key`` against ``x`` over metrics rows, skipping rows where
    either is absent, null or not a finite number (NaN is logged as null)."""
    xs, ys = [], []
    for row in rows:
        a, b = row.get(x), row.get(key)
        if _number(a) and _number(b):
            xs.append(a)
            ys.append(b)
    return xs, ys


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def keys_with_prefix(rows: Iterable[dict[str, Any]], prefix: str) -> list[str]:
    """Metric keys starting with ``prefix`` that hold a number somewhere, first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for k, v in row.items():
            if k.startswith(prefix) and _number(v):
                seen.setdefault(k, None)
    return list(seen)


def sft_group(recipe: dict[str, Any]) -> str:
    """The curve an SFT run's point belongs to on the accuracy-against-SFT-tokens plot.

    Runs trained on ``sft_n<N>.jsonl`` files of one rejection-sampling folder form one
    curve (named by that folder: one teacher, growing N); runs on a benchmark's reference
    solutions are grouped by source and solution field (``arith_train long_cot``).
    """
    data = recipe.get("data") if isinstance(recipe.get("data"), dict) else {}
    source = data.get("source")
    if not isinstance(source, str) or not source:
        return "sft"
    if "/" in source or source.endswith(".jsonl"):
        return Path(source).parent.name or source
    field = data.get("solution_field")
    return f"{source} {field}" if isinstance(field, str) and field else source
