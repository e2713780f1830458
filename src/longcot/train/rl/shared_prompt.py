"""One forward pass per prompt, not per sample: the ``n`` responses of a prompt share its KV.

GRPO-style rollouts hold ``n`` responses to each prompt. Scoring them as ``n``
full sequences runs the prompt through the model ``n`` times, forward and
backward. Here the prompt runs once (with gradients), its per-layer keys and
values are repeated for its ``n`` responses (``repeat_interleave`` is
differentiable, so each prompt token receives the gradient of all ``n``
responses), and the responses run on top of that cache. The attention each
token sees is the same as in the full pass, so log-probs and gradients agree
to float rounding (tested); the saving is ``(n - 1) / n`` of the prompt
tokens' compute, most of the work when prompts are long next to responses.

Used when a micro-batch is whole groups of ``n`` rows with one prompt each,
and the model keeps a cache while training (activation checkpointing turns the
cache off, so that case takes the plain path).
"""

from __future__ import annotations

import torch
from torch import nn


def can_share(body: nn.Module) -> bool:
    """Whether ``body`` can return a trainable KV cache (not under activation checkpointing)."""
    return not getattr(body, "gradient_checkpointing", False) and hasattr(body, "config")


def shared_prompt_hidden(
    body: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    prompt_width: int,
    n: int,
) -> torch.Tensor:
    """Hidden states ``(B, T, H)`` predicting each response position, prompts run once.

    Rows ``g*n .. g*n + n - 1`` must share one prompt (left-padded to
    ``prompt_width``); responses are right-padded after it.
    """
    from transformers import DynamicCache

    b = input_ids.shape[0]
    if b % n:
        raise ValueError(f"{b} rows do not split into groups of {n}")
    p = prompt_width
    prompt_ids, prompt_mask = input_ids[::n, :p], attention_mask[::n, :p]  # (G, P)
    prompt_pos = (prompt_mask.long().cumsum(-1) - 1).clamp_min(0)
    cache = DynamicCache(config=body.config)
    out = body(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        position_ids=prompt_pos,
        past_key_values=cache,
        use_cache=True,
    )
    # Left padding puts every prompt's last token in the last column.
    last = out.last_hidden_state[:, -1:].repeat_interleave(n, dim=0)  # (B, 1, H)
    cache.batch_repeat_interleave(n)
    response_ids, response_mask = input_ids[:, p:], attention_mask[:, p:]  # (B, T)
    t = response_ids.shape[1]
    if t <= 1:
        return last[:, :t]
    full_mask = torch.cat([prompt_mask.repeat_interleave(n, dim=0), response_mask], dim=1)
    start = prompt_mask.long().sum(-1).repeat_interleave(n)  # (B,)
    positions = start[:, None] + torch.arange(t - 1, device=input_ids.device)[None]
    out = body(
        input_ids=response_ids[:, :-1],  # the last response token predicts nothing scored
        attention_mask=full_mask[:, :-1],
        position_ids=positions,
        past_key_values=cache,
        use_cache=True,
    )
    return torch.cat([last, out.last_hidden_state], dim=1)
