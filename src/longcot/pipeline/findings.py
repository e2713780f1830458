"""Did each finding of the paper reproduce in the demo? Numbers per seed, a verdict with the spread.

Each finding is a signed *effect* computed from the run folders of one seed
(held-out evaluations, ``eval/<tag>``, and the RL runs' ``metrics.jsonl``).
Over seeds, an effect *reproduced* when every seed shows the paper's sign and
the mean is beyond the noise: twice the seed spread (standard deviation of
the seeds' effects) when there are several seeds, or twice the sampling
standard error of the difference when there is one (binomial for accuracies).
It *did not reproduce* when the mean has the other sign beyond the noise;
otherwise the result is *inconclusive*. The paper's claims are for 8 B models
on MATH; at 0.2 M parameters on arithmetic chains the report shows mechanics,
not emergence, and says which way each one went.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from longcot.analyze.analysis import RunAnalysis, analyze
from longcot.analyze.readers import load_run


@dataclass(frozen=True)
class Effect:
    value: float
    noise: float
    """One standard error of ``value`` from sampling (used when there is one seed)."""


@dataclass(frozen=True)
class Finding:
    key: str
    paper: str
    measure: str
    expected_sign: int
    """+1 or -1: the sign of the effect the paper's finding predicts."""
    effect: Callable[[dict[str, RunAnalysis]], Effect | None]
    unit: str = ""


def _final(a: RunAnalysis):
    return a.final.pooled if a.final is not None else None


def _first(a: RunAnalysis):
    return a.checkpoints[0].pooled if a.checkpoints else None


def _acc_se(stats) -> float:
    p, n = stats.accuracy or 0.0, max(stats.graded, 1)
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def _acc_diff(a, b) -> Effect | None:
    if a is None or b is None or a.accuracy is None or b.accuracy is None:
        return None
    return Effect(a.accuracy - b.accuracy, math.hypot(_acc_se(a), _acc_se(b)))


def _long_vs_short_sft(runs):
    return _acc_diff(_final(runs["sft-long"]), _final(runs["sft-short"]))


def _rl_gain(a: RunAnalysis) -> Effect | None:
    return _acc_diff(_final(a), _first(a))


def _headroom(runs):
    long, short = _rl_gain(runs["rl-long-cosine"]), _rl_gain(runs["rl-short-cosine"])
    if long is None or short is None:
        return None
    return Effect(long.value - short.value, math.hypot(long.noise, short.noise))


