"""N-gram repetition penalties on response token ids (Yeo et al. 2025, §4.5).

Two different rewards share the name "repetition penalty"; they are kept apart:

- :func:`repetition_penalty` is the paper's **dense, token-level** penalty:
  every token of every *repeated* occurrence of an n-gram gets ``penalty``
  (first occurrences are free, overlapping repeats do not stack). It returns
  one value per token, so the PPO credit lands on the repeated tokens.
- :func:`sequence_repetition_penalty` is the **sequence-level** form that
  TRL (``get_repetition_penalty_reward``) and open-r1 ship:
  ``(1 - unique / total n-grams) * max_penalty``, one number per response.

Both find repeated n-grams the same exact way (:func:`repeated_ngram_starts`):
a 64-bit polynomial rolling hash groups the windows, and every hash match is
then confirmed by comparing the actual tokens, so a hash collision can never
mark a window as repeated. If a collision is found the sequence is redone with
an exact sort of the raw n-grams. The paper's setting is 512 responses of up
to 14,336 tokens per batch, so everything is numpy, with no Python loop per
token (see ``benchmarks/repetition_speed.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Odd, so it is invertible modulo 2**64 (needed to normalise window hashes).
# It is the 64-bit golden-ratio constant: its bits are well mixed.
_BASE = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


def _check_ngram(ngram: object) -> int:
    if isinstance(ngram, bool) or not isinstance(ngram, int | np.integer) or ngram < 1:
        raise ValueError(f"ngram must be an int >= 1 (tokens), got {ngram!r}")
    return int(ngram)


def _check_penalty(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number <= 0, got {value!r}")
    if value > 0:
        raise ValueError(f"{name} must be <= 0 (it is a penalty), got {value!r}")
    return float(value)


def _as_tokens(token_ids: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(token_ids)
    if arr.ndim != 1:
        raise ValueError(f"token_ids must be one response (1-D), got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"token_ids must be integers, got dtype {arr.dtype}")
    return arr


@lru_cache(maxsize=8)
def _powers(base: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``base**k`` and ``base**-k`` modulo 2**64 for ``k < length`` (uint64 wraps)."""
    inv = pow(base, -1, 1 << 64)
    fwd = np.full(length, base, dtype=np.uint64)
    bwd = np.full(length, inv, dtype=np.uint64)
    fwd[0] = bwd[0] = 1
    # Integer ufuncs on arrays wrap modulo 2**64 without warnings: exactly the ring we want.
    np.multiply.accumulate(fwd, out=fwd)
    np.multiply.accumulate(bwd, out=bwd)
    fwd.flags.writeable = bwd.flags.writeable = False
    return fwd, bwd


