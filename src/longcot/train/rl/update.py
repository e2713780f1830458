"""One RL update: old/reference log-probs and values, advantages, then PPO epochs.

The order of work in a step (DESIGN §3):

1. score the rollout with the policy as it generated it (``logp_old``, always
   recomputed by the trainer, whatever engine generated), the reference
   (``logp_ref``) and the critic (``values_old``), in micro-batches, no grad;
2. add the per-token KL penalty to the rewards as its own stream
   (``kl_in: reward``; the paper's k1 with coefficient 0.01), then the
   estimator's advantages (and the critic's per-stream returns), whitened over
   the whole batch (all processes) when asked;
3. ``ppo_epochs`` passes; each pass shuffles the rows and cuts them into
   minibatches (one optimiser step each) and micro-batches (one
   forward/backward each); the loss of a micro-batch is normalised by its
   **minibatch's** totals over all processes, so accumulation and data
   parallelism give the gradient of the whole minibatch at once.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from longcot.config import AlgorithmSection

from .checks import RLSetupError
from .estimators import AdvantageInput, get_estimator, whiten
from .losses import Normaliser, aggregate, kl_penalty, masked_mean, policy_loss, value_loss
from .rollout import Rollout

KL_STREAM = "kl"
"""The per-token KL penalty's reward stream (``kl_in: reward``)."""


class TrainingDiverged(RuntimeError):
    """A loss or gradient became NaN or infinite; the step was not applied."""


@dataclass
class Scores:
    """No-grad numbers of a rollout, ``(B, T)`` (values ``(B, T, K)``)."""

    logp_old: torch.Tensor | None
    """``None`` when the update is on-policy (see :func:`needs_old_pass`): the
    update's own first forward, detached, is then exactly ``π_old``."""
    entropy: torch.Tensor | None
    logp_ref: torch.Tensor | None
    values_old: torch.Tensor | None


def needs_old_pass(algo: AlgorithmSection, minibatches: int) -> bool:
    """Whether ``π_old`` must be scored before the update.

    With one PPO epoch of one minibatch, the policy is not updated before its
    every token is scored with gradients, so the detached training forward *is*
    ``π_old`` (ratio exactly 1; TRL skips this pass the same way). A KL penalty
    in the reward needs ``π_old`` before the advantages, and importance
    sampling needs it for its weights.
    """
    return (
        algo.ppo_epochs > 1
        or minibatches > 1
        or (algo.kl_coef > 0 and algo.kl_in == "reward")
        or algo.tis_cap is not None
    )


@dataclass
class Dist:
    """How this process sees the others: a sum over processes, and their count."""

    reduce: Callable[[torch.Tensor], torch.Tensor]
    world: int

    @staticmethod
    def single() -> Dist:
        return Dist(lambda t: t, 1)


