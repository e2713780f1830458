r"""Where a response's rewards sit on the tokens a trainer sees, and its one scalar.

This is the single definition shared by longcot's trainer and by the TRL,
verl and OpenRLHF adapters (DESIGN §3, §4.6 of the paper):

- A trainer sees ``positions`` response positions: the response tokens, plus
  the end-of-sequence token when the model generated one (``positions =
  length + 1``); a truncated response has no end-of-sequence (``positions =
  length``).
- The **outcome** streams (the cosine reward, and DAPO's and Kimi's length
  rewards when switched on: ``spec.OUTCOME_STREAMS``) sit on the **last
  position**: the end-of-sequence token when there is one, so that the
  decision to stop is credited with the answer's reward (as verl's and
  OpenRLHF's own managers place it).
- **Dense** streams (repetition) stay on their own tokens; the end-of-sequence
  position gets 0.
- A critic-free trainer that wants **one number per response** uses
  :func:`scalar_reward`: the multi-stream discounted return at the first
  position, :math:`\sum_m \sum_l \gamma_m^l r_{m,l}`. With the paper's
  γ_correctness = 1 it is the outcome reward plus the γ_p-discounted
  repetition penalty. Skipped samples (``bad_gold``) have ``None``.

Nothing here grades: it takes an already scored :class:`SampleRewards`.
"""

from __future__ import annotations

import numpy as np

from .samples import CORRECTNESS, OUTCOME_STREAMS, SampleRewards
from .streams import multi_stream_returns


def response_positions(length: int, *, finished: bool) -> int:
    """Positions a trainer sees for a response of ``length`` tokens (EOS excluded)."""
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    return length + 1 if finished else length


def place_streams(sample: SampleRewards, positions: int | None = None) -> dict[str, np.ndarray]:
    """Each stream of ``sample`` laid out over ``positions`` trainer positions.

    Args:
        sample: a scored response.
        positions: how many response positions the trainer holds for it;
            ``sample.length`` (no end-of-sequence) or ``sample.length + 1``
            (with it). Default: ``sample.length + 1`` when the response
            finished (not truncated), else ``sample.length``.

    Returns:
        ``{stream name: float64 array of shape (positions,)}``. A skipped
        sample gets all zeros.

    Raises:
        ValueError: ``positions`` is neither ``length`` nor ``length + 1``.
    """
    length = sample.length
    if positions is None:
        positions = response_positions(length, finished=not sample.truncated)
    if positions not in (length, length + 1):
        raise ValueError(
            f"a response of {length} tokens occupies {length} positions (truncated, no "
            f"end-of-sequence) or {length + 1} (with it), not {positions}"
        )
    out: dict[str, np.ndarray] = {}
    for name, stream in sample.streams.items():
        placed = np.zeros(positions, dtype=np.float64)
        if name in OUTCOME_STREAMS:
            if positions and not sample.skipped:
                # An empty response keeps no value in its (empty) streams: the outcome
                # reward is on the sample itself; a length reward of nothing is 0.
                value = stream[length - 1] if length else _empty_value(name, sample)
                placed[-1] = float(value)
        else:
            placed[:length] = stream[:length]
        out[name] = placed
    return out


def _empty_value(name: str, sample: SampleRewards) -> float:
    return float(sample.outcome_reward) if name == CORRECTNESS else 0.0


def scalar_reward(sample: SampleRewards, positions: int | None = None) -> float | None:
    """One number for the whole response: the discounted return at its first position.

    ``None`` for a skipped sample (TRL then leaves it out of the group
    baseline; other callers must mask it). ``positions`` as in
    :func:`place_streams`; it matters only when γ_correctness < 1, where the
    outcome's distance from the first position sets its discount.
    """
    if sample.skipped:
        return None
    placed = place_streams(sample, positions)
    if not next(iter(placed.values())).size:
        return float(sample.outcome_reward)
    return float(multi_stream_returns(placed, sample.gammas)[0])
