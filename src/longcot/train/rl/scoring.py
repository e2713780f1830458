"""Per-token log-probs, entropies and values of response tokens, in chunks (DESIGN §3 Memory).

A sequence batch is laid out prompt-left-padded, response-right-padded::

    [pad pad p0 p1 p2 | r0 r1 r2 eos pad]      prompt width P, response width T

so response position ``t`` of every row is predicted by the hidden state at
``P - 1 + t``. Per-token log-probs need only the chosen token's logit and the
log-sum-exp over the vocabulary, so the LM head runs over ``chunk`` tokens at
a time and the full ``(B, T, V)`` float32 logits never exist at once; with
gradients, each chunk runs under activation checkpointing, so its logits are
recomputed in the backward pass instead of being kept (TRL issue 3678: the
logits were 310 MB of a 902 MB peak on a tiny Qwen2).

:class:`PolicyScorer` and :class:`ValueModel` are ``nn.Module``s whose
``forward`` does the whole computation, so DDP / FSDP wrap them as they are
and see every parameter used in one forward call.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .shared_prompt import can_share, shared_prompt_hidden


def backbone_and_head(model: nn.Module) -> tuple[nn.Module, nn.Module]:
    """The transformer body (hidden states) and the LM head of a causal LM (PEFT-wrapped too)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    prefix = getattr(base, "base_model_prefix", "model")
    body = getattr(base, prefix, None)
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    if body is None or head is None:
        raise ValueError(
            f"{type(base).__name__} does not expose its body ('{prefix}') and LM head; "
            "longcot's trainer needs a transformers causal LM"
        )
    return body, head


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding, as generation used them."""
    return (attention_mask.long().cumsum(-1) - 1).clamp_min(0)


def _token_stats(
    head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``(N, 2)``: log-prob of each target and the entropy of its distribution."""
    logits = head(hidden).float() / temperature  # (N, V): the only full-vocabulary tensor
    lse = torch.logsumexp(logits, dim=-1)
    chosen = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - lse
    probs = torch.softmax(logits, dim=-1)
    entropy = lse - (probs * logits).sum(-1)
    return torch.stack([chosen, entropy], dim=-1)


def chunked_token_stats(
    head: nn.Module,
    hidden: torch.Tensor,
    targets: torch.Tensor,
    *,
    chunk: int,
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probs and entropies ``(B, T)`` of ``targets`` ``(B, T)`` from ``hidden`` ``(B, T, H)``."""
    b, t, h = hidden.shape
    flat_h, flat_y = hidden.reshape(b * t, h), targets.reshape(b * t)
    parts = []
    # One chunk gains nothing from checkpointing (its logits are rebuilt whole in the
    # backward pass anyway) and would run the LM head twice.
    grad = torch.is_grad_enabled() and flat_h.requires_grad and b * t > chunk
    for start in range(0, b * t, chunk):
        hs, ys = flat_h[start : start + chunk], flat_y[start : start + chunk]
        if grad:
            parts.append(checkpoint(_token_stats, head, hs, ys, temperature, use_reentrant=False))
        else:
            parts.append(_token_stats(head, hs, ys, temperature))
    stats = torch.cat(parts).view(b, t, 2) if parts else hidden.new_zeros(b, t, 2)
    return stats[..., 0], stats[..., 1]


@dataclass(frozen=True)
class SequenceBatch:
    """Token tensors of a batch of (prompt, response) pairs; see the module layout."""

    input_ids: torch.Tensor
    """``(B, P + T)``."""
    attention_mask: torch.Tensor
    """``(B, P + T)``: 0 on padding."""
    prompt_width: int
    """``P``: response position ``t`` sits at column ``P + t``."""

    @property
    def response_ids(self) -> torch.Tensor:
        return self.input_ids[:, self.prompt_width :]

    @property
    def response_mask(self) -> torch.Tensor:
        return self.attention_mask[:, self.prompt_width :]

    def rows(self, index: slice | torch.Tensor) -> SequenceBatch:
        return SequenceBatch(self.input_ids[index], self.attention_mask[index], self.prompt_width)

    def compact(self) -> tuple[SequenceBatch, int]:
        """The same rows without the columns that are padding in every row.

        Returns the batch and its response width ``t``: response position ``k``
        stays response position ``k``, so ``(B, T)`` tensors of the full batch
        line up with ``[:, :t]``. A micro-batch of similar lengths then pays
        only for its own longest row.
        """
        mask = self.attention_mask
        p = self.prompt_width
        used_prompt = mask[:, :p].any(0).nonzero()
        left = int(used_prompt[0]) if len(used_prompt) else p - 1
        used_response = mask[:, p:].any(0).nonzero()
        width = int(used_response[-1]) + 1 if len(used_response) else 1
        return (
            SequenceBatch(self.input_ids[:, left : p + width], mask[:, left : p + width], p - left),
            width,
        )

    def lengths(self) -> torch.Tensor:
        """Tokens per row (prompt + response)."""
        return self.attention_mask.sum(-1)

    def to(self, device) -> SequenceBatch:
        return SequenceBatch(
            self.input_ids.to(device), self.attention_mask.to(device), self.prompt_width
        )


def response_hidden(body: nn.Module, batch: SequenceBatch, group: int = 1) -> torch.Tensor:
    """Hidden states ``(B, T, H)`` that predict each response position.

    ``group > 1``: rows come in groups of ``group`` sharing one prompt, which then
    runs once per group (``shared_prompt``), when the model allows it.
    """
    if group > 1 and can_share(body):
        return shared_prompt_hidden(
            body, batch.input_ids, batch.attention_mask, batch.prompt_width, group
        )
    out = body(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=position_ids(batch.attention_mask),
        use_cache=False,
    )
    hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    p, t = batch.prompt_width, batch.response_ids.shape[1]
    return hidden[:, p - 1 : p - 1 + t]


class PolicyScorer(nn.Module):
    """The policy as one module: ``forward(batch)`` -> per-token ``(logp, entropy)``, ``(B, T)``."""

    def __init__(self, model: nn.Module, *, chunk: int = 1024, temperature: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.chunk = chunk
        self.temperature = temperature

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        prompt_width: int,
        group: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch = SequenceBatch(input_ids, attention_mask, prompt_width)
        body, head = backbone_and_head(self.model)
        hidden = response_hidden(body, batch, group)
        return chunked_token_stats(
            head, hidden, batch.response_ids, chunk=self.chunk, temperature=self.temperature
        )


class ValueModel(nn.Module):
    """The critic: a transformer body with one value head per reward stream.

    ``forward(...)`` -> ``(B, T, K)`` values of the states before each response
    position. The heads start at zero, so the first advantages are the plain
    returns and an untrained critic adds no noise.
    """

    def __init__(self, body: nn.Module, hidden_size: int, num_heads: int) -> None:
        super().__init__()
        self.body = body
        self.value_head = nn.Linear(hidden_size, num_heads)
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)

    @classmethod
    def from_pretrained(cls, path: str, num_heads: int, **kwargs) -> ValueModel:
        from transformers import AutoModel

        body = AutoModel.from_pretrained(path, **kwargs)
        return cls(body, body.config.hidden_size, num_heads)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        prompt_width: int,
        group: int = 1,
    ) -> torch.Tensor:
        batch = SequenceBatch(input_ids, attention_mask, prompt_width)
        hidden = response_hidden(self.body, batch, group)
        return self.value_head(hidden.to(self.value_head.weight.dtype)).float()
