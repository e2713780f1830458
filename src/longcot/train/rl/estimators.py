r"""Advantage estimators: one pure function each, in one registry (DESIGN §3).

Every estimator takes an :class:`AdvantageInput` (per-token reward streams,
their discounts, the response mask, and for ``gae`` the critic's per-stream
values) and returns ``(advantages, returns)``: ``advantages`` of shape
``(B, T)``, and ``returns`` of shape ``(B, T, K)`` (the critic's targets, one
per stream) or ``None`` for critic-free estimators. Positions past a
response's end are 0.

- ``gae``: GAE with **one discount per stream and any λ**. With several
  streams each has its own value head, and
  :math:`\hat A_t = \sum_m \mathrm{GAE}_\lambda(r_m, V_m, \gamma_m)_t`,
  :math:`\delta^m_t = r^m_t + \gamma_m V^m_{t+1} - V^m_t`,
  :math:`\mathrm{GAE}_t = \sum_l (\gamma_m\lambda)^l \delta^m_{t+l}`.
  With λ = 1 this is :math:`\sum_m G^m_t - \sum_m V^m_t`, the paper's §4.6
  form (which is why the authors' fork allows several γ only with λ = 1; the
  per-stream heads lift that limit). Returns are :math:`\hat A^m_t + V^m_t`.
- ``grpo`` (Shao et al. 2024): :math:`(R_i - \mathrm{mean}_g R)/(\mathrm{std}_g R + \epsilon)`.
- ``dr_grpo`` (Liu et al. 2025): :math:`R_i - \mathrm{mean}_g R` (no std; pair it
  with ``seq-mean-token-sum-norm``).
- ``rloo`` (Ahmadian et al. 2024): :math:`R_i - \mathrm{mean}_{j \ne i} R_j`.

Critic-free estimators see one outcome :math:`R_i` per response: the sum of
the *outcome* streams (those that sit on the last token: correctness and the
length rewards), since every token of a response shares it. *Dense* streams
(repetition, a per-token KL penalty) enter as their discounted token returns
:math:`\sum_{m \in dense} G^m_t`, added to the group-relative advantage, so a
repeated span is still blamed on the tokens before it (DESIGN §3).

Groups are consecutive rows: row ``i`` belongs to group ``i // group_size``
(the ``n`` samples of one prompt). Group statistics are vectorised over a
``(groups, n)`` view, never a Python loop per sample.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from longcot.rewards.samples import OUTCOME_STREAMS


@dataclass(frozen=True)
class AdvantageInput:
    rewards: Mapping[str, torch.Tensor]
    """Stream name -> ``(B, T)`` per-token rewards (0 past the end)."""
    gammas: Mapping[str, float]
    """Stream name -> its discount."""
    mask: torch.Tensor
    """``(B, T)``, 1 on response positions (tokens and end-of-sequence), else 0."""
    values: torch.Tensor | None = None
    """``(B, T, K)`` critic values, one head per stream in ``stream_order``."""
    stream_order: tuple[str, ...] = ()
    """Order of the critic heads; default: ``rewards``' order."""
    group_size: int = 1
    """Responses per prompt (consecutive rows)."""
    valid: torch.Tensor | None = None
    """``(B,)`` bool: rows that take part in group statistics (skipped samples do not)."""
    lam: float = 1.0
    std_eps: float = 1e-6
    options: Mapping[str, object] = field(default_factory=dict)

    def order(self) -> tuple[str, ...]:
        return self.stream_order or tuple(self.rewards)


Estimator = Callable[[AdvantageInput], tuple[torch.Tensor, torch.Tensor | None]]

ESTIMATORS: dict[str, Estimator] = {}
"""Name -> estimator; ``register`` refuses duplicates, ``get_estimator`` lists names on a miss."""

NEEDS_CRITIC: set[str] = set()


def register(name: str, *, critic: bool = False) -> Callable[[Estimator], Estimator]:
    def wrap(fn: Estimator) -> Estimator:
        if name in ESTIMATORS:
            raise ValueError(f"estimator {name!r} is already registered ({ESTIMATORS[name]!r})")
        ESTIMATORS[name] = fn
        if critic:
            NEEDS_CRITIC.add(name)
        return fn

    return wrap


def get_estimator(name: str) -> Estimator:
    """A registered estimator, or ``module:function`` for your own."""
    if name in ESTIMATORS:
        return ESTIMATORS[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"estimator {name!r}: cannot import it ({e})") from None
        if not callable(fn):
            raise ValueError(f"estimator {name!r} is not callable")
        return fn
    raise ValueError(
        f"unknown estimator {name!r}; registered: {', '.join(sorted(ESTIMATORS))} "
        "(or 'module:function')"
    )


def needs_critic(name: str) -> bool:
    return name in NEEDS_CRITIC


def discounted_token_returns(
    rewards: torch.Tensor, mask: torch.Tensor, gamma: float
) -> torch.Tensor:
    """``G_t = Σ_l γ^l r_{t+l}`` over each row's valid positions, ``(B, T)``, float64 math."""
    r = (rewards * mask).double()
    out = torch.zeros_like(r)
    running = torch.zeros(r.shape[0], dtype=r.dtype, device=r.device)
    for t in range(r.shape[1] - 1, -1, -1):  # T steps of a (B,) vector op: cheap next to the model
        running = r[:, t] + gamma * running
        out[:, t] = running
    return (out * mask).to(rewards.dtype)


