"""Evaluation metrics: pure functions over per-problem samples.

Every metric's direction is stated once, in :data:`METRICS`, and a test checks
each one against hand-computed values *and* that a better set of responses
moves it the stated way (EXEMPLARS.md anti-pattern 3: lm-evaluation-harness
registers ``ter`` as higher-is-better while its docstring says lower).

Inputs are per problem, in sample-index order, so ragged sample counts (an
interrupted run) are handled explicitly rather than by reshaping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from longcot.verify.normalize import normalize_math


@dataclass(frozen=True)
class MetricInfo:
    """What a summary number means."""

    higher_is_better: bool | None
    """``True``/``False``; ``None`` for descriptive numbers (lengths) that have no good direction."""
    description: str


METRICS: dict[str, MetricInfo] = {
    "accuracy": MetricInfo(
        True, "mean over problems of each problem's fraction of correct samples"
    ),
    "accuracy_se": MetricInfo(
        False, "standard error of accuracy over problems (smaller = more precise)"
    ),
    "pass@k": MetricInfo(
        True, "chance that at least one of k samples is correct (unbiased estimator)"
    ),
    "maj@k": MetricInfo(
        True, "fraction of problems whose most common answer among k samples is correct"
    ),
    "tokens_mean": MetricInfo(None, "mean response length in tokens"),
    "tokens_median": MetricInfo(None, "median response length in tokens"),
    "tokens_p90": MetricInfo(
        None, "90th percentile of response length in tokens (linear interpolation)"
    ),
    "cap_hit_rate": MetricInfo(False, "fraction of responses that hit max_new_tokens (truncated)"),
    "accuracy_finished": MetricInfo(True, "accuracy among responses that ended on their own"),
    "accuracy_truncated": MetricInfo(True, "accuracy among truncated responses"),
    "no_answer_rate": MetricInfo(False, "fraction of responses with no extractable final answer"),
    "timeouts": MetricInfo(
        False, "responses whose grading ran past its time limit (counted wrong)"
    ),
}
"""Metric name -> direction and meaning. ``pass@k``/``maj@k`` stand for every k."""


def mean_accuracy(correct: Sequence[Sequence[bool]]) -> tuple[float, float | None]:
    """Mean accuracy and its standard error, from per-problem correctness lists.

    Accuracy is the mean over problems of each problem's mean over its samples
    (with equal sample counts, simply the mean over all samples). The standard
    error is that of a mean over problems, ``std(per-problem means, ddof=1) /
    sqrt(P)``: it treats problems as the sampled unit, so it covers both the
    choice of problems and the sampling noise within each (the clustered
    standard error of Miller 2024, "Adding Error Bars to Evals"). ``None`` when
    fewer than two problems. Problems with no samples are skipped.
    """
    per_problem = [sum(map(bool, c)) / len(c) for c in correct if len(c)]
    if not per_problem:
        return math.nan, None
    mean = float(np.mean(per_problem))
    if len(per_problem) < 2:
        return mean, None
    return mean, float(np.std(per_problem, ddof=1) / math.sqrt(len(per_problem)))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples, ``c`` correct (Chen et al. 2021, eq. 1).

    ``1 - C(n - c, k) / C(n, k)``, computed as ``1 - prod_{i=n-c+1}^{n} (1 - k / i)``
    to avoid huge binomials (the paper's numerically stable form).
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(correct: Sequence[Sequence[bool]], k: int) -> float | None:
    """pass@k averaged over problems; ``None`` when some problem has fewer than ``k`` samples."""
    if not correct or any(len(c) < k for c in correct):
        return None
    return float(np.mean([pass_at_k(len(c), sum(map(bool, c)), k) for c in correct]))


_INTEGER = re.compile(r"[+-]?\d+")


def answer_key(extracted: str | None) -> str | None:
    """The key majority voting clusters on: the verifier's normal form of the answer.

    Equal keys mean equal answers; unequal keys may still be equal values
    (``1/2`` vs ``0.5``), so votes can split. Integers drop leading zeros
    (AIME's ``025`` = ``25``); letters and words compare case-insensitively.
    """
    if extracted is None or not extracted.strip():
        return None
    key = normalize_math(extracted).strip()
    if _INTEGER.fullmatch(key):
        return str(int(key))
    return key.lower()


def majority_correct(answers: Sequence[str | None], correct: Sequence[bool]) -> bool:
    """Whether the most common answer is correct.

    Samples without an answer do not vote. Ties go to the answer seen first
    (lowest sample index), so the result is deterministic. A cluster counts as
    correct when any member was graded correct (members share a normal form,
    so they differ only when grading of one timed out). No votes at all: wrong.
    """
    if len(answers) != len(correct):
        raise ValueError(f"{len(answers)} answers but {len(correct)} correctness flags")
    votes: dict[str, int] = {}
    right: dict[str, bool] = {}
    for answer, ok in zip(answers, correct, strict=True):
        key = answer_key(answer)
        if key is None:
            continue
        votes[key] = votes.get(key, 0) + 1
        right[key] = right.get(key, False) or bool(ok)
    if not votes:
        return False
    # max() keeps the first of equal counts; dicts keep insertion (sample) order.
    winner = max(votes, key=votes.__getitem__)
    return right[winner]


def maj_at_k(
    answers: Sequence[Sequence[str | None]], correct: Sequence[Sequence[bool]], k: int
) -> float | None:
    """maj@k over problems, voting among each problem's first ``k`` samples (by index).

    ``None`` when some problem has fewer than ``k`` samples.
    """
    if not correct or any(len(c) < k for c in correct):
        return None
    return float(
        np.mean([majority_correct(a[:k], c[:k]) for a, c in zip(answers, correct, strict=True)])
    )


def ks_for(samples: int) -> list[int]:
    """The k values reported for ``samples`` per problem: powers of two below it, and itself."""
    ks = [1 << i for i in range(samples.bit_length()) if (1 << i) < samples]
    return [*ks, samples]


def length_stats(tokens: Sequence[int]) -> dict[str, float | None]:
    """Mean, median and 90th percentile (numpy's linear interpolation) of lengths in tokens."""
    if not tokens:
        return {"tokens_mean": None, "tokens_median": None, "tokens_p90": None}
    arr = np.asarray(tokens, dtype=float)
    return {
        "tokens_mean": float(arr.mean()),
        "tokens_median": float(np.median(arr)),
        "tokens_p90": float(np.percentile(arr, 90)),
    }


def truncation_stats(truncated: Sequence[bool], correct: Sequence[bool]) -> dict[str, float | None]:
    """Cap-hit rate, and accuracy among finished and among truncated responses.

    Reported apart because a model that runs out of budget on a third of its
    responses (allenai/olmo-eval #399) and a model that is simply wrong need
    different fixes. An accuracy is ``None`` when its group is empty.
    """
    if len(truncated) != len(correct):
        raise ValueError(f"{len(truncated)} truncation flags but {len(correct)} correctness flags")
    n = len(truncated)
    cut = [bool(c) for t, c in zip(truncated, correct, strict=True) if t]
    done = [bool(c) for t, c in zip(truncated, correct, strict=True) if not t]
    return {
        "cap_hit_rate": len(cut) / n if n else None,
        "accuracy_finished": sum(done) / len(done) if done else None,
        "accuracy_truncated": sum(cut) / len(cut) if cut else None,
    }


def status_counts(statuses: Sequence[str]) -> dict[str, float | int | None]:
    """No-answer rate, timeout and bad-gold counts from verdict statuses."""
    n = len(statuses)
    no_answer = sum(s == "no_answer" for s in statuses)
    return {
        "no_answer_rate": no_answer / n if n else None,
        "timeouts": sum(s == "timeout" for s in statuses),
        "bad_gold": sum(s == "bad_gold" for s in statuses),
    }
