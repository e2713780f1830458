"""Response statistics against hand-computed values (lengths in tokens, numpy's linear p90)."""

from __future__ import annotations

import math

import pytest

from longcot.analyze import Response, response_stats
from longcot.analyze.stats import keys_with_prefix, series, sft_group
from longcot.reflection import FEATURES


def R(length, status="correct", truncated=False, text=""):
    return Response.of(text, length, status, truncated)


def test_lengths_split_by_correctness_and_bad_gold_left_out_of_accuracy():
    stats = response_stats(
        [
            R(10, text="Wait, recheck."),
            R(20, text="Alternatively, x. wait"),
            R(30, text="```python\nprint(1)\n```"),
            R(5, "incorrect"),
            R(15, "no_answer", truncated=True, text="alternatively without a comma"),
            R(100, "bad_gold", truncated=True),
        ]
    )
    assert stats.responses == 6
    assert stats.graded == 5
    assert stats.accuracy == pytest.approx(3 / 5)
    # all six: (10+20+30+5+15+100)/6 = 30; sorted 5,10,15,20,30,100 -> p90 at index 4.5 = 30 + .5*70
    assert stats.length_mean == pytest.approx(30.0)
    assert stats.length_p90 == pytest.approx(65.0)
    # correct 10,20,30: mean 20, p90 at index 1.8 = 20 + .8*10; wrong 5,15: mean 10, p90 5 + .9*10
    assert stats.correct_mean == pytest.approx(20.0)
    assert stats.correct_p90 == pytest.approx(28.0)
    assert stats.wrong_mean == pytest.approx(10.0)
    assert stats.wrong_p90 == pytest.approx(14.0)
    assert stats.truncated_rate == pytest.approx(2 / 6)
    r = stats.reflection
    assert list(r) == list(FEATURES)
    assert r["wait"] == pytest.approx(2 / 6)
    assert r["recheck"] == pytest.approx(1 / 6)
    assert r["alternatively"] == pytest.approx(2 / 6)  # the word, comma or not
    assert r["branching"] == pytest.approx(1 / 6)  # only "alternatively,"
    assert r["coding"] == pytest.approx(1 / 6)
    assert r["retry"] == r["however"] == 0.0


def test_empty_groups_are_none_not_nan():
    only_wrong = response_stats([R(7, "incorrect"), R(9, "timeout")])
    assert only_wrong.accuracy == 0.0
    assert only_wrong.correct_mean is None and only_wrong.correct_p90 is None
    assert only_wrong.wrong_mean == pytest.approx(8.0)
    empty = response_stats([])
    assert empty.responses == 0 and empty.accuracy is None and empty.length_mean is None
    assert empty.truncated_rate is None
    assert all(v == 0.0 for v in empty.reflection.values())
    all_bad = response_stats([R(3, "bad_gold")])
    assert all_bad.accuracy is None and all_bad.length_mean == 3.0


def test_series_skips_missing_null_and_non_finite_values():
    rows = [
        {"step": 1, "kl": 0.5},
        {"step": 2},  # not logged this step
        {"step": 3, "kl": None},  # NaN is logged as null
        {"step": 4, "kl": math.inf},
        {"step": 5, "kl": True},  # a bool is not a measurement
        {"step": 6, "kl": 0.25},
    ]
    assert series(rows, "kl") == ([1, 6], [0.5, 0.25])
    assert series([{"step": 1, "loss": 2.0, "train_tokens": 40}], "loss", x="train_tokens") == (
        [40],
        [2.0],
    )


def test_keys_with_prefix_keeps_first_seen_order_and_needs_a_number():
    rows = [{"reward/mean": 1.0, "reward/correctness": None}, {"reward/correctness": 0.5, "x": 1}]
    assert keys_with_prefix(rows, "reward/") == ["reward/mean", "reward/correctness"]


@pytest.mark.parametrize(
    "data,expected",
    [
        ({"source": "runs/sample-long/sft_n4.jsonl"}, "sample-long"),  # one teacher's folder
        ({"source": "sft_n4.jsonl"}, "sft_n4.jsonl"),  # a file in the working folder
        ({"source": "arith_train", "solution_field": "long_cot"}, "arith_train long_cot"),
        ({"source": "math_train"}, "math_train"),
        ({}, "sft"),
    ],
)
def test_sft_group_names_the_training_set(data, expected):
    assert sft_group({"data": data}) == expected