def gae_one_stream(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> torch.Tensor:
    """GAE advantages of one stream, ``(B, T)``; ``V`` past a row's end is 0 (terminal)."""
    r = (rewards * mask).double()
    v = (values * mask).double()
    out = torch.zeros_like(r)
    last = torch.zeros(r.shape[0], dtype=r.dtype, device=r.device)
    next_value = torch.zeros_like(last)
    for t in range(r.shape[1] - 1, -1, -1):
        m = mask[:, t].double()
        delta = r[:, t] + gamma * next_value - v[:, t]
        last = (delta + gamma * lam * last) * m
        out[:, t] = last
        next_value = v[:, t] * m
    return out.to(rewards.dtype)


@register("gae", critic=True)
def gae(x: AdvantageInput) -> tuple[torch.Tensor, torch.Tensor]:
    if x.values is None:
        raise ValueError("gae needs critic values (one head per reward stream)")
    order = x.order()
    if x.values.shape[-1] != len(order):
        raise ValueError(f"critic has {x.values.shape[-1]} heads for streams {list(order)}")
    per_stream = [
        gae_one_stream(x.rewards[name], x.values[..., k], x.mask, x.gammas[name], x.lam)
        for k, name in enumerate(order)
    ]
    adv = torch.stack(per_stream, dim=-1)  # (B, T, K)
    returns = (adv + x.values) * x.mask.unsqueeze(-1)
    return adv.sum(-1) * x.mask, returns


def outcome_and_dense(x: AdvantageInput) -> tuple[torch.Tensor, torch.Tensor]:
    """``R`` ``(B,)``: the sum of the outcome streams; dense returns ``(B, T)``."""
    outcome = torch.zeros(x.mask.shape[0], dtype=torch.float64, device=x.mask.device)
    dense = torch.zeros(x.mask.shape, dtype=torch.float64, device=x.mask.device)
    for name, r in x.rewards.items():
        if name in OUTCOME_STREAMS:
            outcome += (r * x.mask).double().sum(-1)
        else:
            dense += discounted_token_returns(r.double(), x.mask, x.gammas[name])
    return outcome, dense


def _groups(values: torch.Tensor, x: AdvantageInput) -> tuple[torch.Tensor, torch.Tensor]:
    """``(G, n)`` views of the outcomes and of the validity flags."""
    n = x.group_size
    if values.shape[0] % n:
        raise ValueError(f"{values.shape[0]} responses do not split into groups of {n}")
    valid = torch.ones_like(values, dtype=torch.bool) if x.valid is None else x.valid
    return values.view(-1, n), valid.view(-1, n).to(values.dtype)


def _group_mean(r: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (r * w).sum(-1, keepdim=True) / w.sum(-1, keepdim=True).clamp_min(1)


def _critic_free(x: AdvantageInput, scalar_adv: torch.Tensor, dense: torch.Tensor):
    adv = (scalar_adv.view(-1, 1) + dense) * x.mask
    if x.valid is not None:
        adv = adv * x.valid.view(-1, 1)
    return adv.float(), None


@register("grpo")
def grpo(x: AdvantageInput):
    outcome, dense = outcome_and_dense(x)
    r, w = _groups(outcome, x)
    mean = _group_mean(r, w)
    count = w.sum(-1, keepdim=True)
    # Unbiased std over the group's valid members (torch.std's default, as GRPO).
    var = ((r - mean) ** 2 * w).sum(-1, keepdim=True) / (count - 1).clamp_min(1)
    adv = (r - mean) / (var.sqrt() + x.std_eps)
    return _critic_free(x, (adv * w).view(-1), dense)


@register("dr_grpo")
def dr_grpo(x: AdvantageInput):
    outcome, dense = outcome_and_dense(x)
    r, w = _groups(outcome, x)
    adv = (r - _group_mean(r, w)) * w
    return _critic_free(x, adv.view(-1), dense)


@register("rloo")
def rloo(x: AdvantageInput):
    outcome, dense = outcome_and_dense(x)
    r, w = _groups(outcome, x)
    count = w.sum(-1, keepdim=True)
    others = ((r * w).sum(-1, keepdim=True) - r) / (count - 1).clamp_min(1)
    adv = torch.where(count > 1, r - others, torch.zeros_like(r)) * w
    return _critic_free(x, adv.view(-1), dense)


def whiten(
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    reduce: Callable[[torch.Tensor], torch.Tensor] | None = None,
    eps: float = 1e-8,
) -> torch.Tensor:
    """Normalise advantages to mean 0, std 1 over the valid tokens of the whole batch.

    ``reduce`` sums a tensor over processes (``accelerator.reduce``) so every
    rank whitens with the global statistics, as one process would.
    """
    m = mask.double()
    a = advantages.double() * m
    stats = torch.stack([a.sum(), (a * a).sum(), m.sum()])
    if reduce is not None:
        stats = reduce(stats)
    total, sq, count = stats.unbind()
    count = count.clamp_min(1)
    mean = total / count
    var = (sq / count - mean**2).clamp_min(0)
    return (((advantages.double() - mean) / (var.sqrt() + eps)) * m).to(advantages.dtype)
