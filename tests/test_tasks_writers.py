"""Short and long CoT writers: graded correct by the one verifier, and the long traces
hold exactly the reflection moves they claim (checked with longcot.reflection and audit)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longcot.reflection import FEATURES, keyword_counts, reflection_stats
from longcot.tasks.arithmetic import ArithConfig, Chain, generate
from longcot.tasks.writers import LongCoTStyle, audit, long_cot, short_cot
from longcot.verify import grade, grade_many

CHAIN = Chain(0, (("-", 2), ("-", 4), ("+", 9)), 10)
NO_REFLECTION = LongCoTStyle(p_slip=0.0, p_alt=0.0)


@st.composite
def chains(draw) -> Chain:
    modulus = draw(st.integers(min_value=2, max_value=12))
    ops = st.sampled_from(("+", "-", "*"))
    steps = draw(st.lists(st.tuples(ops, st.integers(0, modulus - 1)), min_size=1, max_size=6))
    return Chain(draw(st.integers(0, modulus - 1)), tuple(steps), modulus)


styles = st.builds(
    LongCoTStyle, p_slip=st.floats(0, 1, allow_nan=False), p_alt=st.floats(0, 1, allow_nan=False)
)


class TestFormats:
    def test_short(self):
        assert short_cot(CHAIN) == "0-2=8;8-4=4;4+9=3;\\boxed{3}"

    def test_long_without_reflection_checks_every_step(self):
        # − is checked by adding back, + by subtracting back.
        assert long_cot(CHAIN, NO_REFLECTION) == "0-2=8,8+2=0;8-4=4,4+4=8;4+9=3,3-9=4;\\boxed{3}"

    def test_multiplication_check_and_alternative(self):
        chain = Chain(7, (("*", 8),), 10)
        text = long_cot(chain, LongCoTStyle(p_slip=0.0, p_alt=1.0))
        # Check: operands swapped. Alternative: 7*(8-1) + 7 = 49 + 7 -> 9 + 7 = 6.
        assert text == "7*8=6,8*7=6;Alternatively,7*7=9,9+7=6;\\boxed{6}"

    def test_subtraction_alternative_adds_the_complement(self):
        text = long_cot(Chain(0, (("-", 2),), 10), LongCoTStyle(p_slip=0.0, p_alt=1.0))
        assert text == "0-2=8,8+2=0;Alternatively,0+8=8;\\boxed{8}"

    def test_slip_fails_its_check_then_wait_and_redo(self):
        text = long_cot(Chain(8, (("-", 4),), 10), LongCoTStyle(p_slip=1.0, p_alt=0.0))
        wrong = text.split("=")[1].split(",")[0]
        assert wrong != "4"
        back = (int(wrong) + 4) % 10
        assert text == f"8-4={wrong},{wrong}+4={back};Wait,8-4=4,4+4=8;\\boxed{{4}}"
        assert back != 8

    def test_deterministic_per_seed_and_problem(self):
        chains_ = generate(ArithConfig(), "train", 200)
        style = LongCoTStyle()
        first = [long_cot(c, style, seed=1) for c in chains_]
        assert first == [long_cot(c, style, seed=1) for c in chains_]
        # Order-independent: each trace depends only on (seed, problem).
        assert first[::-1] == [long_cot(c, style, seed=1) for c in chains_[::-1]]
        assert first != [long_cot(c, style, seed=2) for c in chains_]

    @pytest.mark.parametrize("field, value", [("p_slip", -0.1), ("p_alt", 1.5)])
    def test_style_rejects_bad_probability(self, field, value):
        with pytest.raises(ValueError, match=field):
            LongCoTStyle(**{field: value})


class TestGraded:
    @given(chain=chains(), style=styles, seed=st.integers(0, 2**31))
    @settings(max_examples=60, deadline=None)
    def test_both_writers_are_graded_correct(self, chain, style, seed):
        gold = str(chain.answer)
        assert grade(short_cot(chain), gold, task="math").status == "correct"
        assert grade(long_cot(chain, style, seed), gold, task="math").status == "correct"

    def test_a_wrong_answer_is_graded_incorrect(self):
        # The verifier is not trivially satisfied by the trace format.
        text = short_cot(CHAIN).replace("\\boxed{3}", "\\boxed{4}")
        assert grade(text, "3", task="math").status == "incorrect"

    def test_many_seeds_in_one_batch(self):
        chains_ = generate(ArithConfig(), "test", 300, seed=5)
        items = [
            {"response": text, "gold": str(c.answer)}
            for c in chains_
            for text in (short_cot(c), long_cot(c, LongCoTStyle(0.5, 0.5), seed=5))
        ]
        assert all(v.status == "correct" for v in grade_many(items))


class TestReflection:
    @given(chain=chains(), style=styles, seed=st.integers(0, 2**31))
    @settings(max_examples=200, deadline=None)
    def test_long_trace_claims_match_what_it_does(self, chain, style, seed):
        text = long_cot(chain, style, seed)
        a = audit(text, chain.modulus)
        counts = keyword_counts(text)
        # Every slip (the only false statements) is followed by an earned "Wait".
        assert a.false_equations == a.waits == a.earned_waits == counts["wait"]
        # Every alternative reaches the value of the step it follows.
        assert a.alternatives == a.agreeing_alternatives == counts["branching"]
        assert counts["alternatively"] == counts["branching"]
        assert a.answer == chain.answer
        # Each step is stated once plus once per slip, with one check each,
        # plus one or two equations per alternative.
        steps = len(chain.steps)
        assert a.equations >= 2 * (steps + a.waits) + a.alternatives

    @given(chain=chains())
    @settings(max_examples=50, deadline=None)
    def test_short_and_reflection_free_traces_hold_no_keywords(self, chain):
        for text in (short_cot(chain), long_cot(chain, NO_REFLECTION)):
            assert keyword_counts(text) == dict.fromkeys(FEATURES, 0)
            assert audit(text, chain.modulus).false_equations == 0

    @pytest.mark.parametrize("p_slip, p_alt", [(0.2, 0.2), (0.5, 0.1)])
    def test_keyword_rates_match_the_style(self, p_slip, p_alt):
        chains_ = generate(ArithConfig(), "train", 2000, seed=11)
        style = LongCoTStyle(p_slip=p_slip, p_alt=p_alt)
        stats = reflection_stats(long_cot(c, style, seed=11) for c in chains_)
        steps = statistics.mean(len(c.steps) for c in chains_)  # ~4
        # Mean count per response = p x steps; standard error ~0.02 at n = 2000,
        # so 0.08 is 4 standard errors.
        assert stats["wait"]["mean"] == pytest.approx(p_slip * steps, abs=0.08)
        assert stats["branching"]["mean"] == pytest.approx(p_alt * steps, abs=0.08)
        # Share of responses with at least one: E[1 - (1 - p)^steps] over 3..5 steps.
        expected = statistics.mean(1 - (1 - p_slip) ** len(c.steps) for c in chains_)
        assert stats["wait"]["rate"] == pytest.approx(expected, abs=0.04)
        for quiet in ("recheck", "retry", "however", "coding"):
            assert stats[quiet]["rate"] == 0


class TestAudit:
    def test_unearned_wait_and_disagreeing_alternative(self):
        # A model's trace: a needless "Wait" after a correct step, and an
        # alternative that lands elsewhere.
        a = audit("0-2=8,8+2=0;Wait,0-2=8,8+2=0;Alternatively,0+8=9;\\boxed{8}")
        assert (a.waits, a.earned_waits) == (1, 0)
        assert (a.alternatives, a.agreeing_alternatives, a.false_equations) == (1, 0, 1)

    def test_tolerates_garbage(self):
        a = audit("===;;Wait;\\boxed{")
        assert (a.equations, a.waits, a.answer) == (0, 1, None)