def _window_hashes(x: np.ndarray, n: int, base: int) -> np.ndarray:
    """Polynomial hash of every length-``n`` window, ``sum_j x[i+j] * base**j`` mod 2**64.

    Prefix sums make it O(len(x)) for any ``n``: the window sum
    ``P[i+n] - P[i]`` equals ``base**i`` times the window's hash, and
    ``base**-i`` removes that factor.
    """
    length = len(x)
    fwd, bwd = _powers(base, _round_up(length))
    prefix = np.zeros(length + 1, dtype=np.uint64)
    np.cumsum(x.astype(np.uint64) * fwd[:length], out=prefix[1:])
    m = length - n + 1
    return _mix((prefix[n:] - prefix[:m]) * bwd[:m])


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection on uint64 that spreads every input bit.

    Without it a window's first token (multiplier ``base**0 = 1``) only moves
    the low bits, and the sort below keeps only the high bits.
    """
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _round_up(length: int) -> int:
    # Cache powers for a few sizes only: round up to a power of two.
    return 1 << max(length - 1, 1).bit_length()


def _exact_repeated(windows: np.ndarray) -> np.ndarray:
    """Repeated-start flags by sorting the raw n-grams (exact, slower)."""
    rows = np.ascontiguousarray(windows)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    # return_index gives the first occurrence of each distinct n-gram.
    _, first = np.unique(keys, return_index=True)
    repeated = np.ones(len(keys), dtype=bool)
    repeated[first] = False
    return repeated


def repeated_ngram_starts(
    token_ids: Sequence[int] | np.ndarray, ngram: int, *, _base: int = _BASE
) -> np.ndarray:
    """Boolean flags, one per n-gram start ``i``: does ``ids[i:i+ngram]`` occur at some ``j < i``?

    Returns an array of length ``max(len(ids) - ngram + 1, 0)``. Exact: hash
    matches are confirmed token by token (``_base`` exists so tests can force
    collisions with a weak hash).
    """
    n = _check_ngram(ngram)
    x = _as_tokens(token_ids)
    m = len(x) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=bool)
    hashes = _window_hashes(x, n, _base & _MASK64)
    # Sort (hash, start) pairs packed into one uint64: the top bits hold the
    # hash, the low bits the start. Keys are then unique, so a plain (unstable,
    # ~5x faster than stable) sort leaves starts increasing inside a group of
    # equal hashes: every member but a group's first has an earlier equal-hash
    # window, its predecessor in the sorted order. Dropping low hash bits only
    # adds candidates, which the token check below rejects.
    shift = max(int(m - 1).bit_length(), 1)
    keys = (hashes >> np.uint64(shift)) << np.uint64(shift)
    keys |= np.arange(m, dtype=np.uint64)
    keys.sort()
    order = (keys & np.uint64((1 << shift) - 1)).astype(np.intp)
    groups = keys >> np.uint64(shift)
    later = np.zeros(m, dtype=bool)
    np.equal(groups[1:], groups[:-1], out=later[1:])
    if not later.any():
        return np.zeros(m, dtype=bool)
    # witness[i] = the start just before i in i's hash group, or -1.
    witness = np.full(m, -1, dtype=np.intp)
    witness[order[1:][later[1:]]] = order[:-1][later[1:]]
    # If every member equals its predecessor, by transitivity all members of a
    # group equal its first, so every non-first member is a true repeat. If one
    # does not, there is a real hash collision: redo this sequence exactly.
    if not _witnesses_confirmed(x, n, witness):
        return _exact_repeated(sliding_window_view(x, n))
    return witness >= 0


def _witnesses_confirmed(x: np.ndarray, n: int, witness: np.ndarray) -> bool:
    """Exactly: is ``x[c:c+n] == x[w:w+n]`` for every start ``c`` with witness ``w = witness[c] >= 0``?

    Comparing every pair in full costs n tokens per pair, which dominates on
    degenerate responses (one token 14K times, short periods). Repeats come in
    runs instead: if pair (c-1, w-1) matches, the windows of (c, w) share n-1
    tokens with it, so (c, w) matches iff its one new token does. Only the
    first pair of each run is compared in full: O(len(x) + n * runs).
    """
    cs = np.flatnonzero(witness >= 0)
    ws = witness[cs]
    continues = np.zeros(len(cs), dtype=bool)
    has_prev = cs > 0
    prev_witness = witness[cs[has_prev] - 1]
    # -1 marks "no witness", and ws - 1 is -1 when w = 0: test both.
    continues[has_prev] = (prev_witness >= 0) & (prev_witness == ws[has_prev] - 1)
    heads = ~continues
    windows = sliding_window_view(x, n)
    if not np.array_equal(windows[cs[heads]], windows[ws[heads]]):
        return False
    return bool(np.array_equal(x[cs[continues] + n - 1], x[ws[continues] + n - 1]))


def repetition_mask(token_ids: Sequence[int] | np.ndarray, *, ngram: int = 40) -> np.ndarray:
    """One bool per token: is it part of a repeated occurrence of some n-gram?"""
    n = _check_ngram(ngram)
    x = _as_tokens(token_ids)
    starts = np.flatnonzero(repeated_ngram_starts(x, n))
    # Mark [start, start + n) for every repeated start with a difference array,
    # so overlapping repeats cover their union once (they do not stack).
    cover = np.zeros(len(x) + 1, dtype=np.int32)
    cover[starts] += 1
    cover[starts + n] -= 1
    return np.cumsum(cover[:-1]) > 0


def repetition_penalty(
    token_ids: Sequence[int] | np.ndarray, *, ngram: int = 40, penalty: float = -0.05
) -> np.ndarray:
    r"""Dense token-level n-gram repetition penalty (paper §4.5).

    Slide a window of ``ngram`` tokens over the response. Every window whose
    n-gram already occurred earlier in the response (at a smaller start, an
    overlapping one included) is a repeat; every token inside a repeat gets
    ``penalty``, once, however many repeats cover it. First occurrences and
    responses shorter than ``ngram`` get 0.

    .. math:: P_t = p \cdot \mathbb{1}[\exists\, i \le t < i + n:\ x_{i:i+n} = x_{j:j+n} \text{ for some } j < i]

    Args:
        token_ids (`Sequence[int]` or 1-D integer array): the response's tokens
            only (no prompt), in the policy's tokenizer.
        ngram (`int`, *optional*, defaults to `40`): window length n (paper: 40).
        penalty (`float`, *optional*, defaults to `-0.05`): value per repeated
            token, <= 0 (paper: -0.05).

    Returns:
        `numpy.ndarray` of float64, shape ``(len(token_ids),)``.

    Example:
        >>> repetition_penalty([1, 2, 3, 1, 2, 3, 4], ngram=2, penalty=-1.0).tolist()
        [0.0, 0.0, 0.0, -1.0, -1.0, -1.0, 0.0]
    """
    p = _check_penalty("penalty", penalty)
    mask = repetition_mask(token_ids, ngram=ngram)
    return np.where(mask, p, 0.0)


def repetition_penalty_batch(
    batch: Iterable[Sequence[int] | np.ndarray], *, ngram: int = 40, penalty: float = -0.05
) -> list[np.ndarray]:
    """:func:`repetition_penalty` for each response of a batch (ragged: a list of arrays)."""
    _check_penalty("penalty", penalty)
    _check_ngram(ngram)
    return [repetition_penalty(ids, ngram=ngram, penalty=penalty) for ids in batch]


def sequence_repetition_penalty(
    token_ids: Sequence[int] | np.ndarray, *, ngram: int = 3, max_penalty: float = -1.0
) -> float:
    r"""Sequence-level repetition penalty of TRL and open-r1 (not the paper's dense form).

    .. math:: R = \left(1 - \frac{\#\text{unique } n\text{-grams}}{\#\text{total } n\text{-grams}}\right) p

    Responses shorter than ``ngram`` get 0. Same numbers as
    ``trl.rewards.get_repetition_penalty_reward(ngram_size=ngram, max_penalty=max_penalty)``
    (checked in the tests), computed without building a set of tuples.

    >>> sequence_repetition_penalty([5, 5, 5, 5, 5], ngram=2)  # 4 bigrams, 1 unique
    -0.75
    """
    p = _check_penalty("max_penalty", max_penalty)
    repeated = repeated_ngram_starts(token_ids, ngram)
    total = len(repeated)
    if total == 0:
        return 0.0
    unique = total - int(repeated.sum())
    scaling = 1 - unique / total
    return scaling * p if scaling else 0.0


def repetition_penalty_reference(
    token_ids: Sequence[int], *, ngram: int = 40, penalty: float = -0.05
) -> list[float]:
    """The definition of :func:`repetition_penalty`, written to be obviously right, not fast.

    Kept in the library as the executable specification: the property tests
    compare the fast version against it, and the speed benchmark uses it as
    its baseline.
    """
    ids = [int(t) for t in token_ids]
    out = [0.0] * len(ids)
    seen: set[tuple[int, ...]] = set()
    for i in range(len(ids) - ngram + 1):
        gram = tuple(ids[i : i + ngram])
        if gram in seen:
            for j in range(i, i + ngram):
                out[j] = float(penalty)
        else:
            seen.add(gram)
    return out
