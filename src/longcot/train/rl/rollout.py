"""One RL step's rollouts: generate, score, and lay out as tensors for the losses.

``Rollout`` holds everything the update needs for this process's share of the
step: the :class:`~longcot.train.rl.scoring.SequenceBatch` (prompt left-padded,
response right-padded), the response mask, the per-token reward streams laid
out by ``rewards.placement`` (the one place where rewards meet tokens), and
per-response facts for metrics.

Response positions are the generated tokens plus the end-of-sequence token
when the model emitted one: the decision to stop is an action too, and the
outcome reward sits on it (``rewards.placement``). A response cut by a stop
string or the budget has no end-of-sequence position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from longcot.config import RolloutSection
from longcot.generate.types import Completion
from longcot.rewards import RewardSpec, SampleRewards, place_streams

from .checks import RLSetupError
from .models import Models
from .prompts import PromptItem
from .scoring import SequenceBatch


@dataclass
class Rollout:
    items: list[PromptItem]
    """One per response (each prompt repeated ``n`` times, consecutive)."""
    completions: list[Completion]
    samples: list[SampleRewards]
    batch: SequenceBatch
    response_mask: torch.Tensor
    """``(B, T)`` float: 1 on response positions."""
    streams: dict[str, torch.Tensor]
    """Stream name -> ``(B, T)`` rewards on response positions."""
    valid: torch.Tensor
    """``(B,)`` bool: rows with a usable gold (not skipped)."""
    truncated: torch.Tensor
    """``(B,)`` bool."""
    rollout_logprobs: torch.Tensor | None = None
    """``(B, T)`` the rollout engine's own log-probs (for importance sampling), if it gave them."""

    @property
    def size(self) -> int:
        return len(self.completions)


def response_tokens(completion: Completion) -> list[int]:
    """The tokens the trainer scores: generated ids, plus the end-of-sequence token that ended it."""
    ids = list(completion.token_ids)
    eos = completion.extra.get("eos_token_id")
    if completion.finish_reason == "stop" and eos is not None:
        ids.append(int(eos))
    return ids


def score_completions(
    spec: RewardSpec, items: Sequence[PromptItem], completions: Sequence[Completion], group: int
) -> list[SampleRewards]:
    """Grade with the one verifier, then add group-level streams prompt by prompt."""
    samples = spec.score_batch(
        [it.gold for it in items],
        completions,
        tasks=[it.task or spec.task for it in items],
        answer_types=[it.answer_type for it in items],
    )
    out: list[SampleRewards] = []
    for start in range(0, len(samples), group):
        out.extend(spec.add_group_streams(samples[start : start + group]))
    return out


def build_rollout(
    items: list[PromptItem],
    prompt_ids: list[list[int]],
    completions: list[Completion],
    samples: list[SampleRewards],
    *,
    pad_id: int,
) -> Rollout:
    """Tensors for a step: ``items``/``prompt_ids``/``completions``/``samples`` are per response."""
    n = len(completions)
    if not (len(items) == len(prompt_ids) == len(samples) == n):
        raise ValueError("items, prompt ids, completions and samples must align")
    responses = [response_tokens(c) for c in completions]
    width_p = max(len(p) for p in prompt_ids)
    width_t = max(1, max(len(r) for r in responses))
    ids = torch.full((n, width_p + width_t), pad_id, dtype=torch.long)
    attn = torch.zeros((n, width_p + width_t), dtype=torch.long)
    for i, (p, r) in enumerate(zip(prompt_ids, responses, strict=True)):
        ids[i, width_p - len(p) : width_p] = torch.tensor(p, dtype=torch.long)
        attn[i, width_p - len(p) : width_p] = 1
        if r:
            ids[i, width_p : width_p + len(r)] = torch.tensor(r, dtype=torch.long)
            attn[i, width_p : width_p + len(r)] = 1
    batch = SequenceBatch(ids, attn, width_p)
    mask = attn[:, width_p:].float()
    names = list(samples[0].streams) if samples else []
    streams = {name: torch.zeros(n, width_t, dtype=torch.float32) for name in names}
    for i, (s, r) in enumerate(zip(samples, responses, strict=True)):
        placed = place_streams(s, len(r))
        for name in names:
            streams[name][i, : len(r)] = torch.from_numpy(placed[name]).float()
    rollout_lp = None
    if completions and all("token_logprobs" in c.extra for c in completions):
        rollout_lp = torch.zeros(n, width_t)
        for i, (c, r) in enumerate(zip(completions, responses, strict=True)):
            lps = list(c.extra["token_logprobs"])
            if len(r) > len(lps):
                lps.append(c.extra.get("eos_logprob", 0.0))
            rollout_lp[i, : len(r)] = torch.tensor(lps[: len(r)])
    return Rollout(
        items=items,
        completions=completions,
        samples=samples,
        batch=batch,
        response_mask=mask,
        streams=streams,
        valid=torch.tensor([not s.skipped for s in samples], dtype=torch.bool),
        truncated=torch.tensor([s.truncated for s in samples], dtype=torch.bool),
        rollout_logprobs=rollout_lp,
    )


def open_rollout_backend(rollout: RolloutSection, models: Models):
    """``hf`` generates with the live policy; another engine must take the policy's
    weights after each update (``load_weights``: vLLM)."""
    if rollout.backend == "hf":
        from longcot.generate.hf import HFBackend

        options = {k: v for k, v in rollout.backend_options.items() if k != "device"}
        return HFBackend(models.policy, models.tokenizer, **options)
    from longcot.generate import load_backend

    backend = load_backend(rollout.backend, models.path, **rollout.backend_options)
    if not hasattr(backend, "load_weights"):
        raise RLSetupError(
            f"rollout.backend={rollout.backend!r} cannot receive the policy's weights after "
            "an update (it has no load_weights); use hf or vllm"
        )
    return backend
