"""The policy's weights as a rollout engine expects them: plain names, adapters merged.

After every update a separate rollout engine (vLLM) must generate from the new
policy. :func:`rollout_weights` yields ``(name, tensor)`` pairs under the base
model's own parameter names (what ``vllm``'s ``load_weights`` and
``from_pretrained`` read). For a PEFT LoRA policy each adapted weight is sent
as ``W + ΔW`` computed out of place (``LoraLayer.get_delta_weight``): merging
into ``W`` and unmerging afterwards, the usual way, leaves float rounding in
the trained base weights after every step; here they are never written.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

_PEFT_PREFIX = "base_model.model."


def _clean(name: str) -> str:
    if name.startswith(_PEFT_PREFIX):
        name = name[len(_PEFT_PREFIX) :]
    return name.replace(".base_layer.", ".")


def _lora_deltas(policy: nn.Module) -> dict[str, torch.Tensor]:
    """``{base weight's state-dict name: ΔW}`` for every active LoRA adapter."""
    deltas: dict[str, torch.Tensor] = {}
    for module_name, module in policy.named_modules():
        get_delta = getattr(module, "get_delta_weight", None)
        base = getattr(module, "base_layer", None)
        if get_delta is None or base is None or getattr(module, "disable_adapters", False):
            continue
        delta = None
        for adapter in getattr(module, "active_adapters", ()):
            if adapter in getattr(module, "lora_A", {}):
                d = get_delta(adapter)
                delta = d if delta is None else delta + d
        if delta is not None:
            deltas[f"{module_name}.base_layer.weight"] = delta
    return deltas


@torch.no_grad()
def rollout_weights(policy: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` of every base-model weight, LoRA deltas added (the policy is not modified)."""
    deltas = _lora_deltas(policy)
    for name, tensor in policy.state_dict().items():
        if "lora_" in name or "modules_to_save" in name:
            continue
        value = tensor.detach()
        if name in deltas:
            value = value + deltas[name].to(value.dtype)
        yield _clean(name), value
