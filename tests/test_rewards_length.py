"""Length rewards next to the cosine reward: DAPO soft overlong, Kimi 1.5, overlong filter flag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from longcot.rewards import RewardSpec
from longcot.rewards.length import dapo_soft_overlong, kimi_length_rewards
from longcot.rewards.samples import LENGTH, OVERLONG, Response
from longcot.verify import Verdict


class TestDapoSoftOverlong:
    def test_free_zone_ramp_and_beyond(self):
        # L_max 100, L_cache 20: free up to 80, then (80 - L) / 20, -1 past 100.
        assert dapo_soft_overlong(80, 100, 20) == 0.0
        assert dapo_soft_overlong(85, 100, 20) == pytest.approx(-0.25)
        assert dapo_soft_overlong(100, 100, 20) == pytest.approx(-1.0)
        assert dapo_soft_overlong(150, 100, 20) == -1.0

    @given(st.integers(0, 300), st.integers(1, 100))
    def test_bounded_and_monotone(self, length, cache):
        v = dapo_soft_overlong(length, 100, cache)
        assert -1.0 <= v <= 0.0
        assert dapo_soft_overlong(length + 1, 100, cache) <= v

    def test_bad_cache(self):
        with pytest.raises(ValueError, match="cache"):
            dapo_soft_overlong(10, 100, 0)

    def test_spec_stream_on_last_token(self):
        spec = RewardSpec.from_dict(
            {"max_length": 100, "preset": "classic", "soft_overlong_cache": 20}
        )
        [s] = spec.score_verdicts([Verdict("correct", "1")], [Response("x", [1] * 90)])
        assert s.streams[OVERLONG].tolist()[-1] == pytest.approx(-0.5)
        assert s.streams[OVERLONG][:-1].sum() == 0
        # Truncated at the budget: the -1 end of the ramp.
        [t] = spec.score_verdicts([Verdict("correct", "1")], [Response("x", [1] * 100, "length")])
        assert t.streams[OVERLONG][-1] == pytest.approx(-1.0)
        assert spec.gammas[OVERLONG] == spec.gamma_correctness


class TestKimi:
    def test_hand_computed_group(self):
        # L_min 10, L_max 30: λ = 0.5 - (L - 10) / 20 -> 0.5, 0, -0.5; wrong: min(0, λ).
        assert kimi_length_rewards([10, 20, 30], [True, False, True]) == [0.5, 0.0, -0.5]
        assert kimi_length_rewards([10, 30], [False, False]) == [0.0, -0.5]

    def test_equal_lengths_give_zero(self):
        assert kimi_length_rewards([7, 7, 7], [True, False, True]) == [0.0, 0.0, 0.0]

    def test_group_stream_skips_bad_gold(self):
        spec = RewardSpec(max_length=100, kimi_length_coef=2.0)
        verdicts = [Verdict("correct", "1"), Verdict("bad_gold"), Verdict("correct", "1")]
        responses = [Response("x", [1] * 10), Response("x", [1] * 50), Response("x", [1] * 30)]
        group = spec.add_group_streams(spec.score_verdicts(verdicts, responses))
        # Lengths 10 and 30 only: λ = 0.5 and -0.5, times 2.
        assert group[0].streams[LENGTH][-1] == pytest.approx(1.0)
        assert group[2].streams[LENGTH][-1] == pytest.approx(-1.0)
        assert group[1].streams[LENGTH].sum() == 0


def test_overlong_filter_and_extract_are_validated():
    assert RewardSpec(max_length=10, overlong_filter=True).overlong_filter
    with pytest.raises(ValueError, match="extract"):
        RewardSpec(max_length=10, extract="lenient")
    with pytest.raises(ValueError, match="soft_overlong_cache"):
        RewardSpec(max_length=10, soft_overlong_cache=11)


def test_extraction_policy_reaches_the_verifier():
    # A bare "4" is an answer under the default policy, not under strict (the
    # format incentive some RL recipes want).
    response = [Response("4", [7])]
    auto = RewardSpec(max_length=10, grade_workers=0).score("4", response)[0]
    strict = RewardSpec(max_length=10, grade_workers=0, extract="strict").score("4", response)[0]
    assert auto.verdict.status == "correct"
    assert strict.verdict.status == "no_answer"
