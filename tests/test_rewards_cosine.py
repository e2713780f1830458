"""Shape of the cosine length-scaled reward (paper §4.2), its presets, and
agreement with TRL's ``get_cosine_scaled_reward`` where the two overlap."""

from __future__ import annotations

import math
import pickle
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longcot.rewards import PRESETS, CosineReward, cos_fn, cosine_reward, get_preset

PAPER = CosineReward()
MAX = 14336  # 16K context: 2048 prompt + 14336 generation

lengths = st.integers(0, MAX)
budgets = st.integers(1, 40000)


class TestFormulaValues:
    @pytest.mark.parametrize(
        "correct,length,expected",
        [
            (True, 0, 2.0),  # CosFn(0) = r0c
            (True, MAX // 2, 1.5),  # 1 + (2 - 1) * (1 + cos(pi/2)) / 2
            (True, MAX, 1.0),  # CosFn(T) = rLc
            (False, 0, -10.0),  # r0w
            (False, MAX // 2, -5.0),  # 0 + (-10 - 0) * (1 + 0) / 2
            (False, MAX, 0.0),  # rLw
        ],
    )
    def test_paper_values_at_0_half_and_max(self, correct, length, expected):
        assert PAPER(correct=correct, length=length, max_length=MAX) == pytest.approx(expected)

    def test_quarter_length_by_hand(self):
        # 1 + 0.5 * (1 + cos(pi/4)) = 1.853553...
        expected = 1 + 0.5 * (1 + math.sqrt(2) / 2)
        assert PAPER(correct=True, length=MAX // 4, max_length=MAX) == pytest.approx(expected)

    @given(half=st.integers(1, 20000), correct=st.booleans())
    def test_formula_at_0_half_and_max_for_any_budget(self, half, correct):
        budget = 2 * half
        r0, rL = (2.0, 1.0) if correct else (-10.0, 0.0)
        at = [PAPER(correct=correct, length=t, max_length=budget) for t in (0, half, budget)]
        # CosFn(0) = r0, CosFn(T/2) = (r0 + rL) / 2 since cos(pi/2) = 0, CosFn(T) = rL
        assert at == pytest.approx([r0, (r0 + rL) / 2, rL], abs=1e-12)

    @given(length=st.integers(MAX, 10 * MAX))
    def test_clamped_past_max_length(self, length):
        assert PAPER(correct=True, length=length, max_length=MAX) == pytest.approx(1.0)
        assert PAPER(correct=False, length=length, max_length=MAX) == pytest.approx(0.0)

    def test_function_form_matches_class(self):
        assert cosine_reward(correct=True, length=100, max_length=1000) == PAPER(
            correct=True, length=100, max_length=1000
        )

    def test_cos_fn_endpoints(self):
        assert cos_fn(0, 10, a=1.0, b=2.0) == 2.0
        assert cos_fn(10, 10, a=1.0, b=2.0) == 1.0
        assert cos_fn(-5, 10, a=1.0, b=2.0) == 2.0  # clamped below too


class TestShapeProperties:
    @given(length=lengths)
    def test_correct_beats_wrong_at_every_length(self, length):
        assert PAPER(correct=True, length=length, max_length=MAX) > PAPER(
            correct=False, length=length, max_length=MAX
        )

    @given(a=lengths, b=lengths, budget=budgets)
    def test_correct_shorter_rewarded_more(self, a, b, budget):
        short, long_ = min(a, b), max(a, b)
        assert PAPER(correct=True, length=short, max_length=budget) >= PAPER(
            correct=True, length=long_, max_length=budget
        )

    @given(a=lengths, b=lengths, budget=budgets)
    def test_wrong_longer_penalized_less(self, a, b, budget):
        short, long_ = min(a, b), max(a, b)
        assert PAPER(correct=False, length=short, max_length=budget) <= PAPER(
            correct=False, length=long_, max_length=budget
        )

    @given(length=lengths, correct=st.booleans())
    def test_truncation_gives_exceed_penalty(self, length, correct):
        assert PAPER(correct=correct, length=length, max_length=MAX, truncated=True) == -10.0

    @given(length=lengths, correct=st.booleans())
    def test_margin_rule(self, length, correct):
        reward = CosineReward(exceed_margin=16)
        value = reward(correct=correct, length=length, max_length=MAX)
        if length + 16 >= MAX:
            assert value == -10.0
        else:
            assert value == PAPER(correct=correct, length=length, max_length=MAX)

    @given(length=lengths, budget=budgets)
    def test_values_stay_between_endpoints(self, length, budget):
        assert 1.0 <= PAPER(correct=True, length=length, max_length=budget) <= 2.0
        assert -10.0 <= PAPER(correct=False, length=length, max_length=budget) <= 0.0


class TestPresets:
    def test_classic_is_one_zero_zero(self):
        classic = get_preset("classic")
        assert classic(correct=True, length=5000, max_length=MAX) == 1.0
        assert classic(correct=False, length=5000, max_length=MAX) == 0.0
        assert classic(correct=True, length=5000, max_length=MAX, truncated=True) == 0.0

    def test_base_rl(self):
        base = get_preset("base_rl")
        assert base(correct=True, length=10, max_length=MAX) == 1.0
        assert base(correct=False, length=10, max_length=MAX) == -0.5
        assert base(correct=False, length=10, max_length=MAX, no_answer=True) == -1.0

    def test_no_answer_is_wrong_in_the_paper_preset(self):
        assert PAPER(correct=False, length=0, max_length=MAX, no_answer=True) == -10.0

    @pytest.mark.parametrize(
        "name,ends",
        [
            ("ablation_a", (0, 10, 0, 0)),
            ("ablation_b", (6, 5, -10, 0)),
            ("ablation_c", (10, 9, -10, 0)),
        ],
    )
    def test_ablation_end_points(self, name, ends):
        r = get_preset(name)
        r0c, rLc, r0w, rLw = ends
        assert r(correct=True, length=0, max_length=MAX) == pytest.approx(r0c)
        assert r(correct=True, length=MAX, max_length=MAX) == pytest.approx(rLc)
        assert r(correct=False, length=0, max_length=MAX) == pytest.approx(r0w)
        assert r(correct=False, length=MAX, max_length=MAX) == pytest.approx(rLw)

    def test_unknown_preset_lists_names(self):
        with pytest.raises(ValueError, match="paper"):
            get_preset("papr")

    def test_every_preset_round_trips_through_dict(self):
        for reward in PRESETS.values():
            assert CosineReward.from_dict(reward.to_dict()) == reward


class TestValidation:
    @pytest.mark.parametrize(
        "kwargs,match",
        [
            ({"length": -1}, "length"),
            ({"length": 3.5}, "length"),
            ({"max_length": 0}, "max_length"),
        ],
    )
    def test_bad_call_arguments(self, kwargs, match):
        call = {"correct": True, "length": 10, "max_length": 100} | kwargs
        with pytest.raises(ValueError, match=match):
            PAPER(**call)

    @pytest.mark.parametrize(
        "kwargs,match",
        [
            ({"r0_correct": float("inf")}, "r0_correct"),
            ({"r_no_answer": "x"}, "r_no_answer"),
            ({"exceed_margin": -1}, "exceed_margin"),
        ],
    )
    def test_bad_settings(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            CosineReward(**kwargs)

    def test_unknown_dict_key(self):
        with pytest.raises(ValueError, match="r0_corect"):
            CosineReward.from_dict({"r0_corect": 1.0})


def test_pickle_and_threads():
    reward = pickle.loads(pickle.dumps(get_preset("paper_margin16")))
    assert reward == get_preset("paper_margin16")
    out = []
    t = threading.Thread(target=lambda: out.append(reward(correct=True, length=0, max_length=100)))
    t.start()
    t.join()
    assert out == [2.0]


class TestSameNumbersAsTRL:
    """TRL's reward has no exceed penalty and decides correctness itself, so
    compare on unambiguous answers, lengths within budget, no truncation."""

    @settings(max_examples=50, deadline=None)
    @given(
        lengths_=st.lists(st.integers(0, 3000), min_size=2, max_size=2),
        max_len=st.integers(1, 3000),
    )
    def test_paper_values(self, lengths_, max_len):
        from trl.rewards import get_cosine_scaled_reward

        # TRL's names: "min/max" are the long/short ends for correct answers and
        # the short/long ends for wrong ones (it swaps them internally).
        trl_reward = get_cosine_scaled_reward(
            max_len=max_len,
            min_value_wrong=-10.0,
            max_value_wrong=0.0,
            min_value_correct=1.0,
            max_value_correct=2.0,
        )
        completions = [[{"content": r"\boxed{\frac{1}{3}}"}], [{"content": r"\boxed{\frac{1}{2}}"}]]
        ids = [[1] * n for n in lengths_]
        theirs = trl_reward(completions, [r"\frac{1}{3}"] * 2, ids)
        ours = [
            PAPER(correct=True, length=lengths_[0], max_length=max_len),
            PAPER(correct=False, length=lengths_[1], max_length=max_len),
        ]
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
