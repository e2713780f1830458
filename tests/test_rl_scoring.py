"""Chunked per-token log-probs equal the full-logits computation, values and gradients alike."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from longcot.train.rl.scoring import PolicyScorer, SequenceBatch, ValueModel, position_ids


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)


def _batch(vocab: int) -> SequenceBatch:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, vocab, (3, 11), generator=g)
    mask = torch.ones_like(ids)
    mask[0, :2] = 0  # left-padded prompt
    mask[1, 9:] = 0  # right-padded response
    return SequenceBatch(ids, mask, prompt_width=5)


def _reference(model, batch: SequenceBatch, temperature: float):
    out = model(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=position_ids(batch.attention_mask),
    )
    logits = out.logits[:, batch.prompt_width - 1 : -1].float() / temperature
    logp = torch.log_softmax(logits, -1)
    chosen = logp.gather(-1, batch.response_ids.unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    return chosen, entropy


@pytest.mark.parametrize("chunk", [1, 5, 7, 1000])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_chunked_equals_full_logits(model, chunk, temperature):
    batch = _batch(model.config.vocab_size)
    scorer = PolicyScorer(model, chunk=chunk, temperature=temperature)
    with torch.no_grad():
        logp, ent = scorer(batch.input_ids, batch.attention_mask, batch.prompt_width)
        ref_logp, ref_ent = _reference(model, batch, temperature)
    assert torch.allclose(logp, ref_logp, atol=1e-5)
    assert torch.allclose(ent, ref_ent, atol=1e-5)


def test_gradients_equal_under_checkpointed_chunks(model):
    batch = _batch(model.config.vocab_size)
    weights = torch.linspace(-1, 1, batch.response_ids.numel()).view_as(batch.response_ids)

    def grads(fn):
        model.zero_grad()
        logp, ent = fn()
        ((logp * weights).sum() + 0.1 * ent.sum()).backward()
        return [p.grad.clone() for p in model.parameters() if p.grad is not None]

    scorer = PolicyScorer(model, chunk=4)
    chunked = grads(lambda: scorer(batch.input_ids, batch.attention_mask, batch.prompt_width))
    full = grads(lambda: _reference(model, batch, 1.0))
    assert len(chunked) == len(full)
    for a, b in zip(chunked, full, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_value_model_heads_start_at_zero(tiny_model_dir):
    critic = ValueModel.from_pretrained(str(tiny_model_dir), num_heads=2)
    batch = _batch(critic.body.config.vocab_size)
    values = critic(batch.input_ids, batch.attention_mask, batch.prompt_width)
    assert values.shape == (3, 6, 2)
    assert values.abs().sum() == 0


def test_compacted_micro_batch_scores_like_the_full_batch(model):
    # Rows 1 and 2 are both left-padded (by 1 and 2) and both stop before the end:
    # dropping the columns that are padding in both changes no log-prob.
    batch = _batch(model.config.vocab_size)
    mask = batch.attention_mask.clone()
    mask[1, :1] = 0
    mask[2, :2] = 0
    mask[2, 8:] = 0
    batch = SequenceBatch(batch.input_ids, mask, batch.prompt_width)
    scorer = PolicyScorer(model)
    with torch.no_grad():
        full, _ = scorer(batch.input_ids, batch.attention_mask, batch.prompt_width)
        rows = torch.tensor([1, 2])
        small, width = batch.rows(rows).compact()
        part, _ = scorer(small.input_ids, small.attention_mask, small.prompt_width)
    assert small.input_ids.shape[1] == 11 - 1 - 2 and width == 4
    valid = batch.response_mask[rows, :width].bool()
    assert torch.allclose(part[valid], full[rows, :width][valid], atol=1e-5)


def _grouped_batch(vocab: int, n: int = 3) -> SequenceBatch:
    # Two prompts (left-padded by 1 and 0) with n responses each (right-padded).
    g = torch.Generator().manual_seed(2)
    p_ids = torch.randint(5, vocab, (2, 5), generator=g)
    p_mask = torch.ones_like(p_ids)
    p_mask[0, :1] = 0
    r_ids = torch.randint(5, vocab, (2 * n, 6), generator=g)
    r_mask = torch.ones_like(r_ids)
    r_mask[1, 4:] = 0
    r_mask[4, 2:] = 0
    ids = torch.cat([p_ids.repeat_interleave(n, 0), r_ids], 1)
    mask = torch.cat([p_mask.repeat_interleave(n, 0), r_mask], 1)
    return SequenceBatch(ids, mask, prompt_width=5)


def test_prompt_run_once_per_group_equals_the_full_pass(model):
    batch = _grouped_batch(model.config.vocab_size)
    scorer = PolicyScorer(model)
    weights = torch.linspace(-1, 1, batch.response_ids.numel()).view_as(batch.response_ids)
    valid = batch.response_mask.bool()

    def run(group: int):
        model.zero_grad()
        logp, ent = scorer(batch.input_ids, batch.attention_mask, batch.prompt_width, group)
        ((logp * weights * valid).sum() + 0.1 * (ent * valid).sum()).backward()
        grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
        return logp.detach(), grads

    full, full_grads = run(1)
    shared, shared_grads = run(3)
    assert torch.allclose(shared[valid], full[valid], atol=1e-5)
    for a, b in zip(shared_grads, full_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_value_model_shares_prompts_too(tiny_model_dir):
    critic = ValueModel.from_pretrained(str(tiny_model_dir), num_heads=2)
    torch.nn.init.normal_(critic.value_head.weight, std=0.1)
    batch = _grouped_batch(critic.body.config.vocab_size)
    with torch.no_grad():
        full = critic(batch.input_ids, batch.attention_mask, batch.prompt_width)
        shared = critic(batch.input_ids, batch.attention_mask, batch.prompt_width, 3)
    valid = batch.response_mask.bool()
    assert torch.allclose(shared[valid], full[valid], atol=1e-5)
