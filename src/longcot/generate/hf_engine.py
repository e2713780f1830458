"""The decode loop of the ``hf`` backend: token ids in, token ids out.

No tokenization and no text here (the backend does that); this module only
turns a group of prompts, already tokenized, into ``n`` continuations each,
with a Hugging Face causal LM and its KV cache. Steps:

1. prefill each prompt once, left-padded, computing logits for the last position only;
2. copy each prompt's KV cache to its ``n`` sample rows (``n``x less prefill than
   asking ``model.generate`` for ``num_return_sequences=n``, which repeats the prompts);
3. decode one token per row per step, each row with its own uniforms (see ``sampling``);
4. drop finished rows from the batch (and its cache) once enough have finished,
   so late steps do not pay for rows that already ended.

Row ``r`` of a group is prompt ``r // n``, sample ``r % n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from longcot.generate.kv_cache import preallocated_cache
from longcot.generate.sampling import select_tokens
from longcot.generate.shared_prefix import (
    STATE_KWARG,
    PrefixState,
    SharedPrefixLayer,
    shared_prefix_cache,
)
from longcot.generate.stops import StopWatcher
from longcot.generate.types import FinishReason

# Drop finished rows once they are 1/8 of the batch. Dropping copies every
# layer's cache once (about what DynamicCache's per-step concatenation costs
# anyway), so doing it on every single finish would double that traffic in
# batches where rows end one by one.
COMPACT_FRACTION = 1 / 8


@dataclass
class RowOutput:
    """One finished row: its generated ids (end-of-sequence excluded) and why it ended."""

    token_ids: list[int]
    finish_reason: FinishReason
    stopped_by_string: bool = False
    eos_token_id: int | None = None
    """The end-of-sequence token that ended the row (not in ``token_ids``)."""
    logprobs: list[float] | None = None
    """Per generated token, its log-prob under ``softmax(logits / temperature)`` (when asked)."""
    eos_logprob: float | None = None


@dataclass
class _Batch:
    """The rows still in the model's batch, in batch order (B rows)."""

    rows: list[int]  # group row ids, (B,)
    index: torch.Tensor  # the same ids as a tensor, (B,), for gathering uniforms
    mask: torch.Tensor  # attention mask over prompt + generated positions, (B, T)
    positions: torch.Tensor  # position id of the next input token, (B,)

    def select(self, keep: list[int]) -> torch.Tensor:
        """Keep batch positions ``keep``; return them as a tensor for the cache."""
        idx = torch.tensor(keep, dtype=torch.long, device=self.mask.device)
        self.rows = [self.rows[b] for b in keep]
        self.index = self.index[idx.to(self.index.device)]
        self.mask = self.mask[idx]
        self.positions = self.positions[idx]
        return idx