def _quarter_change(a: RunAnalysis, key: str) -> Effect | None:
    """Change of a training metric from the first to the last quarter of the steps,
    with its standard error from the step-to-step spread."""
    _, ys = a.train(key)
    if len(ys) < 4:
        return None
    k = max(2, len(ys) // 4)
    first, last = ys[:k], ys[-k:]
    se = math.sqrt(statistics.variance(first) / k + statistics.variance(last) / k)
    return Effect(statistics.fmean(last) - statistics.fmean(first), se)


def _difference(x: Effect | None, y: Effect | None) -> Effect | None:
    if x is None or y is None:
        return None
    return Effect(x.value - y.value, math.hypot(x.noise, y.noise))


def _length_control(runs):
    # Positive when the classic arm's length moves up more than the cosine arm's.
    return _difference(
        _quarter_change(runs["rl-long-classic"], "length/mean"),
        _quarter_change(runs["rl-long-cosine"], "length/mean"),
    )


def _repetition(runs):
    # Positive when repetition grows less (or falls more) with the penalty than without.
    return _difference(
        _quarter_change(runs["rl-long-classic"], "repeated_token_rate"),
        _quarter_change(runs["rl-long-cosine"], "repeated_token_rate"),
    )


def _correct_shorter(runs):
    stats = _final(runs["rl-long-cosine"])
    if stats is None or stats.correct_mean is None or stats.wrong_mean is None:
        return None
    # Standard error from each group's spread, read off its p90 (p90 - mean ~ 1.28 sd).
    n_correct = max(1.0, (stats.accuracy or 0.0) * stats.graded)
    n_wrong = max(1.0, stats.graded - n_correct)
    sd_c = max(1.0, ((stats.correct_p90 or stats.correct_mean) - stats.correct_mean) / 1.28)
    sd_w = max(1.0, ((stats.wrong_p90 or stats.wrong_mean) - stats.wrong_mean) / 1.28)
    se = math.sqrt(sd_c**2 / n_correct + sd_w**2 / n_wrong)
    return Effect(stats.wrong_mean - stats.correct_mean, se)


def _wait_change(runs):
    a = runs["rl-long-cosine"]
    first, final = _first(a), _final(a)
    if first is None or final is None or not first.responses:
        return None
    p0, p1 = first.reflection.get("wait", 0.0), final.reflection.get("wait", 0.0)
    se = math.hypot(
        math.sqrt(max(p0 * (1 - p0), 1e-12) / first.responses),
        math.sqrt(max(p1 * (1 - p1), 1e-12) / max(final.responses, 1)),
    )
    return Effect(p1 - p0, se)


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "long_vs_short_sft",
        "Long-CoT SFT reaches higher accuracy than short-CoT SFT (§3.1)",
        "held-out accuracy, SFT long − SFT short",
        +1,
        _long_vs_short_sft,
        "points",
    ),
    Finding(
        "rl_headroom",
        "RL gains more from a long-CoT SFT model than from a short-CoT one (§3.2)",
        "accuracy gain over RL (cosine), long arm − short arm",
        +1,
        _headroom,
        "points",
    ),
    Finding(
        "length_control",
        "The cosine reward holds CoT length steadier than the classic reward (§4.2)",
        "change of training length over RL (last vs first quarter of steps), classic − cosine",
        +1,
        _length_control,
        "tokens",
    ),
    Finding(
        "repetition",
        "The repetition penalty lowers repeated n-grams (§4.5)",
        "change of the repeated 8-gram token rate over RL, classic − cosine with penalty",
        +1,
        _repetition,
        "points",
    ),
    Finding(
        "correct_shorter",
        "Correct answers are shorter than wrong ones under the cosine reward (§4.2)",
        "held-out length, wrong − correct, after RL (long, cosine)",
        +1,
        _correct_shorter,
        "tokens",
    ),
    Finding(
        "reflection",
        "RL strengthens reflection ('wait') (§6; at small scale expected not to)",
        "share of held-out responses with 'wait', after − before RL (long, cosine)",
        +1,
        _wait_change,
        "points",
    ),
)


@dataclass(frozen=True)
class Verdict:
    finding: Finding
    effects: tuple[float, ...]
    """One per seed that had the data."""
    mean: float | None
    spread: float | None
    verdict: str


def _scale(f: Finding, v: float) -> float:
    return 100 * v if f.unit == "points" else v


def judge(finding: Finding, effects: Sequence[Effect]) -> Verdict:
    values = tuple(_scale(finding, e.value) for e in effects)
    if not values:
        return Verdict(finding, (), None, None, "no data")
    mean = statistics.fmean(values)
    if len(values) > 1:
        spread = statistics.stdev(values)
        noise = 2 * spread / math.sqrt(len(values))
    else:
        spread = None
        noise = 2 * _scale(finding, effects[0].noise)
    signed = finding.expected_sign * mean
    same_sign = all(finding.expected_sign * v > 0 for v in values)
    if signed > noise and same_sign:
        verdict = "reproduced"
    elif signed < -noise:
        verdict = "opposite"
    else:
        verdict = "inconclusive"
    return Verdict(finding, values, mean, spread, verdict)


def evaluate_findings(seed_dirs: Sequence[Path], arms: Sequence[str]) -> list[Verdict]:
    """Verdicts over the seeds' run folders (``<seed dir>/<arm>``)."""
    per_seed = [{arm: analyze(load_run(d / arm)) for arm in arms} for d in seed_dirs]
    out = []
    for f in FINDINGS:
        effects = [e for runs in per_seed if (e := f.effect(runs)) is not None]
        out.append(judge(f, effects))
    return out
