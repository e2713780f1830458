"""The hf backend on the tiny model: shapes, seeds, greedy == model.generate, stops, finish reasons."""

from __future__ import annotations

import pytest

from longcot.generate import Backend, SamplingParams
from longcot.generate.hf import HFBackend, plan_batches

CHAT = [
    [{"role": "user", "content": "What is $1 + 1$?"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Simplify \\frac{2}{4}."},
    ],
    [{"role": "user", "content": "Find the number of positive divisors of 60, then box it."}],
]
PLAIN = ["The answer is", "Let $x = 3$. Then $x^2 =", "Wait,"]


@pytest.fixture(scope="module")
def backend(tiny_model_dir):
    be = HFBackend(tiny_model_dir, device="cpu")
    yield be
    be.close()


def _ids(completions):
    return [[c.token_ids for c in cs] for cs in completions]


def test_is_a_backend(backend):
    assert isinstance(backend, Backend)
    assert backend.name == "hf"


def test_n_samples_per_prompt_in_prompt_order(backend):
    out = backend.generate(CHAT, SamplingParams(n=3, max_new_tokens=6, seed=0))
    assert len(out) == len(CHAT)
    for prompt, cs in zip(CHAT, out, strict=True):
        assert len(cs) == 3
        assert {c.prompt_tokens for c in cs} == {len(backend.encode(prompt))}
        for c in cs:
            assert c.completion_tokens == len(c.token_ids) <= 6
            assert c.finish_reason in ("stop", "length")
    # Samples of one prompt differ (a random 4 K-vocabulary model at T=0.7).
    assert len(set(out[0][i].token_ids for i in range(3))) > 1


def test_chat_and_plain_prompts_encode_differently(backend):
    tok = backend.tokenizer
    chat_ids = backend.encode(CHAT[0])
    assert (
        chat_ids
        == tok(tok.apply_chat_template(CHAT[0], tokenize=False, add_generation_prompt=True))[
            "input_ids"
        ]
    )
    assert backend.encode("The answer is") == tok("The answer is")["input_ids"]
    [[c_chat], [c_plain]] = backend.generate(
        [CHAT[0], "The answer is"], SamplingParams(max_new_tokens=3)
    )
    assert c_chat.prompt_tokens == len(chat_ids)
    assert c_plain.prompt_tokens == len(tok("The answer is")["input_ids"])


def test_same_seed_same_outputs_other_seed_other_outputs(backend):
    params = SamplingParams(n=2, max_new_tokens=12, seed=7)
    first = backend.generate(PLAIN, params)
    assert _ids(backend.generate(PLAIN, params)) == _ids(first)
    other = backend.generate(PLAIN, SamplingParams(n=2, max_new_tokens=12, seed=8))
    assert _ids(other) != _ids(first)


def test_outputs_do_not_depend_on_batching(backend, tiny_model_dir):
    """A prompt's samples depend on (seed, prompt, sample index), not on its batch-mates."""
    params = SamplingParams(n=3, max_new_tokens=10, seed=3)
    together = backend.generate(CHAT + PLAIN, params)
    alone = backend.generate([PLAIN[1]], params)
    assert _ids(alone)[0] == _ids(together)[4]
    reversed_out = backend.generate((CHAT + PLAIN)[::-1], params)
    assert _ids(reversed_out)[::-1] == _ids(together)
    # Two rows per batch: prompts and even one prompt's samples are split across batches.
    small = HFBackend(backend.model, backend.tokenizer, max_batch_rows=2)
    assert _ids(small.generate(CHAT + PLAIN, params)) == _ids(together)


def test_greedy_equals_model_generate(backend):
    import torch

    model = backend.model
    prompts = [*CHAT, *PLAIN]  # lengths 9..40 tokens: left padding inside one batch
    out = backend.generate(prompts, SamplingParams(n=2, temperature=0, max_new_tokens=24))
    for prompt, cs in zip(prompts, out, strict=True):
        ids = torch.tensor([backend.encode(prompt)])
        with torch.inference_mode():
            ref = model.generate(
                ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=24
            )
        ref_new = ref[0, ids.shape[1] :].tolist()
        cut = next((i for i, t in enumerate(ref_new) if t in backend.eos_ids), len(ref_new))
        assert list(cs[0].token_ids) == ref_new[:cut]
        assert cs[0].token_ids == cs[1].token_ids  # greedy: every sample is the same


def test_length_finish_when_cap_reached(backend):
    [[c]] = backend.generate(["Wait,"], SamplingParams(temperature=0, max_new_tokens=5))
    assert c.finish_reason == "length" and c.truncated
    assert c.completion_tokens == 5


def test_eos_ends_with_stop_and_is_excluded(tiny_model_dir, backend):
    """Declare the 4th greedy token an end-of-sequence token: generation must end right before it."""
    [[ref]] = backend.generate(["Wait,"], SamplingParams(temperature=0, max_new_tokens=8))
    eos = ref.token_ids[3]
    first = ref.token_ids.index(eos)
    custom = HFBackend(backend.model, backend.tokenizer)
    custom.eos_ids = (eos,)
    [[c]] = custom.generate(["Wait,"], SamplingParams(temperature=0, max_new_tokens=8))
    assert c.finish_reason == "stop" and not c.truncated
    assert c.token_ids == ref.token_ids[:first]
    assert c.completion_tokens == first


def test_stop_string_cuts_text_and_finishes_with_stop(backend):
    [[ref]] = backend.generate(["Let $x = 3$."], SamplingParams(temperature=0, max_new_tokens=20))
    # A stop string taken from the middle of the greedy text: it must end the same run there.
    stop = ref.text[len(ref.text) // 2 :][:3]
    assert stop.strip(), ref.text
    [[c]] = backend.generate(
        ["Let $x = 3$."], SamplingParams(temperature=0, max_new_tokens=20, stop=[stop])
    )
    assert c.finish_reason == "stop"
    assert c.extra["stop"] == stop
    assert c.text == ref.text[: ref.text.index(stop)]
    assert stop not in c.text
    # Generation stopped at the token that completed the stop string, not at the cap.
    assert len(c.token_ids) < len(ref.token_ids)
    assert c.token_ids == ref.token_ids[: len(c.token_ids)]


def test_context_limit_caps_new_tokens(tmp_path):
    from longcot.tasks.tiny import build_tiny_model

    folder = build_tiny_model(
        tmp_path / "short", layers=1, hidden=64, heads=1, kv_heads=1, max_positions=32
    )
    be = HFBackend(folder, device="cpu")
    prompt = "Find x."
    n_prompt = len(be.encode(prompt))
    [[c]] = be.generate([prompt], SamplingParams(temperature=0, max_new_tokens=100))
    assert c.completion_tokens == 32 - n_prompt
    assert c.finish_reason == "length"
    with pytest.raises(ValueError, match="context is 32"):
        be.generate(["word " * 40], SamplingParams(max_new_tokens=4))


def test_empty_prompt_list(backend):
    assert backend.generate([], SamplingParams()) == []


@pytest.mark.parametrize(
    ("lengths", "n", "max_rows", "max_tokens", "expected"),
    [
        # Longest first; 2 prompts x 2 samples fill 4 rows.
        ([5, 9, 7], 2, 4, 10**6, [((1, 2), 0, 2), ((0,), 0, 2)]),
        # Token budget: rows x (longest + 10 new) <= 40: 9 and 7 together (2 x 19 = 38), then 5.
        ([5, 9, 7], 1, 8, 40, [((1, 2), 0, 1), ((0,), 0, 1)]),
        # 5 samples of one prompt with 2 rows per batch: chunks 0-1, 2-3, 4.
        ([3], 5, 2, 10**6, [((0,), 0, 2), ((0,), 2, 2), ((0,), 4, 1)]),
    ],
)
def test_plan_batches(lengths, n, max_rows, max_tokens, expected):
    work = plan_batches(lengths, n, 10, max_rows, max_tokens)
    assert [(w.prompts, w.first_sample, w.count) for w in work] == expected
