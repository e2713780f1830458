"""Token selection: same distribution as transformers' warpers, seeds, stop strings, KV cache."""

from __future__ import annotations

import pytest
import torch

from longcot.generate.sampling import (
    TOPK_FAST,
    completion_seed,
    select_tokens,
    step_uniforms,
)
from longcot.generate.stops import StopWatcher, cut_at_stop
from longcot.generate.types import GenerationConfigError, SamplingParams


def _hf_top_p_support(logits: torch.Tensor, temperature: float, top_p: float) -> list[set[int]]:
    """Tokens transformers keeps (TemperatureLogitsWarper then TopPLogitsWarper)."""
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    scores = TemperatureLogitsWarper(temperature)(None, logits.clone())
    scores = TopPLogitsWarper(top_p)(None, scores)
    return [set(torch.nonzero(row > -float("inf")).flatten().tolist()) for row in scores]


def _support(logits, temperature, top_p, draws=400) -> list[set[int]]:
    """Tokens our sampler ever picks over a grid of uniforms (the grid hits every kept token)."""
    grid = torch.linspace(0, 1 - 1e-7, draws)
    return [
        set(select_tokens(row.expand(draws, -1), temperature, top_p, grid).tolist())
        for row in logits
    ]


@pytest.mark.parametrize("top_p", [0.5, 0.9, 0.95])
def test_top_p_keeps_the_tokens_transformers_keeps(top_p):
    gen = torch.Generator().manual_seed(0)
    # Peaked rows (nucleus inside the top 256: the fast path) and flat rows (full sort).
    peaked = torch.randn(3, 2000, generator=gen) * 6
    flat = torch.randn(3, 2000, generator=gen) * 0.1
    logits = torch.cat([peaked, flat])
    expected = _hf_top_p_support(logits, 0.7, top_p)
    assert max(map(len, expected[:3])) < TOPK_FAST < min(map(len, expected[3:]))
    kept = _support(logits[:3], 0.7, top_p, draws=2000)
    for row in range(3):
        # Every token we pick is one transformers keeps; the grid reaches all tokens of mass > 1/2000.
        assert kept[row] <= expected[row]
    probs = torch.softmax(logits / 0.7, dim=-1)
    for row in range(3, 6):
        picked = _support(logits[row : row + 1], 0.7, top_p, draws=200)[0]
        assert picked <= expected[row]
        assert len(picked) > 100  # flat rows: many tokens are reachable
    assert probs.shape == logits.shape


def test_empirical_frequencies_match_the_renormalised_nucleus():
    logits = torch.tensor([[2.0, 1.5, 1.0, 0.0, -1.0, -3.0]])
    temperature, top_p = 0.7, 0.9
    probs = torch.softmax(logits[0] / temperature, dim=-1)
    keep = (probs.cumsum(0) - probs) < top_p  # sorted already (logits descending)
    target = torch.where(keep, probs, 0.0)
    target = target / target.sum()
    draws = 20000
    u = torch.rand(draws, generator=torch.Generator().manual_seed(1))
    toks = select_tokens(logits.expand(draws, -1), temperature, top_p, u)
    freq = torch.bincount(toks, minlength=6).float() / draws
    # 20,000 draws: standard error <= 0.0036 per token; allow 4 of them.
    assert torch.allclose(freq, target, atol=0.015)
    assert freq[~keep].sum() == 0


def test_greedy_is_argmax_with_lowest_id_on_ties():
    logits = torch.tensor([[0.0, 3.0, 3.0, 1.0], [5.0, 0.0, 0.0, 5.0]])
    assert select_tokens(logits, 0.0, 0.95, torch.zeros(2)).tolist() == [1, 0]


def test_top_p_one_and_extreme_uniforms_never_pick_zero_probability_tokens():
    logits = torch.tensor([[0.0, -float("inf"), 1.0, -float("inf")]])
    for u in (0.0, 0.5, 1 - 2**-24):
        for top_p in (1.0, 0.95):
            tok = select_tokens(logits, 1.0, top_p, torch.tensor([u])).item()
            assert tok in (0, 2)


def test_seeds_are_stable_and_distinct():
    a = completion_seed(0, [1, 2, 3], 0)
    assert a == completion_seed(0, [1, 2, 3], 0)
    assert (
        len(
            {
                a,
                completion_seed(0, [1, 2, 3], 1),
                completion_seed(1, [1, 2, 3], 0),
                completion_seed(0, [1, 2], 0),
            }
        )
        == 4
    )
    assert 0 <= a < 2**63
    assert completion_seed(None, [1], 0) != completion_seed(None, [1], 0)
    u = step_uniforms([a, a, a + 1], 5, torch.device("cpu"))
    assert u.shape == (3, 5)
    assert torch.equal(u[0], u[1]) and not torch.equal(u[0], u[2])


def test_cut_at_stop_picks_the_earliest():
    assert cut_at_stop("a b STOP c END", ["END", "STOP"]) == ("a b ", "STOP")
    assert cut_at_stop("nothing here", ["END"]) == ("nothing here", None)


def test_stop_watcher_sees_stops_across_tokens(tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tok("so the answer is \\boxed{12}. Done")["input_ids"]
    watcher = StopWatcher(tok, ["boxed{12}"])
    hits = [watcher.hits([ids[:k]])[0] for k in range(1, len(ids) + 1)]
    first = hits.index(True)
    assert "boxed{12}" in tok.decode(ids[: first + 1]) and "boxed{12}" not in tok.decode(
        ids[:first]
    )
    assert not StopWatcher(tok, [])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 0}, "n"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
    ],
)
def test_sampling_params_reject_bad_values(kwargs, name):
    with pytest.raises(GenerationConfigError, match=f"SamplingParams.{name}="):
        SamplingParams(**kwargs)


def test_sampling_params_stop_string_is_not_split_into_characters():
    assert SamplingParams(stop="</s>").stop == ("</s>",)


def test_preallocated_cache_matches_dynamic_cache(tiny_model_dir):
    """Same logits through prefill, row expansion, row selection and decode steps."""
    from transformers import AutoModelForCausalLM, DynamicCache

    from longcot.generate.kv_cache import preallocated_cache

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12]])
    caches = [DynamicCache(config=model.config), preallocated_cache(model.config, capacity=12)]
    logits = []
    with torch.inference_mode():
        for cache in caches:
            out = [model(ids, past_key_values=cache, use_cache=True).logits[:, -1]]
            cache.batch_repeat_interleave(2)  # 4 rows
            cache.batch_select_indices(torch.tensor([0, 1, 3]))
            step = torch.tensor([[1], [2], [3]])
            for _ in range(3):
                out.append(model(step, past_key_values=cache, use_cache=True).logits[:, -1])
            assert cache.get_seq_length() == 7
            logits.append(out)
    for a, b in zip(*logits, strict=True):
        assert torch.equal(a, b)
