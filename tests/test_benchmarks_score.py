"""longcot.benchmarks: score() hands each benchmark's gold to verify.grade in the right form.

These tests check the contract between the two modules (the gold formats the
loaders produce are the ones the verifier grades), not the verifier's own
equivalence rules, which its tests cover.
"""

from __future__ import annotations

import pytest

import longcot.verify as verify
from longcot.benchmarks import BENCHMARKS


def _by_id(benchmarks_dir, name):
    return {e.id: e for e in BENCHMARKS[name].load(benchmarks_dir)}


# (benchmark, example id, response, expected status)
CASES = [
    (
        "math500",
        "test/precalculus/807.json",
        "So $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$.",
        "correct",
    ),
    ("math500", "test/precalculus/807.json", "So $\\boxed{(3, 0)}$.", "incorrect"),
    ("math500", "test/precalculus/807.json", "I am not sure.", "no_answer"),
    ("aime24", "60", "The walk takes $\\boxed{204}$ minutes.", "correct"),
    ("aime24", "67", "$\\boxed{025}$", "correct"),  # gold stored as "025", loaded as 25
    ("aime24", "67", "$\\boxed{25}$", "correct"),
    ("aime24", "67", "$\\boxed{26}$", "incorrect"),
    ("theoremqa", "jianyu_xu/Lah_number_6.json", "There are $\\boxed{11760}$ ways.", "correct"),
    ("theoremqa", "jianyu_xu/Lah_number_6.json", "There are $\\boxed{11761}$ ways.", "incorrect"),
    ("mmlu_pro_1k", "9701", "The increase is 0.0032 ft, so $\\boxed{A}$.", "correct"),
    ("mmlu_pro_1k", "9701", "the answer is (A)", "correct"),
    ("mmlu_pro_1k", "9701", "$\\boxed{B}$", "incorrect"),
    ("mmlu_pro", "3983", "$\\boxed{C}$", "correct"),  # the letter, not answer_index, is gold
    ("math_train", "train/algebra/0.json", "$a+b=\\boxed{0}$", "correct"),
    # No reference answer in the dataset: the sample says nothing about the model.
    ("math_train", "train/algebra/24014.json", "$\\boxed{5}$", "bad_gold"),
    ("math_train", "train/number_theory/7115.json", "$\\boxed{0}$", "bad_gold"),
]


@pytest.mark.parametrize("name, example_id, response, status", CASES)
def test_score_cases(benchmarks_dir, name, example_id, response, status):
    bench = BENCHMARKS[name]
    example = _by_id(benchmarks_dir, name)[example_id]
    verdict = bench.score(example, response)
    assert verdict.status == status, verdict


def test_score_passes_grade_options_through(benchmarks_dir):
    bench = BENCHMARKS["aime24"]
    example = bench.load(benchmarks_dir, limit=1)[0]
    assert bench.score(example, "$\\boxed{204}$", timeout=2.0).correct


def _natural(gold):
    """A TheoremQA gold as a model would write it: True, [1, 2], 0.25, (c)."""
    if isinstance(gold, bool):
        return "True" if gold else "False"
    return str(gold)


@pytest.mark.parametrize(
    "name, render",
    [
        ("aime24", str),
        ("theoremqa", _natural),
        ("mmlu_pro_1k", str),
    ],
)
def test_every_gold_grades_correct_against_itself(benchmarks_dir, name, render):
    bench = BENCHMARKS[name]
    failures = []
    for example in bench.load(benchmarks_dir):
        verdict = bench.score(
            example, f"Therefore the final answer is $\\boxed{{{render(example.gold)}}}$."
        )
        if not verdict.correct:
            failures.append((example.id, example.gold, verdict.status, verdict.reason))
    assert not failures, f"{len(failures)} golds do not grade correct, e.g. {failures[:5]}"


def test_benchmark_tasks_are_the_verifier_tasks():
    from longcot.benchmarks import TASKS

    assert set(TASKS) == set(verify.TASKS)
    assert {b.task for b in BENCHMARKS.values()} <= set(verify.TASKS)
