"""The dense repetition penalty against its slow definition, and the
sequence-level form against TRL's own implementation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import longcot.rewards.repetition as rep
from longcot.rewards import (
    repeated_ngram_starts,
    repetition_mask,
    repetition_penalty,
    repetition_penalty_batch,
    repetition_penalty_reference,
    sequence_repetition_penalty,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(ids, ngram, penalty=-0.05):
    fast = repetition_penalty(np.asarray(ids, dtype=np.int64), ngram=ngram, penalty=penalty)
    slow = repetition_penalty_reference(list(ids), ngram=ngram, penalty=penalty)
    assert fast.dtype == np.float64 and fast.shape == (len(ids),)
    assert fast.tolist() == slow


def _thue_morse(length: int) -> list[int]:
    # The classic input that defeats polynomial hashing modulo 2**64.
    return [bin(i).count("1") % 2 for i in range(length)]


class TestDefinition:
    @pytest.mark.parametrize(
        "ids,ngram,expected",
        [
            # second "1 2 3" block repeats the first; trailing 4 is new
            ([1, 2, 3, 1, 2, 3, 4], 2, [0, 0, 0, 1, 1, 1, 0]),
            # all one token: every window after the first is a repeat, token 0 is free
            ([7] * 6, 3, [0, 1, 1, 1, 1, 1]),
            # shorter than n: no window at all
            ([1, 1, 1], 4, [0, 0, 0]),
            # n = 1: every token seen before is penalised
            ([1, 2, 1, 3, 2], 1, [0, 0, 1, 0, 1]),
            # period 2 "a b a b a": windows "a b a" at 0 and 2 overlap; the repeat covers 2..4
            ([5, 6, 5, 6, 5], 3, [0, 0, 1, 1, 1]),
            ([], 40, []),
        ],
    )
    def test_table(self, ids, ngram, expected):
        out = repetition_penalty(ids, ngram=ngram, penalty=-1.0)
        assert out.tolist() == [-float(e) for e in expected]
        assert repetition_penalty_reference(ids, ngram=ngram, penalty=-1.0) == out.tolist()

    def test_overlapping_repeats_do_not_stack(self):
        out = repetition_penalty([3] * 500, ngram=4, penalty=-0.05)
        assert out.min() == pytest.approx(-0.05)
        assert (out[1:] == -0.05).all() and out[0] == 0.0

    def test_first_occurrence_is_free(self):
        block = list(range(100, 140))
        out = repetition_penalty(block + block, ngram=40)
        assert (out[:40] == 0).all() and (out[40:] == -0.05).all()

    def test_accepts_numpy_integer_dtypes(self):
        ids = [1, 2, 3, 1, 2, 3]
        for dtype in (np.int32, np.uint16, np.int64, np.uint64):
            assert repetition_penalty(np.array(ids, dtype=dtype), ngram=3).tolist() == (
                repetition_penalty_reference(ids, ngram=3)
            )

    @pytest.mark.parametrize(
        "kwargs,match",
        [
            ({"ngram": 0}, "ngram"),
            ({"ngram": 2.5}, "ngram"),
            ({"penalty": 0.1}, "penalty"),
            ({"penalty": float("nan")}, "penalty"),
        ],
    )
    def test_bad_arguments_name_themselves(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            repetition_penalty([1, 2, 3], **kwargs)

    def test_bad_token_arrays(self):
        with pytest.raises(ValueError, match="1-D"):
            repetition_penalty([[1, 2], [3, 4]])
        with pytest.raises(ValueError, match="integers"):
            repetition_penalty([1.0, 2.0])

    def test_batch_matches_single(self):
        batch = [[1, 2, 1, 2], [], [9] * 50]
        outs = repetition_penalty_batch(batch, ngram=2)
        for ids, out in zip(batch, outs, strict=True):
            assert out.tolist() == repetition_penalty(ids, ngram=2).tolist()


class TestAgainstReference:
    @FAST
    @given(
        ids=st.lists(st.integers(0, 3), max_size=300),
        ngram=st.integers(1, 12),
    )
    def test_random_small_alphabet(self, ids, ngram):
        _same(ids, ngram)

    @FAST
    @given(
        ids=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=80),
        ngram=st.integers(1, 5),
    )
    def test_extreme_token_values(self, ids, ngram):
        _same(ids, ngram)

    @FAST
    @given(
        period=st.lists(st.integers(0, 50), min_size=1, max_size=9),
        reps=st.integers(1, 60),
        prefix=st.lists(st.integers(0, 50), max_size=20),
        ngram=st.integers(1, 45),
    )
    def test_periodic(self, period, reps, prefix, ngram):
        _same(prefix + period * reps, ngram)

    @FAST
    @given(
        chunks=st.lists(
            st.lists(st.integers(0, 9), min_size=1, max_size=30), min_size=1, max_size=6
        ),
        picks=st.lists(st.integers(0, 5), min_size=1, max_size=12),
        ngram=st.integers(1, 20),
    )
    def test_copied_segments(self, chunks, picks, ngram):
        ids = [t for k in picks for t in chunks[k % len(chunks)]]
        _same(ids, ngram)

    @pytest.mark.parametrize("length,ngram", [(2048, 40), (4096, 8), (1000, 1)])
    def test_thue_morse(self, length, ngram):
        _same(_thue_morse(length), ngram)

    def test_paper_scale_response(self):
        rng = np.random.default_rng(0)
        ids = rng.integers(0, 32000, 14336)
        for _ in range(30):  # paste copies of earlier spans, as degenerate loops do
            src, dst, size = rng.integers(0, 14000), rng.integers(0, 14000), rng.integers(30, 300)
            ids[dst : dst + size] = ids[src : src + size].copy()
        _same(ids.tolist(), 40)


class TestCollisionsCannotFalsePositive:
    """A hash match is only a candidate: the tokens decide."""

    @FAST
    @given(ids=st.lists(st.integers(0, 5), max_size=120), ngram=st.integers(1, 8))
    def test_weak_sum_hash(self, ids, ngram):
        # base 1 hashes a window to the sum of its tokens: permutations collide.
        weak = repeated_ngram_starts(ids, ngram, _base=1)
        assert weak.tolist() == repeated_ngram_starts(ids, ngram).tolist()

    @FAST
    @given(ids=st.lists(st.integers(0, 5), max_size=120), ngram=st.integers(1, 8))
    def test_every_window_collides(self, ids, ngram):
        # A constant hash puts every window in one group: only the exact path can answer.
        original = rep._window_hashes
        rep._window_hashes = lambda x, n, base: np.zeros(len(x) - n + 1, dtype=np.uint64)
        try:
            out = repetition_mask(ids, ngram=ngram)
        finally:
            rep._window_hashes = original
        expected = [v != 0.0 for v in repetition_penalty_reference(ids, ngram=ngram)]
        assert out.tolist() == expected

    def test_permutation_is_not_a_repeat(self):
        # [1, 2] and [2, 1] have equal sums; with the sum hash they collide.
        assert repeated_ngram_starts([1, 2, 2, 1], 2, _base=1).tolist() == [False, False, False]


class TestSequenceLevel:
    def test_docstring_numbers(self):
        assert sequence_repetition_penalty([1, 2, 3, 4], ngram=2) == 0.0
        assert sequence_repetition_penalty([5, 5, 5, 5, 5], ngram=2) == -0.75
        assert sequence_repetition_penalty([1], ngram=3) == 0.0

    @FAST
    @given(
        batch=st.lists(st.lists(st.integers(0, 4), max_size=60), min_size=1, max_size=5),
        ngram=st.integers(1, 6),
        max_penalty=st.floats(-5.0, 0.0),
    )
    def test_same_numbers_as_trl(self, batch, ngram, max_penalty):
        from trl.rewards import get_repetition_penalty_reward

        trl_reward = get_repetition_penalty_reward(ngram_size=ngram, max_penalty=max_penalty)
        ours = [
            sequence_repetition_penalty(ids, ngram=ngram, max_penalty=max_penalty) for ids in batch
        ]
        assert ours == trl_reward(batch)

    def test_positive_max_penalty_rejected(self):
        with pytest.raises(ValueError, match="max_penalty"):
            sequence_repetition_penalty([1, 2], max_penalty=1.0)


def test_functions_pickle():
    # Rollout workers receive reward callables by pickle.
    for fn in (repetition_penalty, sequence_repetition_penalty):
        assert pickle.loads(pickle.dumps(fn)) is fn
