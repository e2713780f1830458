"""Exact math of reward streams: discounted returns, the discount fold for
single-discount trainers, and the combination of streams (paper §4.6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from longcot.rewards import (
    combine_streams,
    discounted_returns,
    fold_discount,
    multi_stream_returns,
)


def _loop_returns(r, gamma):
    # The definition, one token at a time from the end.
    out, g = [0.0] * len(r), 0.0
    for t in range(len(r) - 1, -1, -1):
        g = r[t] + gamma * g
        out[t] = g
    return out


rewards = arrays(np.float64, st.integers(0, 200), elements=st.floats(-10, 10))
gammas = st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]), st.floats(0.0, 1.0))


class TestDiscountedReturns:
    def test_by_hand(self):
        # G_2 = 1; G_1 = 0 + 0.5 * 1; G_0 = 0 + 0.5 * 0.5
        assert discounted_returns(np.array([0.0, 0.0, 1.0]), 0.5).tolist() == [0.25, 0.5, 1.0]

    def test_gamma_one_is_reverse_cumsum(self):
        assert discounted_returns(np.array([1.0, 2.0, 3.0]), 1.0).tolist() == [6.0, 5.0, 3.0]

    def test_gamma_zero_is_identity(self):
        assert discounted_returns(np.array([1.0, -2.0]), 0.0).tolist() == [1.0, -2.0]

    @settings(max_examples=200, deadline=None)
    @given(r=rewards, gamma=gammas)
    def test_matches_loop(self, r, gamma):
        assert discounted_returns(r, gamma) == pytest.approx(
            _loop_returns(r.tolist(), gamma), abs=1e-9
        )

    @pytest.mark.parametrize("gamma", [0.3, 0.9, 0.99, 0.999])
    def test_long_sequences_cross_blocks_without_overflow(self, gamma):
        # 0.3**-14336 would overflow float64 without blocking.
        rng = np.random.default_rng(0)
        r = rng.normal(size=14336)
        fast = discounted_returns(r, gamma)
        assert np.isfinite(fast).all()
        assert fast == pytest.approx(_loop_returns(r.tolist(), gamma), rel=1e-9, abs=1e-9)

    def test_batched_along_last_axis(self):
        r = np.arange(12, dtype=float).reshape(3, 4)
        out = discounted_returns(r, 0.9)
        for row_in, row_out in zip(r, out, strict=True):
            assert row_out == pytest.approx(_loop_returns(row_in.tolist(), 0.9))

    @pytest.mark.parametrize("gamma", [-0.1, 1.5, True, "0.9"])
    def test_bad_gamma(self, gamma):
        with pytest.raises(ValueError, match="gamma"):
            discounted_returns(np.zeros(3), gamma)


class TestFold:
    @settings(max_examples=200, deadline=None)
    @given(r=rewards, gamma=gammas)
    def test_undiscounted_return_of_fold_is_discounted_return(self, r, gamma):
        folded = fold_discount(r, gamma)
        assert discounted_returns(folded, 1.0) == pytest.approx(
            discounted_returns(r, gamma), abs=1e-8
        )

    def test_sparse_stream_with_gamma_one_is_unchanged(self):
        r = np.array([0.0, 0.0, 2.0])
        assert fold_discount(r, 1.0).tolist() == r.tolist()

    def test_combine_equals_sum_of_stream_returns(self):
        rng = np.random.default_rng(1)
        streams = {
            "correctness": np.r_[np.zeros(99), 1.7],
            "repetition": -0.05 * (rng.random(100) < 0.3),
        }
        gammas = {"correctness": 1.0, "repetition": 0.99}
        combined = combine_streams(streams, gammas)
        assert discounted_returns(combined, 1.0) == pytest.approx(
            multi_stream_returns(streams, gammas), abs=1e-12
        )

    def test_combine_needs_a_gamma_per_stream(self):
        with pytest.raises(ValueError, match="repetition"):
            combine_streams({"repetition": np.zeros(2)}, {})

    def test_combine_rejects_shape_mismatch(self):
        with pytest.raises(ValueError, match="shape"):
            combine_streams({"a": np.zeros(2), "b": np.zeros(3)}, {"a": 1.0, "b": 1.0})
