"""TRL reward-function adapter: the GRPOTrainer calling contract, token lengths
from completion_ids, truncation from the end-of-sequence id, pickling."""

from __future__ import annotations

import pickle
import threading

import pytest

from longcot.adapters.trl import completion_text, get_reward_func, get_reward_funcs
from longcot.rewards import CosineReward, RewardSpec, discounted_returns, repetition_penalty

EOS = 2
SPEC = RewardSpec(max_length=64, ngram=4)
PAPER = CosineReward()


def rep_return(ids: list[int]) -> float:
    """The repetition stream's γ_p = 0.99 discounted return from the first token."""
    return float(discounted_returns(repetition_penalty(ids, ngram=4), 0.99)[0])


def _call(fn, completions, ids, **columns):
    return fn(
        prompts=["p"] * len(completions), completions=completions, completion_ids=ids, **columns
    )


class TestContract:
    def test_plain_and_conversational_completions(self):
        fn = get_reward_func(SPEC, eos_token_ids=[EOS])
        ids = [[5, 6, 7, EOS], [5, 6, 7, EOS]]
        plain = _call(fn, [r"so \boxed{4}", r"so \boxed{5}"], ids, answer=["4", "4"])
        chat = _call(
            fn,
            [
                [{"role": "assistant", "content": r"so \boxed{4}"}],
                [{"role": "assistant", "content": r"so \boxed{5}"}],
            ],
            ids,
            answer=["4", "4"],
        )
        # 3 tokens (EOS excluded), within budget: the cosine values at length 3 of 64
        expected = [
            PAPER(correct=True, length=3, max_length=64),
            PAPER(correct=False, length=3, max_length=64),
        ]
        assert plain == pytest.approx(expected) and chat == pytest.approx(expected)

    def test_missing_eos_means_truncated(self):
        fn = get_reward_func(SPEC, eos_token_ids=[EOS])
        out = _call(fn, [r"\boxed{4}"], [[5, 6, 7]], answer=["4"])
        assert out == [-10.0]

    def test_without_eos_ids_the_budget_decides(self):
        fn = get_reward_func(SPEC)
        out = _call(
            fn, [r"\boxed{4}", r"\boxed{4}"], [[9] * 10, list(range(64))], answer=["4", "4"]
        )
        # 9 repeated tokens (positions 1-9), each -0.05 discounted by 0.99^t
        expected = PAPER(correct=True, length=10, max_length=64) - 0.05 * sum(
            0.99**t for t in range(1, 10)
        )
        assert out[0] == pytest.approx(expected)
        assert out[1] == -10.0

    def test_total_is_the_scalar_reward(self):
        ids = [1, 2, 3, 4] * 5  # 16 repeated tokens at n = 4, positions 4-19
        fn = get_reward_func(SPEC, eos_token_ids=[EOS])
        (total,) = _call(fn, [r"\boxed{4}"], [[*ids, EOS]], answer=["4"])
        assert repetition_penalty(ids, ngram=4).sum() == pytest.approx(16 * -0.05)
        # outcome on the end-of-sequence token (γ = 1), penalties discounted from the start
        dense = -0.05 * sum(0.99**t for t in range(4, 20))
        assert rep_return(ids) == pytest.approx(dense)
        assert total == pytest.approx(PAPER(correct=True, length=20, max_length=64) + dense)

    def test_components(self):
        outcome, rep = get_reward_funcs(SPEC, eos_token_ids=[EOS])
        ids = [[1, 2, 3, 4] * 3 + [EOS]]
        repeated = rep_return([1, 2, 3, 4] * 3)
        assert _call(rep, ["no answer here"], ids) == [pytest.approx(repeated)]  # no gold needed
        assert _call(outcome, [r"\boxed{4}"], ids, answer=["4"]) == [
            pytest.approx(PAPER(correct=True, length=12, max_length=64))
        ]
        (total,) = _call(
            get_reward_func(SPEC, eos_token_ids=[EOS]), [r"\boxed{4}"], ids, answer=["4"]
        )
        assert total == pytest.approx(PAPER(correct=True, length=12, max_length=64) + repeated)
        assert (outcome.__name__, rep.__name__) == ("longcot_outcome", "longcot_repetition")

    def test_per_row_task_column_is_used(self):
        fn = get_reward_func(SPEC, eos_token_ids=[EOS])
        out = _call(fn, [r"\boxed{4}"], [[5, EOS]], answer=["4"], task=["math"])
        assert out == [pytest.approx(PAPER(correct=True, length=1, max_length=64))]

    def test_missing_gold_is_left_out(self):
        # A sample with no usable reference says nothing about the policy: None, so TRL
        # leaves it out of the group baseline; only the repetition component still scores it.
        total = get_reward_func(SPEC, eos_token_ids=[EOS])
        outcome, rep = get_reward_funcs(SPEC, eos_token_ids=[EOS])
        ids = [[5, 6, EOS], [5, 6, EOS]]
        golds = {"answer": [None, "4"]}
        assert _call(total, [r"\boxed{4}", r"\boxed{4}"], ids, **golds)[0] is None
        assert _call(outcome, [r"\boxed{4}", r"\boxed{4}"], ids, **golds)[0] is None
        assert _call(rep, [r"\boxed{4}", r"\boxed{4}"], ids, **golds) == [0.0, 0.0]

    def test_metrics_are_logged(self):
        logged = {}
        fn = get_reward_func(SPEC, eos_token_ids=[EOS])
        _call(fn, [r"\boxed{4}"], [[5, EOS]], answer=["4"], log_metric=logged.__setitem__)
        assert logged["longcot/count"] == 1 and logged["longcot/accuracy"] == 1.0


class TestErrors:
    def test_missing_gold_column_lists_columns(self):
        fn = get_reward_func(SPEC)
        with pytest.raises(ValueError, match="solution"):
            _call(fn, ["x"], [[1]], solution=["4"])

    def test_needs_completion_ids(self):
        with pytest.raises(ValueError, match="completion_ids"):
            get_reward_func(SPEC)(prompts=["p"], completions=["x"], answer=["4"])

    def test_bad_component(self):
        with pytest.raises(ValueError, match="component"):
            get_reward_func(SPEC, component="sum")

    def test_bad_completion_type(self):
        with pytest.raises(ValueError, match="completion"):
            completion_text({"content": 3})


def test_pickles_and_runs_off_the_main_thread():
    fn = pickle.loads(pickle.dumps(get_reward_func(SPEC, eos_token_ids=[EOS])))
    assert fn.__name__ == "longcot_reward"
    out = []
    t = threading.Thread(
        target=lambda: out.append(_call(fn, [r"\boxed{4}"], [[5, EOS]], answer=["4"]))
    )
    t.start()
    t.join()
    assert out == [[pytest.approx(PAPER(correct=True, length=1, max_length=64))]]
