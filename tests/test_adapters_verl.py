"""verl adapter: compute_score's dict contract, and the reward manager's
per-token tensor on a DataProto-shaped batch (verl itself is not installed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from longcot.adapters.verl import LongcotRewardManager, compute_score
from longcot.rewards import CosineReward, discounted_returns, repetition_penalty

PAPER = CosineReward()
KEYS = {
    "score",
    "acc",
    "outcome_reward",
    "repetition_reward",
    "length",
    "truncated",
    "skipped",
    "status",
    "pred",
}


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
        assert set(out) == KEYS
        rep = repetition_penalty(ids, ngram=4).sum()
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


class FakeData:
    """The parts of verl's DataProto a reward manager reads."""

    def __init__(self, prompts, responses, attention_mask, golds, extra=None):
        self.batch = {"prompts": prompts, "responses": responses, "attention_mask": attention_mask}
        self.non_tensor_batch = {
            "reward_model": np.array([{"ground_truth": g} for g in golds], dtype=object),
            "data_source": np.array(["math"] * len(golds), dtype=object),
        }
        if extra is not None:
            self.non_tensor_batch["extra_info"] = np.array(extra, dtype=object)
        self.meta_info = {}

    def __len__(self):
        return self.batch["responses"].shape[0]


def _batch(tokenizer, texts_and_eos, golds, width=48):
    """Left-padded 3-token prompts, right-padded responses, as verl lays them out."""
    pad = tokenizer.pad_token_id or 0
    eos = tokenizer.eos_token_id
    rows, masks = [], []
    for text, with_eos in texts_and_eos:
        ids = tokenizer.encode(text, add_special_tokens=False)[: width - with_eos]
        ids = [*ids, eos] if with_eos else ids
        rows.append(ids + [pad] * (width - len(ids)))
        masks.append([1, 1, 1] + [1] * len(ids) + [0] * (width - len(ids)))
    prompts = torch.full((len(rows), 3), 5)
    return FakeData(prompts, torch.tensor(rows), torch.tensor(masks), golds), [
        len(r) - r.count(pad) for r in rows
    ]


class TestRewardManager:
    def test_token_level_rewards(self, tokenizer):
        loop = " one two three four five six" * 4
        data, _ = _batch(tokenizer, [(r"\boxed{3}" + loop, True), (r"\boxed{9}", True)], ["3", "3"])
        manager = LongcotRewardManager(tokenizer, max_length=48, ngram=4)
        out = manager(data, return_dict=True)
        reward, info = out["reward_tensor"], out["reward_extra_info"]
        assert reward.shape == data.batch["responses"].shape and reward.dtype == torch.float32
        assert info["status"] == ["correct", "incorrect"]
        for i in range(2):
            valid = int(data.batch["attention_mask"][i, 3:].sum())
            ids = data.batch["responses"][i, : valid - 1].tolist()  # EOS excluded
            outcome = PAPER(correct=i == 0, length=len(ids), max_length=48)
            dense = np.zeros(valid)
            dense[: len(ids)] = repetition_penalty(ids, ngram=4)
            sparse = np.zeros(valid)
            sparse[-1] = outcome  # on the EOS token
            expected = discounted_returns(sparse, 1.0) + discounted_returns(dense, 0.99)
            got = discounted_returns(reward[i, :valid].double().numpy(), 1.0)
            assert got == pytest.approx(expected, abs=1e-5)
            assert (reward[i, valid:] == 0).all()
        assert info["repetition_reward"][0] < 0 and info["repetition_reward"][1] == 0

    def test_truncated_row_gets_exceed_penalty(self, tokenizer):
        data, _ = _batch(tokenizer, [(r"\boxed{3} and on and on " * 20, False)], ["3"], width=16)
        reward = LongcotRewardManager(tokenizer, max_length=16, ngram=40)(data)
        assert reward[0].sum().item() == pytest.approx(-10.0)

    def test_skipped_rows_are_zero(self, tokenizer):
        data, _ = _batch(tokenizer, [(r"\boxed{3}", True)], [None])
        out = LongcotRewardManager(tokenizer, max_length=48)(data, return_dict=True)
        assert out["reward_extra_info"]["status"] == ["bad_gold"]  # no reference answer
        assert out["reward_extra_info"]["skipped"] == [True]
        assert (out["reward_tensor"] == 0).all()

    def test_precomputed_scores_pass_through(self, tokenizer):
        data, _ = _batch(tokenizer, [("x", True)], ["1"])
        data.batch["rm_scores"] = torch.ones(1, 48)
        assert LongcotRewardManager(tokenizer, max_length=48)(data) is data.batch["rm_scores"]
