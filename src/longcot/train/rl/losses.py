r"""PPO losses, KL estimators and loss aggregation (DESIGN §3), as pure tensor functions.

Shapes: ``(B, T)`` per response position; ``mask`` is 1 on positions that
enter the loss. Every function returns per-token values; :func:`aggregate`
turns them into the scalar to back-propagate, with a normaliser that belongs
to the **whole** optimiser batch, not to the micro-batch it is called on: with
gradient accumulation (and across processes) the sum of the micro-batch
losses must equal the loss of the batch computed at once (TRL issue 5619).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def kl_penalty(logp: torch.Tensor, logp_ref: torch.Tensor, estimator: str) -> torch.Tensor:
    r"""Per-token KL estimate between the policy and the reference (Schulman's k1/k2/k3).

    With :math:`\log r = \log\pi_{ref} - \log\pi`:
    ``k1`` :math:`= -\log r` (unbiased, can be negative; the paper's per-token
    reward penalty), ``k2`` :math:`= \tfrac12 (\log r)^2`, ``k3`` :math:`= r - 1 - \log r`
    (non-negative, low variance; its gradient is biased, so OpenRLHF advises k1
    in the reward and k2/k3 in the loss).
    """
    log_ratio = logp_ref - logp
    if estimator == "k1":
        return -log_ratio
    if estimator == "k2":
        return 0.5 * log_ratio**2
    if estimator == "k3":
        # exp of a clamped log-ratio: one outlier token must not overflow to inf.
        log_ratio = log_ratio.clamp(-20.0, 20.0)
        return torch.exp(log_ratio) - 1.0 - log_ratio
    raise ValueError(f"unknown KL estimator {estimator!r}; use k1, k2 or k3")


@dataclass(frozen=True)
class PolicyLossOutput:
    loss: torch.Tensor
    """``(B, T)`` per-token clipped surrogate loss (to minimise)."""
    clipped: torch.Tensor
    """``(B, T)`` 1 where the clipped term was the active one."""
    ratio: torch.Tensor
    """``(B, T)`` ``π / π_old``."""


def policy_loss(
    logp: torch.Tensor,
    logp_old: torch.Tensor,
    advantages: torch.Tensor,
    *,
    clip_low: float,
    clip_high: float,
    weights: torch.Tensor | None = None,
) -> PolicyLossOutput:
    r"""PPO's clipped surrogate with separate bounds ("clip-higher", DAPO):

    :math:`\ell_t = \max(-A_t \rho_t,\; -A_t\,\mathrm{clip}(\rho_t, 1-\epsilon_{low}, 1+\epsilon_{high}))`,
    :math:`\rho_t = \exp(\log\pi_t - \log\pi_{old,t})`. ``weights`` (truncated
    importance-sampling weights, no gradient) multiply :math:`\ell_t`.
    """
    ratio = torch.exp(logp - logp_old)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    loss = torch.maximum(unclipped, clipped)
    if weights is not None:
        loss = loss * weights.detach()
    return PolicyLossOutput(loss, (clipped > unclipped).to(loss.dtype), ratio.detach())


def value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    *,
    clip: float | None,
) -> torch.Tensor:
    r"""Per-token value loss, summed over heads: :math:`\tfrac12\max((V - R)^2, (V_{clip} - R)^2)`
    with :math:`V_{clip} = V_{old} + \mathrm{clip}(V - V_{old}, -c, c)` (or plain
    :math:`\tfrac12 (V - R)^2` when ``clip`` is ``None``). Inputs ``(B, T, K)``;
    output ``(B, T)``."""
    err = (values - returns) ** 2
    if clip is not None:
        clipped = old_values + (values - old_values).clamp(-clip, clip)
        err = torch.maximum(err, (clipped - returns) ** 2)
    return 0.5 * err.sum(-1)


@dataclass(frozen=True)
class Normaliser:
    """The whole optimiser batch's size, as seen by one process.

    ``tokens`` / ``sequences``: totals over the optimiser batch on *all*
    processes, divided by the number of processes (data-parallel training
    averages gradients over processes, so each process's share of the
    normaliser is the global total over the world size). ``norm_tokens``:
    Dr.GRPO's constant (the generation budget).
    """

    tokens: float
    sequences: float
    norm_tokens: float = 1.0


def aggregate(loss: torch.Tensor, mask: torch.Tensor, mode: str, norm: Normaliser) -> torch.Tensor:
    r"""Reduce a ``(b, T)`` micro-batch of per-token losses to its share of the batch loss.

    - ``token-mean``: :math:`\sum_{i,t} \ell_{it} m_{it} / N_{tokens}` — every token of
      the batch weighs the same (DAPO; verl's default).
    - ``seq-mean-token-mean``: :math:`\frac1{N_{seq}} \sum_i \frac{\sum_t \ell_{it} m_{it}}{\sum_t m_{it}}`
      — GRPO's original; long responses' tokens weigh less.
    - ``seq-mean-token-sum-norm``: :math:`\frac1{N_{seq}} \sum_i \frac{\sum_t \ell_{it} m_{it}}{C}`
      — Dr.GRPO, with :math:`C` the generation budget, removing the length bias.

    Summing this over the micro-batches of an optimiser batch gives the
    loss of the whole batch computed at once.
    """
    m = mask.to(loss.dtype)
    if mode == "token-mean":
        return (loss * m).sum() / max(norm.tokens, 1e-9)
    per_seq = (loss * m).sum(-1)
    if mode == "seq-mean-token-mean":
        per_seq = per_seq / m.sum(-1).clamp_min(1.0)
    elif mode == "seq-mean-token-sum-norm":
        per_seq = per_seq / norm.norm_tokens
    else:
        raise ValueError(f"unknown loss aggregation {mode!r}")
    # Rows with no valid token (skipped samples) contribute 0 but still count
    # in N_seq only if the caller counted them; the trainer counts valid rows.
    return per_seq.sum() / max(norm.sequences, 1e-9)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(x.dtype)
    return (x * m).sum() / m.sum().clamp_min(1.0)
