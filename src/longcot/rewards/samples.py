"""What scoring returns: reward-stream names, the responses it takes, and
:class:`SampleRewards` per response, with the batch statistics adapters log.

Separate from :class:`~longcot.rewards.spec.RewardSpec` (how the streams are
computed) so that placement and the trainers' estimators can read results
without the scoring machinery.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from ..constants import STATUSES
from .policy import Outcome
from .streams import combine_streams, multi_stream_returns

if TYPE_CHECKING:  # importing verify at run time would load its grader stack
    from ..verify.verdict import Verdict

CORRECTNESS = "correctness"
REPETITION = "repetition"
OVERLONG = "overlong"
"""DAPO's soft overlong punishment, on the last token (``soft_overlong_cache``)."""
LENGTH = "length"
"""Kimi 1.5's group length reward, on the last token (``kimi_length_coef``)."""
OUTCOME_STREAMS: frozenset[str] = frozenset({CORRECTNESS, OVERLONG, LENGTH})
"""Streams that reward the whole response and sit on its last position (the
end-of-sequence token when there is one): ``rewards.placement`` puts them there,
and critic-free estimators sum them into the response's outcome."""


class ResponseLike(Protocol):
    """What scoring needs from a response; :class:`longcot.generate.types.Completion` fits."""

    text: str
    token_ids: Sequence[int]
    finish_reason: str


@dataclass(frozen=True, slots=True)
class Response:
    """A response to score, for callers without a ``Completion``."""

    text: str
    token_ids: Sequence[int]
    """Response tokens only (no prompt), end-of-sequence excluded."""
    finish_reason: Literal["stop", "length"] = "stop"
    """``length``: stopped at the token cap without end-of-sequence (truncated)."""


@dataclass(frozen=True)
class SampleRewards:
    """Reward streams of one response. Skipped samples (``bad_gold`` by default)
    have all-zero streams and ``outcome_reward is None``: mask or drop them."""

    verdict: Verdict
    outcome: Outcome
    length: int
    truncated: bool
    exceeded: bool
    outcome_reward: float | None
    """The clamped outcome (cosine) reward, also the last value of the correctness stream."""
    streams: dict[str, np.ndarray] = field(repr=False)
    gammas: dict[str, float]

    @property
    def skipped(self) -> bool:
        return self.outcome == "skip"

    def returns(self) -> np.ndarray:
        """``Σ_m Σ_l γ_m^l r_{m,t+l}`` per token: the paper's advantage before ``- V(s_t)``."""
        return multi_stream_returns(self.streams, self.gammas)

    def token_rewards(self) -> np.ndarray:
        """One per-token array for a trainer run with γ = λ = 1 (see ``streams.fold_discount``)."""
        return combine_streams(self.streams, self.gammas)

    def total(self) -> float | None:
        """One scalar for critic-free trainers: ``placement.scalar_reward(self)``."""
        from .placement import scalar_reward  # placement builds on this module

        return scalar_reward(self)


def batch_metrics(samples: Sequence[SampleRewards]) -> dict[str, float]:
    """Counts and means to log for a scored batch (status counts include timeouts)."""
    n = len(samples)
    out: dict[str, float] = {"count": float(n)}
    for status in STATUSES:
        out[f"status/{status}"] = float(sum(s.verdict.status == status for s in samples))
    kept = [s for s in samples if not s.skipped]
    out["skipped"] = float(n - len(kept))
    out["accuracy"] = sum(s.outcome == "correct" for s in kept) / len(kept) if kept else math.nan
    out["truncated_rate"] = sum(s.truncated for s in samples) / n if n else math.nan
    out["exceeded_rate"] = sum(s.exceeded for s in samples) / n if n else math.nan
    out["mean_length"] = sum(s.length for s in samples) / n if n else math.nan
    out["mean_outcome_reward"] = (
        sum(s.outcome_reward for s in kept) / len(kept) if kept else math.nan  # type: ignore[misc]
    )
    tokens = sum(s.length for s in kept)
    repeated = sum(int((s.streams[REPETITION] < 0).sum()) for s in kept)
    out["repeated_token_fraction"] = repeated / tokens if tokens else 0.0
    return out