def _prefill(model, prompts: Sequence[Sequence[int]], pad_id: int, cache):
    """Run the left-padded prompts once into ``cache``; return (last logits (P, V), mask (P, L))."""
    device = model.device
    longest = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), longest), pad_id, dtype=torch.long)  # (P, L)
    mask = torch.zeros((len(prompts), longest), dtype=torch.long)  # (P, L)
    for i, ids in enumerate(prompts):
        input_ids[i, longest - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        mask[i, longest - len(ids) :] = 1
    # Positions count real tokens only, so a left-padded prompt sees the same
    # positions as it would alone (as model.generate does).
    positions = (mask.cumsum(-1) - 1).clamp_min(0)  # (P, L)
    out = model(
        input_ids=input_ids.to(device),
        attention_mask=mask.to(device),
        position_ids=positions.to(device),
        past_key_values=cache,
        use_cache=True,
        # lm_head on the last position only: V x hidden per prompt instead of per token.
        logits_to_keep=1,
    )
    return out.logits[:, -1, :], mask.to(device)


def decode_group(
    model,
    prompts: Sequence[Sequence[int]],
    n: int,
    *,
    temperature: float,
    top_p: float,
    new_token_caps: Sequence[int],
    uniforms: torch.Tensor,
    eos_ids: Sequence[int],
    pad_id: int,
    stop_watcher: StopWatcher | None = None,
    shared_prefix: bool = False,
    logprobs: bool = False,
) -> list[RowOutput]:
    """Generate ``n`` continuations of each prompt; return ``len(prompts) * n`` rows.

    Args:
        new_token_caps: per prompt, the most tokens it may generate (``max_new_tokens``,
            lowered where the model's context would overflow).
        uniforms: ``(len(prompts) * n, max(new_token_caps))``, one uniform per row and step.
        eos_ids: tokens that end a row; they are not part of its ``token_ids``.
        shared_prefix: keep one copy of each prompt's KV cache for its ``n`` rows and
            use shared-prefix attention (the model must have passed ``shared_prefix.unusable_reason``).
        logprobs: also record each chosen token's log-prob (``RowOutput.logprobs``).
    """
    device = model.device
    num_rows = len(prompts) * n
    max_steps = max(new_token_caps)
    longest = max(len(p) for p in prompts)
    cache = shared_prefix_cache(model.config, max_steps) if shared_prefix and n > 1 else None
    if cache is None:
        cache = preallocated_cache(model.config, capacity=longest + max_steps)
    logits, mask = _prefill(model, prompts, pad_id, cache)  # (P, V), (P, L)
    prefix: PrefixState | None = None
    if n > 1:
        cache.batch_repeat_interleave(n)
        if isinstance(cache.layers[0], SharedPrefixLayer):
            prefix = PrefixState(cache, mask, n)
        logits = logits.repeat_interleave(n, dim=0)  # (R, V)
        mask = mask.repeat_interleave(n, dim=0)  # (R, L)
    caps = [cap for cap in new_token_caps for _ in range(n)]
    batch = _Batch(
        rows=list(range(num_rows)),
        index=torch.arange(num_rows),
        mask=mask,
        positions=torch.tensor([len(p) for p in prompts for _ in range(n)], device=device),
    )
    generated: list[list[int]] = [[] for _ in range(num_rows)]
    token_logprobs: list[list[float]] = [[] for _ in range(num_rows)]
    results: list[RowOutput | None] = [None] * num_rows
    eos = set(eos_ids)

    for step in range(max_steps):
        tokens = select_tokens(logits, temperature, top_p, uniforms[batch.index, step].to(device))
        chosen_lp = (
            torch.log_softmax(logits.float() / (temperature or 1.0), dim=-1)
            .gather(-1, tokens.unsqueeze(-1))
            .squeeze(-1)
            .tolist()
            if logprobs
            else None
        )
        running: list[int] = []
        for b, (row, token) in enumerate(zip(batch.rows, tokens.tolist(), strict=True)):
            if results[row] is not None:
                continue  # finished, waiting to be dropped from the batch
            if token in eos:
                results[row] = RowOutput(
                    generated[row],
                    "stop",
                    eos_token_id=token,
                    logprobs=token_logprobs[row] if logprobs else None,
                    eos_logprob=chosen_lp[b] if chosen_lp is not None else None,
                )
                continue
            generated[row].append(token)
            if chosen_lp is not None:
                token_logprobs[row].append(chosen_lp[b])
            running.append(row)
        if stop_watcher:
            hits = stop_watcher.hits([generated[row] for row in running])
            for row, hit in zip(running, hits, strict=True):
                if hit:
                    results[row] = RowOutput(
                        generated[row],
                        "stop",
                        stopped_by_string=True,
                        logprobs=token_logprobs[row] if logprobs else None,
                    )
        for row in running:
            if results[row] is None and len(generated[row]) >= caps[row]:
                results[row] = RowOutput(
                    generated[row], "length", logprobs=token_logprobs[row] if logprobs else None
                )

        finished = [b for b, row in enumerate(batch.rows) if results[row] is not None]
        if len(finished) == len(batch.rows):
            break
        if len(finished) >= max(1, int(len(batch.rows) * COMPACT_FRACTION)):
            done = set(finished)
            keep = [b for b in range(len(batch.rows)) if b not in done]
            idx = batch.select(keep)
            cache.batch_select_indices(idx)
            if prefix is not None:
                prefix.select_rows(idx)
            tokens = tokens[idx]
        ones = torch.ones((len(batch.rows), 1), dtype=batch.mask.dtype, device=device)
        batch.mask = torch.cat([batch.mask, ones], dim=-1)  # (B, T + 1)
        out = model(
            input_ids=tokens.unsqueeze(-1),  # (B, 1)
            attention_mask=batch.mask,
            position_ids=batch.positions.unsqueeze(-1),  # (B, 1)
            past_key_values=cache,
            use_cache=True,
            **({STATE_KWARG: prefix} if prefix is not None else {}),
        )
        batch.positions = batch.positions + 1
        logits = out.logits[:, -1, :]  # (B, V)
    missing = [row for row, result in enumerate(results) if result is None]
    if missing:  # every row ends by its cap at the latest; anything else is a bug here
        raise RuntimeError(f"decode_group: rows {missing[:5]} never finished")
    return results  # type: ignore[return-value]