def micro_batches(rows: torch.Tensor, size: int) -> list[torch.Tensor]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def length_sorted_micro_batches(
    rows: torch.Tensor, lengths: torch.Tensor, size: int, group: int = 1
) -> list[torch.Tensor]:
    """Micro-batches of rows of similar length, so little compute goes to padding.

    With ``group > 1``, ``rows`` is whole groups of ``group`` consecutive rows
    (one prompt's responses) and groups stay whole and in order, so each
    micro-batch can run its prompts once (``shared_prompt``): groups are sorted
    by their longest row, ``max(1, size // group)`` groups a micro-batch.
    The loss normaliser belongs to the whole minibatch (``losses.aggregate``),
    so how its rows are grouped into micro-batches changes no gradient.
    """
    if group <= 1:
        order = rows[torch.argsort(lengths[rows], stable=True)]
        return micro_batches(order, size)
    groups = rows.view(-1, group)  # (G, n)
    longest = lengths[groups].max(-1).values
    groups = groups[torch.argsort(longest, stable=True)]
    per = max(1, size // group)
    return [groups[i : i + per].reshape(-1) for i in range(0, len(groups), per)]


@torch.no_grad()
def score_rollout(
    rollout: Rollout,
    *,
    scorer,
    reference_scorer,
    critic,
    micro: int,
    device,
    old: bool = True,
    group: int = 1,
) -> Scores:
    """Old log-probs and entropies (when ``old``), reference log-probs and critic values."""
    b, t = rollout.response_mask.shape
    heads = getattr(_unwrap(critic), "value_head", None)
    out = {
        "old": torch.zeros(b, t) if old else None,
        "ent": torch.zeros(b, t) if old else None,
        "ref": torch.zeros(b, t) if reference_scorer is not None else None,
        "val": torch.zeros(b, t, heads.out_features) if heads is not None else None,
    }
    lengths = rollout.batch.lengths()
    for idx in length_sorted_micro_batches(torch.arange(b), lengths, micro, group):
        mb, width = rollout.batch.rows(idx).compact()
        mb = mb.to(device)
        args = (mb.input_ids, mb.attention_mask, mb.prompt_width, group)
        if old:
            lp, ent = scorer(*args)
            out["old"][idx, :width] = lp.float().cpu()
            out["ent"][idx, :width] = ent.float().cpu()
        if reference_scorer is not None:
            out["ref"][idx, :width] = reference_scorer(*args)[0].float().cpu()
        if critic is not None:
            out["val"][idx, :width] = critic(*args).float().cpu()
    mask = rollout.response_mask
    return Scores(
        out["old"] * mask if old else None,
        out["ent"] * mask if old else None,
        out["ref"] * mask if out["ref"] is not None else None,
        out["val"] * mask.unsqueeze(-1) if out["val"] is not None else None,
    )


def _unwrap(module):
    """The module inside a DDP / FSDP wrapper (or the module itself)."""
    return getattr(module, "module", module)


def advantages(
    rollout: Rollout,
    scores: Scores,
    algo: AlgorithmSection,
    gammas: dict[str, float],
    stream_order: tuple[str, ...],
    group_size: int,
    dist: Dist,
) -> tuple[torch.Tensor, torch.Tensor | None, dict[str, torch.Tensor]]:
    """``(advantages (B, T), returns (B, T, K) or None, streams used)``."""
    streams = dict(rollout.streams)
    mask = rollout.response_mask * rollout.valid.view(-1, 1)
    if algo.kl_coef > 0 and algo.kl_in == "reward":
        kl = kl_penalty(scores.logp_old, scores.logp_ref, algo.kl_estimator)
        streams[KL_STREAM] = -algo.kl_coef * kl * mask
    x = AdvantageInput(
        rewards=streams,
        gammas=gammas,
        mask=mask,
        values=scores.values_old,
        stream_order=stream_order,
        group_size=group_size,
        valid=rollout.valid,
        lam=algo.lam,
        std_eps=algo.std_eps,
    )
    adv, returns = get_estimator(algo.estimator)(x)
    if algo.whiten_advantages:
        adv = whiten(adv, mask, reduce=dist.reduce)
    return adv.float(), returns, streams


def tis_weights(
    rollout: Rollout, scores: Scores, loss_mask: torch.Tensor, cap: float | None, backend: str
) -> tuple[torch.Tensor | None, dict[str, float]]:
    """Truncated importance sampling: per-token ``min(π_old / π_engine, cap)`` against the
    rollout engine's own log-probs, and the raw ratio's statistics (TRL issue 4159)."""
    if cap is None:
        return None, {}
    if rollout.rollout_logprobs is None:
        raise RLSetupError(
            f"algorithm.tis_cap needs the rollout engine's log-probs; backend "
            f"{backend!r} did not return them"
        )
    ratio = torch.exp(scores.logp_old - rollout.rollout_logprobs) * loss_mask
    raw = ratio[loss_mask.bool()]
    stats = {
        "tis/ratio_mean": float(raw.mean()) if raw.numel() else float("nan"),
        "tis/ratio_max": float(raw.max()) if raw.numel() else float("nan"),
        "tis/capped_frac": float((raw > cap).float().mean()) if raw.numel() else 0.0,
    }
    return ratio.clamp(max=cap), stats


@dataclass
class UpdateInputs:
    rollout: Rollout
    scores: Scores
    adv: torch.Tensor
    returns: torch.Tensor | None
    loss_mask: torch.Tensor
    """``(B, T)``: positions in the policy loss (overlong filtering and skipped rows removed)."""
    value_mask: torch.Tensor
    tis_weights: torch.Tensor | None


def _normaliser(mask_rows: torch.Tensor, algo: AlgorithmSection, budget: int, dist: Dist):
    local = torch.stack([mask_rows.sum().double(), (mask_rows.sum(-1) > 0).sum().double()])
    tokens, seqs = dist.reduce(local).tolist()
    return Normaliser(
        tokens=tokens / dist.world,
        sequences=seqs / dist.world,
        norm_tokens=float(algo.loss_norm_tokens or budget),
    )


def ppo_update(
    inputs: UpdateInputs,
    *,
    algo: AlgorithmSection,
    budget: int,
    accelerator,
    scorer,
    critic,
    policy_opt,
    critic_opt,
    policy_sched,
    critic_sched,
    grad_clip: float | None,
    minibatch_rows: int,
    generator: torch.Generator,
    dist: Dist,
    group: int = 1,
) -> dict[str, tuple[float, float]]:
    """PPO epochs over one rollout on this process.

    Returns ``{name: (weighted sum, weight)}``: token-weighted sums of the
    per-micro-batch statistics (losses, clip fraction) and plain sums of the
    per-step ones (gradient norms), for the caller to add up over processes
    before dividing, so two processes report what one would.
    """
    device = accelerator.device
    b = inputs.rollout.size
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}

    def add(name: str, value: float, weight: float = 1.0) -> None:
        sums[name] = sums.get(name, 0.0) + value * weight
        counts[name] = counts.get(name, 0.0) + weight

    for _epoch in range(algo.ppo_epochs):
        if group > 1:  # shuffle whole groups, so micro-batches can share prompts
            groups = torch.randperm(b // group, generator=generator)
            order = (groups[:, None] * group + torch.arange(group)[None]).reshape(-1)
        else:
            order = torch.randperm(b, generator=generator)
        for mb_rows in micro_batches(order, minibatch_rows):
            pol_norm = _normaliser(inputs.loss_mask[mb_rows], algo, budget, dist)
            val_norm = _normaliser(inputs.value_mask[mb_rows], algo, budget, dist)
            micro = length_sorted_micro_batches(
                mb_rows, inputs.rollout.batch.lengths(), algo.micro_batch_size, group
            )
            for k, rows in enumerate(micro):
                last = k == len(micro) - 1
                stats = _micro_step(
                    inputs,
                    rows,
                    algo,
                    accelerator,
                    scorer,
                    critic,
                    pol_norm,
                    val_norm,
                    last,
                    device,
                    group,
                )
                tokens = float(inputs.loss_mask[rows].sum())
                for name, value in stats.items():
                    add(name, value, tokens)
            grad_norm = _optimizer_step(
                accelerator, scorer, policy_opt, policy_sched, grad_clip, "policy"
            )
            add("grad_norm", grad_norm)
            if critic is not None:
                add(
                    "critic_grad_norm",
                    _optimizer_step(
                        accelerator, critic, critic_opt, critic_sched, grad_clip, "critic"
                    ),
                )
    return {k: (sums[k], counts[k]) for k in sums}


def _micro_step(
    inputs, rows, algo, accelerator, scorer, critic, pol_norm, val_norm, last, device, group
):
    mb, w = inputs.rollout.batch.rows(rows).compact()
    mb = mb.to(device)
    args = (mb.input_ids, mb.attention_mask, mb.prompt_width, group)
    mask = inputs.loss_mask[rows, :w].to(device)
    adv = inputs.adv[rows, :w].to(device)
    stats: dict[str, float] = {}
    sync = contextlib.nullcontext() if last else accelerator.no_sync(scorer)
    with sync:
        logp, entropy = scorer(*args)
        if inputs.scores.logp_old is None:  # on-policy: this forward is π_old
            old = logp.detach()
        else:
            old = inputs.scores.logp_old[rows, :w].to(device)
        weights = (
            inputs.tis_weights[rows, :w].to(device) if inputs.tis_weights is not None else None
        )
        pl = policy_loss(
            logp, old, adv, clip_low=algo.clip_low, clip_high=algo.clip_high, weights=weights
        )
        per_token = pl.loss
        if algo.kl_coef > 0 and algo.kl_in == "loss":
            ref = inputs.scores.logp_ref[rows, :w].to(device)
            kl = kl_penalty(logp, ref, algo.kl_estimator)
            per_token = per_token + algo.kl_coef * kl
            stats["kl_loss"] = float(masked_mean(kl.detach(), mask))
            stats["kl_k1"] = float(masked_mean(logp.detach() - ref, mask))
        if algo.entropy_coef > 0:
            per_token = per_token - algo.entropy_coef * entropy
        loss = aggregate(per_token, mask, algo.loss_agg, pol_norm)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"the policy loss is {loss.item()} on a micro-batch")
        accelerator.backward(loss)
    stats["policy_loss"] = float(masked_mean(pl.loss.detach(), mask))
    stats["update_entropy"] = float(masked_mean(entropy.detach(), mask))
    stats["clip_frac"] = float(masked_mean(pl.clipped, mask))
    stats["ratio_mean"] = float(masked_mean(pl.ratio, mask))
    if critic is not None:
        vmask = inputs.value_mask[rows, :w].to(device)
        csync = contextlib.nullcontext() if last else accelerator.no_sync(critic)
        with csync:
            values = critic(*args)
            vl = value_loss(
                values,
                inputs.scores.values_old[rows, :w].to(device),
                inputs.returns[rows, :w].to(device),
                clip=algo.value_clip,
            )
            vloss = algo.value_coef * aggregate(vl, vmask, "token-mean", val_norm)
            if not torch.isfinite(vloss):
                raise TrainingDiverged(f"the value loss is {vloss.item()} on a micro-batch")
            accelerator.backward(vloss)
        stats["value_loss"] = float(masked_mean(vl.detach(), vmask))
    return stats


def _optimizer_step(accelerator, module, opt, sched, grad_clip, name: str) -> float:
    params = [p for p in module.parameters() if p.requires_grad]
    if grad_clip is not None:
        norm = accelerator.clip_grad_norm_(params, grad_clip)
    else:
        norm = torch.norm(
            torch.stack([p.grad.detach().norm() for p in params if p.grad is not None])
        )
    norm = float(norm)
    if not math.isfinite(norm):
        opt.zero_grad(set_to_none=True)
        raise TrainingDiverged(f"the {name} gradient norm is {norm}")
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)
    return norm
