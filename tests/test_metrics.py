"""Evaluation metrics against hand-computed values, and each metric's stated direction."""

from __future__ import annotations

import math

import pytest

from longcot.evaluate import metrics as m
from longcot.evaluate.summary import benchmark_metrics


class TestPassAtK:
    @pytest.mark.parametrize(
        "n,c,k,expected",
        [
            (4, 1, 1, 0.25),  # pass@1 = c / n
            (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
            (5, 2, 3, 0.9),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
            (16, 3, 8, 0.9),  # 1 - C(13,8)/C(16,8) = 1 - 1287/12870
            (4, 0, 4, 0.0),  # nothing correct: never passes
            (4, 3, 2, 1.0),  # n - c = 1 < k = 2: every 2-subset holds a correct one
            (4, 4, 1, 1.0),
        ],
    )
    def test_hand_computed(self, n, c, k, expected):
        assert m.pass_at_k(n, c, k) == pytest.approx(expected)

    def test_equals_binomial_formula_for_all_small_cases(self):
        for n in range(1, 17):
            for c in range(n + 1):
                for k in range(1, n + 1):
                    exact = 1 - math.comb(n - c, k) / math.comb(n, k)
                    assert m.pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)

    @pytest.mark.parametrize("n,c,k", [(4, 5, 1), (4, -1, 1), (4, 1, 0), (4, 1, 5)])
    def test_rejects_impossible_arguments(self, n, c, k):
        with pytest.raises(ValueError):
            m.pass_at_k(n, c, k)

    def test_mean_over_problems_and_ragged_input(self):
        # problem 1: 1 of 4 correct -> pass@2 0.5; problem 2: 4 of 4 -> 1.0
        correct = [[True, False, False, False], [True] * 4]
        assert m.mean_pass_at_k(correct, 2) == pytest.approx(0.75)
        # a problem with fewer samples than k makes pass@k undefined, not silently biased
        assert m.mean_pass_at_k([[True, False], [True]], 2) is None


class TestMeanAccuracy:
    def test_mean_and_standard_error_over_problems(self):
        # per-problem means 0.25, 0.5, 1.0 -> mean 7/12; deviations -1/3, -1/12, 5/12
        # -> sample variance (1/9 + 1/144 + 25/144) / 2 = 0.1458333 -> SE sqrt(.) / sqrt(3)
        correct = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]]
        mean, se = m.mean_accuracy(correct)
        assert mean == pytest.approx(7 / 12)
        assert se == pytest.approx(math.sqrt(0.1458333333) / math.sqrt(3))

    def test_one_problem_has_no_standard_error(self):
        assert m.mean_accuracy([[True, False]]) == (0.5, None)

    def test_ragged_problems_weigh_equally(self):
        # 1/1 and 0/3: problems weigh equally (0.5), not samples (0.25)
        assert m.mean_accuracy([[True], [False, False, False]])[0] == pytest.approx(0.5)


class TestMajority:
    def test_equal_normal_forms_vote_together(self):
        answers = ["3", r"\dfrac{1}{2}", r"\frac{1}{2}", None]
        assert m.majority_correct(answers, [False, True, True, False]) is True

    def test_tie_goes_to_the_first_answer(self):
        assert m.majority_correct(["3", "4"], [False, True]) is False
        assert m.majority_correct(["4", "3"], [True, False]) is True

    def test_samples_without_answer_do_not_vote(self):
        assert m.majority_correct([None, None, "5"], [False, False, True]) is True
        assert m.majority_correct([None, None], [False, False]) is False

    def test_aime_leading_zeros_and_letter_case(self):
        assert m.answer_key("025") == m.answer_key("25") == "25"
        assert m.answer_key("b") == m.answer_key("B")

    def test_maj_at_k_uses_the_first_k_samples(self):
        answers = [["1", "2", "2", "2"]]
        correct = [[True, False, False, False]]
        assert m.maj_at_k(answers, correct, 1) == 1.0  # only "1" votes
        assert m.maj_at_k(answers, correct, 4) == 0.0  # "2" wins 3-1
        assert m.maj_at_k(answers, correct, 8) is None

    def test_ks(self):
        assert m.ks_for(1) == [1]
        assert m.ks_for(4) == [1, 2, 4]
        assert m.ks_for(6) == [1, 2, 4, 6]
        assert m.ks_for(16) == [1, 2, 4, 8, 16]


