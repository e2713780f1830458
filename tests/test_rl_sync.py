"""Weight sync to a rollout engine: plain names, LoRA merged, and vLLM's load path."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from transformers import AutoModelForCausalLM

from longcot.generate.vllm_backend import VLLMBackend
from longcot.train.rl.sync import rollout_weights


def test_plain_policy_names_are_the_checkpoints(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    names = dict(rollout_weights(model))
    assert names.keys() == model.state_dict().keys()


def test_lora_is_merged_into_the_copy_and_the_base_weights_stay_untouched(tiny_model_dir):
    from peft import LoraConfig, get_peft_model

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    expected_names = set(base.state_dict())
    policy = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"]))
    for name, p in policy.named_parameters():  # make the adapters non-zero
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)
    q = "model.layers.0.self_attn.q_proj.weight"
    before = policy.base_model.model.model.layers[0].self_attn.q_proj.base_layer.weight.clone()
    weights = {n: t.clone() for n, t in rollout_weights(policy)}
    assert set(weights) == expected_names
    # The trained base weight was never written (no merge/unmerge rounding drift) ...
    after = policy.base_model.model.model.layers[0].self_attn.q_proj.base_layer.weight
    assert torch.equal(after, before)
    # ... and the copy holds W + ΔW, what PEFT's own merge computes.
    merged = policy.merge_and_unload().state_dict()
    assert torch.allclose(weights[q], merged[q], atol=1e-6)
    assert not torch.allclose(weights[q], before)


def test_vllm_backend_loads_weights_into_the_engine_and_resets_its_cache():
    calls = {"loaded": [], "reset": 0}
    model = SimpleNamespace(load_weights=lambda pairs: calls["loaded"].extend(pairs))
    runner = SimpleNamespace(model=model)
    engine = SimpleNamespace(
        model_executor=SimpleNamespace(driver_worker=SimpleNamespace(model_runner=runner))
    )
    backend = VLLMBackend.__new__(VLLMBackend)  # no GPU here: the engine is a stand-in
    backend.llm = SimpleNamespace(
        llm_engine=engine,
        reset_prefix_cache=lambda: calls.__setitem__("reset", calls["reset"] + 1),
    )
    pairs = [("a.weight", torch.zeros(2)), ("b.weight", torch.ones(1))]
    assert backend.load_weights(iter(pairs)) == 2
    assert [n for n, _ in calls["loaded"]] == ["a.weight", "b.weight"]
    assert calls["reset"] == 1
