"""The RL trainer's models: policy (optionally LoRA), frozen reference, critic, optimisers.

- **Policy**: ``AutoModelForCausalLM`` from ``model.path`` (a named model, a
  folder or a hub id), ``dtype`` auto = bfloat16 on CUDA, float32 on CPU;
  activation checkpointing and PEFT LoRA from the recipe.
- **Reference** (only when ``algorithm.kl_coef > 0``): a frozen copy of the
  starting policy; with LoRA, the policy itself with its adapters switched
  off, so no second copy of the weights exists.
- **Critic** (only for ``gae``): :class:`ValueModel`, one value head per
  reward stream, on a copy of the policy's body (``model.critic: policy``, the
  paper) or on another checkpoint.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from longcot.config import Recipe

from .scoring import PolicyScorer, ValueModel

log = logging.getLogger(__name__)


def torch_dtype(name: str, device: str) -> torch.dtype:
    if name == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    return getattr(torch, name)


def _lora(model: nn.Module, lora) -> nn.Module:
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as e:  # peft is a dependency; a broken install must say so
        raise ImportError("model.lora needs peft: pip install peft") from e
    config = LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules
        if isinstance(lora.target_modules, str)
        else list(lora.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


@dataclass
class Models:
    policy: nn.Module
    """The trained causal LM (a PEFT model with LoRA)."""
    tokenizer: Any
    scorer: PolicyScorer
    reference: nn.Module | None
    """A frozen copy, or ``None`` (no KL, or LoRA: see :meth:`reference_logprobs`)."""
    critic: ValueModel | None
    path: str
    """The resolved policy folder (for saving the tokenizer and the config)."""

    @contextlib.contextmanager
    def reference_mode(self) -> Iterator[nn.Module]:
        """The model to score the reference log-probs with."""
        if self.reference is not None:
            yield self.reference
        elif hasattr(self.policy, "disable_adapter"):
            with self.policy.disable_adapter():
                yield self.policy
        else:
            raise RuntimeError("no reference model (kl_coef is 0)")


class AdapterOffScorer:
    """Reference log-probs of a LoRA policy: the same weights with the adapters off."""

    def __init__(self, models: Models, scorer: PolicyScorer) -> None:
        self.models, self.scorer = models, scorer

    def __call__(self, *args):
        with self.models.reference_mode():
            return self.scorer(*args)


def load_models(
    recipe: Recipe, *, device: str, num_streams: int, need_reference: bool, need_critic: bool
) -> Models:
    """Build every model the recipe asks for, on ``device``; nothing is trained yet."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from longcot.models import resolve_model

    m = recipe.model
    path = str(resolve_model(m.path))
    dtype = torch_dtype(m.dtype, device)
    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": m.trust_remote_code}
    if m.attn_implementation:
        kwargs["attn_implementation"] = m.attn_implementation
    policy = AutoModelForCausalLM.from_pretrained(path, **kwargs).to(device)
    tokenizer = AutoTokenizer.from_pretrained(
        m.tokenizer or path, trust_remote_code=m.trust_remote_code
    )
    reference = None
    if need_reference and m.lora is None:
        reference = copy.deepcopy(policy).eval().requires_grad_(False)
    if m.gradient_checkpointing:
        policy.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        policy.config.use_cache = False
    if m.lora is not None:
        policy = _lora(policy, m.lora)
    critic = None
    if need_critic:
        source = path if m.critic in (None, "policy") else str(resolve_model(m.critic))
        critic = ValueModel.from_pretrained(source, num_streams, **kwargs).to(device)
        if m.gradient_checkpointing:
            critic.body.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
    scorer = PolicyScorer(
        policy,
        chunk=recipe.algorithm.logprob_chunk,
        temperature=recipe.rollout.temperature or 1.0,
    )
    return Models(policy, tokenizer, scorer, reference, critic, path)


def adamw(params, optim, lr: float) -> torch.optim.Optimizer:
    """AdamW with the recipe's betas, eps and weight decay (paper: betas 0.9, 0.95)."""
    trainable = [p for p in params if p.requires_grad]
    if not trainable:
        raise ValueError("nothing to train: every parameter is frozen")
    return torch.optim.AdamW(
        trainable, lr=lr, betas=optim.betas, eps=optim.eps, weight_decay=optim.weight_decay
    )