class TestLengthsAndTruncation:
    def test_length_stats(self):
        # p90 with linear interpolation: position 0.9 * 4 = 3.6 -> 4 + 0.6 * (10 - 4) = 7.6
        stats = m.length_stats([3, 1, 10, 2, 4])
        assert stats == {"tokens_mean": 4.0, "tokens_median": 3.0, "tokens_p90": pytest.approx(7.6)}
        assert m.length_stats([])["tokens_mean"] is None

    def test_truncation_stats(self):
        stats = m.truncation_stats(
            [True, True, False, False, False], [False, True, True, False, False]
        )
        assert stats["cap_hit_rate"] == pytest.approx(0.4)
        assert stats["accuracy_finished"] == pytest.approx(1 / 3)
        assert stats["accuracy_truncated"] == pytest.approx(0.5)
        none_cut = m.truncation_stats([False], [True])
        assert none_cut["accuracy_truncated"] is None and none_cut["cap_hit_rate"] == 0.0

    def test_status_counts(self):
        counts = m.status_counts(["correct", "no_answer", "timeout", "no_answer", "bad_gold"])
        assert counts == {"no_answer_rate": 0.4, "timeouts": 1, "bad_gold": 1}


# -- the summary of result rows, and each metric's documented direction -------


def _row(status="incorrect", extracted="7", tokens=100, truncated=False, response="x"):
    return {
        "verdict": {"status": status},
        "extracted": extracted,
        "completion_tokens": tokens,
        "truncated": truncated,
        "response": response,
    }


def test_bad_gold_problems_are_left_out_of_accuracy():
    rows = [[_row("correct")] * 2, [_row("bad_gold", None)] * 2]
    out = benchmark_metrics(rows, 2)
    assert out["accuracy"] == 1.0 and out["problems_graded"] == 1 and out["bad_gold"] == 2


def test_partial_runs_are_flagged():
    out = benchmark_metrics([[_row("correct")], [_row(), _row()]], 2)
    assert out["complete"] is False and out["pass@2"] is None


def test_every_registered_metric_is_computed():
    out = benchmark_metrics([[_row(), _row()]] * 2, 2)
    for name in m.METRICS:
        if name.endswith("@k"):
            assert f"{name[:-1]}2" in out
        else:
            assert name in out, name


# For each metric with a direction: a worse and a better set of responses (3
# problems x 4 samples), differing only in what the metric measures.
WORSE_BETTER = {
    "accuracy": (
        [[_row("correct"), _row(), _row(), _row()]] * 3,
        [[_row("correct")] * 3 + [_row()]] * 3,
    ),
    "pass@k": (
        [[_row()] * 4, [_row()] * 4, [_row("correct")] + [_row()] * 3],
        [[_row("correct")] + [_row()] * 3] * 3,
    ),
    "maj@k": (
        # maj@2: a 1-1 tie goes to the first answer, here the wrong "2"
        [[_row("incorrect", "2"), _row("correct", "1"), _row(), _row()]] * 3,
        [[_row("correct", "1"), _row("correct", "1"), _row(), _row()]] * 3,
    ),
    "cap_hit_rate": ([[_row(truncated=True)] * 4] * 3, [[_row(truncated=False)] * 4] * 3),
    "accuracy_finished": (
        [[_row(), _row("correct", truncated=True)] * 2] * 3,
        [[_row("correct"), _row("correct", truncated=True)] * 2] * 3,
    ),
    "accuracy_truncated": (
        [[_row("correct"), _row(truncated=True)] * 2] * 3,
        [[_row("correct"), _row("correct", truncated=True)] * 2] * 3,
    ),
    "no_answer_rate": ([[_row("no_answer", None)] * 4] * 3, [[_row()] * 4] * 3),
    "timeouts": ([[_row("timeout", None)] + [_row()] * 3] * 3, [[_row()] * 4] * 3),
    # Same spread of per-problem accuracy, more problems: a more precise estimate.
    "accuracy_se": (
        [[_row("correct")] * 4, [_row()] * 4],
        [[_row("correct")] * 4, [_row()] * 4] * 8,
    ),
}


@pytest.mark.parametrize("name", sorted(WORSE_BETTER))
def test_metric_moves_in_its_documented_direction(name):
    worse, better = (benchmark_metrics(rows, len(rows[0])) for rows in WORSE_BETTER[name])
    key = name.replace("@k", "@2")
    assert worse[key] != better[key], "the pair does not exercise the metric"
    if m.METRICS[name].higher_is_better:
        assert better[key] > worse[key]
    else:
        assert better[key] < worse[key]


def test_every_directed_metric_has_a_direction_test():
    directed = {n for n, info in m.METRICS.items() if info.higher_is_better is not None}
    assert directed == set(WORSE_BETTER)


def test_lengths_have_no_direction():
    assert all(m.METRICS[n].higher_is_better is None for n in m.METRICS if n.startswith("tokens_"))
