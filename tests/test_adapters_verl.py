"""verl adapter: compute_score's contract as a plain function. verl 0.9.1's own
loaders, config and reward loop calling it and LongcotRewardManager are in
``test_adapters_verl_peer.py``."""

from __future__ import annotations

import pytest

from longcot.adapters.verl import EXTRA_KEYS, LongcotRewardManager, compute_score
from longcot.rewards import CosineReward, discounted_returns, repetition_penalty

PAPER = CosineReward()
KEYS = ("score", *EXTRA_KEYS)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


class TestComputeScore:
    def test_with_response_ids(self):
        ids = [1, 2, 3, 4] * 3
        out = compute_score(
            "math500", r"\boxed{7}", "7", {"response_ids": ids}, max_length=100, ngram=4
        )
        assert tuple(out) == KEYS
        # the repetition stream's return from the first token, γ_p = 0.99
        rep = float(discounted_returns(repetition_penalty(ids, ngram=4), 0.99)[0])
        assert out["outcome_reward"] == pytest.approx(
            PAPER(correct=True, length=12, max_length=100)
        )
        assert out["repetition_reward"] == pytest.approx(rep)
        assert out["score"] == pytest.approx(out["outcome_reward"] + rep)
        assert out["acc"] == 1.0 and out["status"] == "correct" and out["length"] == 12

    def test_with_tokenizer_counts_tokens(self, tiny_model_dir, tokenizer):
        text = r"The answer is \boxed{12}."
        out = compute_score("x", text, "12", None, tokenizer=str(tiny_model_dir), max_length=1000)
        n = len(tokenizer.encode(text, add_special_tokens=False))
        assert out["length"] == n
        assert out["outcome_reward"] == pytest.approx(
            PAPER(correct=True, length=n, max_length=1000)
        )

    def test_truncated_from_extra_info(self):
        out = compute_score(
            "x", r"\boxed{7}", "7", {"response_ids": [1], "truncated": True}, max_length=100
        )
        assert out["score"] == -10.0 and out["truncated"]

    def test_needs_lengths(self):
        with pytest.raises(ValueError, match="tokenizer"):
            compute_score("x", r"\boxed{7}", "7", None, max_length=100)

    def test_list_overrides_are_accepted(self):
        out = compute_score(
            "x", r"\boxed{1}", "7", {"response_ids": [1]}, max_length=100, clamp=[-3, 3]
        )
        assert out["outcome_reward"] == -3.0

    def test_skipped_sample_has_zero_score_and_every_key(self):
        out = compute_score("x", r"\boxed{7}", None, {"response_ids": [1, 2]}, max_length=100)
        assert tuple(out) == KEYS and out["skipped"] and out["score"] == 0.0
        assert out["status"] == "bad_gold" and out["acc"] == 0.0

    def test_truncation_from_the_budget_without_extra_info(self):
        # verl decodes without special tokens: a response filling the budget is truncated
        out = compute_score(
            "x", r"\boxed{7}", "7", {"response_ids": list(range(100))}, max_length=100
        )
        assert out["truncated"] and out["outcome_reward"] == -10.0


def test_manager_needs_settings():
    with pytest.raises(ValueError, match=r"\+reward.reward_kwargs.config"):
        LongcotRewardManager(config={"reward": {}}, tokenizer=None)
