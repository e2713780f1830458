"""longcot.tasks.arithmetic: chains mod m, seeded generation, splits that never overlap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longcot.tasks.arithmetic import (
    ArithConfig,
    Chain,
    apply,
    generate,
    parse_chain,
    random_chain,
    split_of,
)


class TestChain:
    def test_left_to_right_mod_10(self):
        # ((0 - 2) - 4) + 9 = 3 (mod 10), not 0 - 2 - 4 + 9 = 3 by accident:
        # 2+3*4 is (2+3)*4 = 20 -> 0 left to right, 14 -> 4 with precedence.
        assert Chain(0, (("-", 2), ("-", 4), ("+", 9))).values == (0, 8, 4, 3)
        assert Chain(2, (("+", 3), ("*", 4))).answer == 0

    def test_text_and_statement(self):
        chain = Chain(7, (("*", 8), ("-", 9)), 10)
        assert chain.text == "7*8-9"
        assert chain.statement() == "Evaluate 7*8-9 from left to right, modulo 10."

    @pytest.mark.parametrize(
        "op, a, b, expected", [("+", 9, 9, 8), ("-", 0, 9, 1), ("*", 7, 8, 6), ("*", 5, 0, 0)]
    )
    def test_apply(self, op, a, b, expected):
        assert apply(op, a, b, 10) == expected

    def test_apply_rejects_unknown_op(self):
        with pytest.raises(ValueError, match="unknown operation '/'"):
            apply("/", 1, 2, 10)

    @given(st.integers(min_value=0, max_value=10_000))
    @settings(max_examples=50, deadline=None)
    def test_parse_inverts_text(self, seed):
        import random

        chain = random_chain(random.Random(seed), ArithConfig(modulus=13))
        assert parse_chain(chain.text, 13) == chain

    @pytest.mark.parametrize(
        "text, message", [("", "expected a number"), ("3", "at least one"), ("3/4", "position 1")]
    )
    def test_parse_errors_name_the_position(self, text, message):
        with pytest.raises(ValueError, match=message):
            parse_chain(text)


class TestConfig:
    def test_defaults_are_study_2(self):
        c = ArithConfig()
        assert (c.min_ops, c.max_ops, c.modulus, c.ops) == (3, 5, 10, ("+", "-", "*"))

    def test_space_counts_every_problem(self):
        # 10 start values x (3 ops x 10 operands)^k for k = 3, 4, 5.
        assert ArithConfig().space() == 10 * (30**3 + 30**4 + 30**5)
        assert ArithConfig(min_ops=1, max_ops=1, ops=("+",), modulus=2).space() == 2 * 2

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"min_ops": 0}, "min_ops"),
            ({"min_ops": 4, "max_ops": 3}, "min_ops <= max_ops"),
            ({"modulus": 1}, "modulus"),
            ({"ops": ("+", "/")}, "ops"),
            ({"ops": ()}, "ops"),
            ({"ops": ("+", "+")}, "distinct"),
            ({"test_fraction": 0.0}, "test_fraction"),
            ({"test_fraction": 1.0}, "test_fraction"),
        ],
    )
    def test_rejects_bad_values(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            ArithConfig(**kwargs)


class TestGenerate:
    def test_deterministic_for_a_seed(self):
        c = ArithConfig()
        assert generate(c, "train", 200, seed=3) == generate(c, "train", 200, seed=3)
        assert generate(c, "train", 200, seed=3) != generate(c, "train", 200, seed=4)

    def test_smaller_n_is_a_prefix(self):
        c = ArithConfig()
        assert generate(c, "test", 50) == generate(c, "test", 300)[:50]

    def test_distinct_and_within_the_config(self):
        c = ArithConfig(min_ops=2, max_ops=4, modulus=7, ops=("+", "*"))
        chains = generate(c, "train", 2000)
        assert len({ch.text for ch in chains}) == 2000
        for ch in chains:
            assert 2 <= len(ch.steps) <= 4
            assert all(op in ("+", "*") and 0 <= b < 7 for op, b in ch.steps)
            assert 0 <= ch.start < 7 and ch.modulus == 7
        # Lengths are uniform over 2..4: each about a third.
        counts = [sum(len(ch.steps) == k for ch in chains) for k in (2, 3, 4)]
        assert all(550 < n < 780 for n in counts), counts

    def test_splits_never_overlap_across_seeds(self):
        c = ArithConfig()
        test = {ch.text for s in range(3) for ch in generate(c, "test", 1000, seed=s)}
        train = {ch.text for s in range(3) for ch in generate(c, "train", 3000, seed=s)}
        assert not test & train
        assert all(split_of(t, c) == "test" for t in test)

    def test_split_share_matches_test_fraction(self):
        import random

        c = ArithConfig(test_fraction=0.25)
        rng = random.Random(0)
        texts = {random_chain(rng, c).text for _ in range(4000)}
        share = sum(split_of(t, c) == "test" for t in texts) / len(texts)
        assert share == pytest.approx(0.25, abs=0.03)  # 3 standard errors at n = 4000

    def test_salt_reshuffles_the_split(self):
        texts = [ch.text for ch in generate(ArithConfig(), "test", 200)]
        other = ArithConfig(split_salt="another")
        assert sum(split_of(t, other) == "test" for t in texts) < 60  # ~10% expected

    def test_too_many_problems_is_an_error(self):
        small = ArithConfig(min_ops=1, max_ops=1, ops=("+",), modulus=3)  # 9 problems
        with pytest.raises(ValueError, match="ask for at most"):
            generate(small, "train", 9)

    @pytest.mark.parametrize("split, n", [("dev", 1), ("train", -1)])
    def test_bad_arguments(self, split, n):
        with pytest.raises(ValueError):
            generate(ArithConfig(), split, n)
