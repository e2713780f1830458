"""The hf backend on a live (training) policy: no side effects, and the fast path equals the plain one."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from longcot.generate import SamplingParams
from longcot.generate.hf import HFBackend

PROMPTS = ["The answer is", "Let $x = 3$. Then", "Wait,", "Compute 2+2"]


@pytest.fixture()
def live(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model.train()  # as the trainer holds it
    return model, tokenizer


def test_generate_leaves_the_policy_and_process_as_they_were(live):
    model, tokenizer = live
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        attn = model.config._attn_implementation
        backend = HFBackend(model, tokenizer, threads=1)
        assert backend.shared_prefix  # the tiny Qwen2 passes the self-check
        backend.generate(PROMPTS, SamplingParams(n=2, temperature=1.0, max_new_tokens=6, seed=0))
        assert model.training
        assert model.config._attn_implementation == attn
        assert torch.get_num_threads() == 2
        # And a training forward still has gradients (no inference-mode leftovers).
        ids = tokenizer("hello world", return_tensors="pt").input_ids
        model(input_ids=ids, labels=ids).loss.backward()
        assert any(p.grad is not None for p in model.parameters())
    finally:
        torch.set_num_threads(threads)


def test_fast_and_plain_paths_agree_including_rows_that_finish_early(live):
    model, tokenizer = live
    params = SamplingParams(n=4, temperature=1.0, top_p=0.95, max_new_tokens=12, seed=3)
    plain = HFBackend(model, tokenizer, shared_prefix=False)
    # Make a token the model often draws early an end-of-sequence, so some rows stop
    # after a few tokens while others run to the cap.
    first = plain.generate(PROMPTS, params)
    early = Counter(t for cs in first for c in cs for t in c.token_ids[1:4])
    stop_token = early.most_common(1)[0][0]
    eos = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = [*([eos] if isinstance(eos, int) else eos), stop_token]
    plain = HFBackend(model, tokenizer, shared_prefix=False)
    fast = HFBackend(model, tokenizer, shared_prefix=True)
    assert fast.shared_prefix and not plain.shared_prefix
    a, b = plain.generate(PROMPTS, params), fast.generate(PROMPTS, params)
    lengths = [len(c.token_ids) for cs in a for c in cs]
    assert min(lengths) < params.max_new_tokens and max(lengths) == params.max_new_tokens
    assert any(c.finish_reason == "stop" for cs in a for c in cs)
    assert [[c.token_ids for c in cs] for cs in a] == [[c.token_ids for c in cs] for cs in b]
    assert [[c.finish_reason for c in cs] for cs in a] == [
        [c.finish_reason for c in cs] for cs in b
    ]


def test_unusable_fast_path_is_said_once_and_reported(tiny_model_dir, caplog):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    with caplog.at_level(logging.WARNING, logger="longcot.generate.hf"):
        backend = HFBackend(model, tokenizer)
        for _ in range(2):
            backend.generate(PROMPTS[:1], SamplingParams(n=2, max_new_tokens=3, seed=0))
    warnings = [r for r in caplog.records if "shared-prefix decoding is off" in r.message]
    assert len(warnings) == 1 and "'eager'" in warnings[0].message
    assert backend.stats == {"shared_prefix": 0.0}
    assert model.config._attn_implementation == "eager"


def test_token_logprobs_match_the_trainers_scoring(live):
    # What the trainer's importance-sampling correction compares: the rollout engine's
    # log-probs against its own; on the same weights they agree to float rounding.
    from longcot.train.rl.scoring import PolicyScorer, SequenceBatch

    model, tokenizer = live
    backend = HFBackend(model, tokenizer)
    params = SamplingParams(
        n=2, temperature=0.7, top_p=0.9, max_new_tokens=8, seed=1, logprobs=True
    )
    [completions] = backend.generate(PROMPTS[:1], params)
    prompt = backend.encode(PROMPTS[0])
    scorer = PolicyScorer(model, temperature=0.7)
    model.eval()
    for c in completions:
        assert len(c.extra["token_logprobs"]) == len(c.token_ids)
        ids = torch.tensor([prompt + list(c.token_ids)])
        batch = SequenceBatch(ids, torch.ones_like(ids), len(prompt))
        with torch.no_grad():
            logp, _ = scorer(batch.input_ids, batch.attention_mask, batch.prompt_width)
        assert torch.allclose(logp[0], torch.tensor(c.extra["token_logprobs"]), atol=1e-4)
