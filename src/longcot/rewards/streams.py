r"""Reward streams: per-token reward arrays, each with its own discount (paper §4.6).

A response's reward is a set of streams ``r_m`` of one value per response
token: the cosine correctness reward sits on the last token (sparse), the
repetition penalty on the repeated tokens (dense). Each stream has its own
discount ``γ_m`` (paper: 1 for correctness, 0.99 for repetition), and the PPO
advantage with λ = 1 is

.. math:: \hat A_t = \sum_m \sum_{l \ge 0} \gamma_m^l\, r_{m,t+l} - V(s_t).

:func:`discounted_returns` computes the inner sums. Trainers that know only
one discount (verl, OpenRLHF, TRL) can still reproduce it exactly:
:func:`fold_discount` rewrites a stream so that its *undiscounted* return-to-go
equals the stream's discounted one, and :func:`combine_streams` sums the
folded streams into the one per-token reward array to hand such a trainer
(run it with γ = λ = 1).

The per-token KL penalty (coefficient 0.01) and batch whitening of advantages
belong to the trainer: they need log-probs and the whole batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

# exp(200) ~ 7e86: gamma**-k stays far from float64 overflow (1.8e308) inside a
# block, and the ratio of the largest to the smallest term stays representable.
_MAX_LOG_SCALE = 200.0


def check_gamma(gamma: float) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be a number in [0, 1], got {gamma!r}")
    return float(gamma)


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    r"""``G_t = Σ_{l ≥ 0} γ^l r_{t+l}`` along the last axis (float64, same shape).

    Vectorised: inside a block of ``B`` tokens, ``G_t = γ^{-t} Σ_{k ≥ t} γ^k r_k``
    is a reversed cumulative sum; blocks are short enough that ``γ^{-B}`` stays
    below ``e^200``, and each block adds the next block's ``G`` times ``γ^{(end - t)}``.
    One block covers 14,336 tokens at the paper's γ = 0.99 (B ≈ 19,900).

    >>> discounted_returns(np.array([0.0, 0.0, 1.0]), 0.5).tolist()
    [0.25, 0.5, 1.0]
    """
    g = check_gamma(gamma)
    r = np.asarray(rewards, dtype=np.float64)
    if r.shape[-1:] == (0,) or r.ndim == 0:
        return r.copy()
    if g == 1.0:
        return np.flip(np.cumsum(np.flip(r, -1), axis=-1), -1)
    if g == 0.0:
        return r.copy()
    length = r.shape[-1]
    block = max(1, int(_MAX_LOG_SCALE / -math.log(g)))
    out = np.empty_like(r)
    carry = np.zeros(r.shape[:-1])  # G at the first token after the block
    for end in range(length, 0, -block):
        start = max(0, end - block)
        k = np.arange(end - start, dtype=np.float64)
        w = g**k
        tail = np.flip(np.cumsum(np.flip(r[..., start:end] * w, -1), axis=-1), -1)
        out[..., start:end] = tail / w + carry[..., None] * g ** (end - start - k)
        carry = out[..., start]
    return out


def fold_discount(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Per-token rewards whose undiscounted return-to-go is ``rewards``' γ-discounted one.

    ``r'_t = G_t - G_{t+1}`` (with ``G`` from :func:`discounted_returns` and
    ``G_T = 0``), so ``Σ_{l ≥ 0} r'_{t+l} = G_t`` at every ``t``. Exact for a
    trainer run with γ = λ = 1 (the paper's λ), such as verl's GAE or
    REINFORCE-style returns; the sum over all tokens becomes ``G_0``.

    >>> fold_discount(np.array([0.0, 0.0, 1.0]), 0.5).tolist()
    [-0.25, -0.5, 1.0]
    """
    ret = discounted_returns(rewards, gamma)
    folded = ret.copy()
    folded[..., :-1] -= ret[..., 1:]
    return folded


def combine_streams(streams: Mapping[str, np.ndarray], gammas: Mapping[str, float]) -> np.ndarray:
    """One per-token reward array for a single-discount trainer (γ = λ = 1): Σ_m fold(r_m, γ_m)."""
    missing = set(streams) - set(gammas)
    if missing:
        raise ValueError(f"combine_streams: no gamma for streams {sorted(missing)}")
    arrays = [fold_discount(r, gammas[name]) for name, r in streams.items()]
    if not arrays:
        raise ValueError("combine_streams: no streams given")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"combine_streams: streams differ in shape: {sorted(shapes)}")
    return np.sum(arrays, axis=0)


def multi_stream_returns(
    streams: Mapping[str, np.ndarray], gammas: Mapping[str, float]
) -> np.ndarray:
    """``Σ_m Σ_l γ_m^l r_{m,t+l}``: the return part of the paper's advantage, per token."""
    missing = set(streams) - set(gammas)
    if missing:
        raise ValueError(f"multi_stream_returns: no gamma for streams {sorted(missing)}")
    return np.sum([discounted_returns(r, gammas[name]) for name, r in streams.items()], axis=0)


def sparse_stream(value: float, length: int) -> np.ndarray:
    """``value`` on the last of ``length`` tokens, zeros elsewhere (empty when ``length`` is 0)."""
    out = np.zeros(length, dtype=np.float64)
    if length:
        out[-1] = value
    return out


def check_clamp(clamp: tuple[float, float]) -> tuple[float, float]:
    """Validate a ``(low, high)`` clamp; ValueError names it."""
    try:
        low, high = (float(v) for v in clamp)
    except (TypeError, ValueError):
        raise ValueError(f"clamp must be two numbers (low, high), got {clamp!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f"clamp must be finite with low <= high, got {clamp!r}")
    return low, high
