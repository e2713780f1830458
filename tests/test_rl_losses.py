"""PPO losses, KL estimators and aggregation against hand-written loops."""

from __future__ import annotations

import math

import pytest
import torch

from longcot.train.rl.losses import (
    Normaliser,
    aggregate,
    kl_penalty,
    policy_loss,
    value_loss,
)
from longcot.train.rl.metrics import explained_variance

g = torch.Generator().manual_seed(0)
B, T = 4, 6
LOGP = torch.randn(B, T, generator=g, dtype=torch.float64) - 2
LOGP_OLD = LOGP + 0.3 * torch.randn(B, T, generator=g, dtype=torch.float64)
LOGP_REF = LOGP + 0.5 * torch.randn(B, T, generator=g, dtype=torch.float64)
ADV = torch.randn(B, T, generator=g, dtype=torch.float64)
MASK = torch.tensor([[1] * 6, [1] * 3 + [0] * 3, [1] * 5 + [0], [1] + [0] * 5], dtype=torch.float64)


@pytest.mark.parametrize("estimator", ["k1", "k2", "k3"])
def test_kl_estimators(estimator):
    out = kl_penalty(LOGP, LOGP_REF, estimator)
    for i in range(B):
        for t in range(T):
            lp, lr = LOGP[i, t].item(), LOGP_REF[i, t].item()
            expected = {
                "k1": lp - lr,
                "k2": 0.5 * (lp - lr) ** 2,
                "k3": math.exp(lr - lp) - 1 - (lr - lp),
            }[estimator]
            assert out[i, t].item() == pytest.approx(expected, rel=1e-12, abs=1e-12)
    if estimator != "k1":
        assert (out >= 0).all()
    with pytest.raises(ValueError, match="k1, k2 or k3"):
        kl_penalty(LOGP, LOGP_REF, "k4")


@pytest.mark.parametrize("low,high", [(0.2, 0.2), (0.2, 0.28), (0.1, 0.5)])
def test_clipped_policy_loss(low, high):
    out = policy_loss(LOGP, LOGP_OLD, ADV, clip_low=low, clip_high=high)
    for i in range(B):
        for t in range(T):
            ratio = math.exp(LOGP[i, t].item() - LOGP_OLD[i, t].item())
            a = ADV[i, t].item()
            clipped_ratio = min(max(ratio, 1 - low), 1 + high)
            expected = max(-a * ratio, -a * clipped_ratio)
            assert out.loss[i, t].item() == pytest.approx(expected, rel=1e-12)
            assert out.clipped[i, t].item() == float(-a * clipped_ratio > -a * ratio)


def test_clip_higher_lets_positive_advantages_move_further():
    logp_old = torch.zeros(1, 1, dtype=torch.float64)
    logp = torch.full((1, 1), math.log(1.25), dtype=torch.float64)  # ratio 1.25
    adv = torch.ones(1, 1, dtype=torch.float64)
    tight = policy_loss(logp, logp_old, adv, clip_low=0.2, clip_high=0.2).loss.item()
    loose = policy_loss(logp, logp_old, adv, clip_low=0.2, clip_high=0.28).loss.item()
    assert tight == pytest.approx(-1.2) and loose == pytest.approx(-1.25)


def test_importance_weights_scale_the_loss_without_gradient():
    w = torch.full((B, T), 0.5, dtype=torch.float64, requires_grad=True)
    logp = LOGP.clone().requires_grad_(True)
    plain = policy_loss(LOGP, LOGP_OLD, ADV, clip_low=0.2, clip_high=0.2).loss
    weighted = policy_loss(logp, LOGP_OLD, ADV, clip_low=0.2, clip_high=0.2, weights=w)
    assert torch.allclose(weighted.loss, 0.5 * plain)
    weighted.loss.sum().backward()
    assert w.grad is None


def test_value_loss_clipped_and_plain():
    k = 2
    v = torch.randn(B, T, k, generator=g, dtype=torch.float64)
    v_old = v + 0.5 * torch.randn(B, T, k, generator=g, dtype=torch.float64)
    ret = torch.randn(B, T, k, generator=g, dtype=torch.float64)
    out = value_loss(v, v_old, ret, clip=0.2)
    plain = value_loss(v, v_old, ret, clip=None)
    for i in range(B):
        for t in range(T):
            e, p = 0.0, 0.0
            for h in range(k):
                vv, vo, r = v[i, t, h].item(), v_old[i, t, h].item(), ret[i, t, h].item()
                vc = vo + min(max(vv - vo, -0.2), 0.2)
                e += 0.5 * max((vv - r) ** 2, (vc - r) ** 2)
                p += 0.5 * (vv - r) ** 2
            assert out[i, t].item() == pytest.approx(e, rel=1e-12)
            assert plain[i, t].item() == pytest.approx(p, rel=1e-12)


def _reference(loss, mask, mode, norm_tokens=10.0):
    rows = []
    for i in range(loss.shape[0]):
        vals = [loss[i, t].item() for t in range(loss.shape[1]) if mask[i, t] > 0]
        rows.append(vals)
    if mode == "token-mean":
        flat = [v for r in rows for v in r]
        return sum(flat) / len(flat)
    if mode == "seq-mean-token-mean":
        return sum(sum(r) / len(r) for r in rows) / len(rows)
    return sum(sum(r) / norm_tokens for r in rows) / len(rows)


MODES = ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]


@pytest.mark.parametrize("mode", MODES)
def test_aggregation_modes(mode):
    loss = ADV.abs()
    norm = Normaliser(tokens=float(MASK.sum()), sequences=float(B), norm_tokens=10.0)
    assert aggregate(loss, MASK, mode, norm).item() == pytest.approx(_reference(loss, MASK, mode))


@pytest.mark.parametrize("mode", MODES)
def test_micro_batches_sum_to_the_big_batch_loss_and_gradient(mode):
    # One optimiser batch at once == the same batch in micro-batches of 1 and 3 rows,
    # each normalised by the whole batch's counts (not its own).
    norm = Normaliser(tokens=float(MASK.sum()), sequences=float(B), norm_tokens=10.0)
    w_big = torch.ones(B, T, dtype=torch.float64, requires_grad=True)
    big = aggregate((ADV * w_big) ** 2, MASK, mode, norm)
    big.backward()
    w_small = torch.ones(B, T, dtype=torch.float64, requires_grad=True)
    total = 0.0
    for rows in (slice(0, 1), slice(1, 4)):
        part = aggregate((ADV[rows] * w_small[rows]) ** 2, MASK[rows], mode, norm)
        part.backward()
        total += part.item()
    assert total == pytest.approx(big.item(), rel=1e-12)
    assert torch.allclose(w_small.grad, w_big.grad, rtol=1e-12, atol=0)
    # The per-micro-batch normaliser (the bug TRL issue 5619 describes) differs.
    wrong = sum(
        aggregate(
            ADV[r] ** 2,
            MASK[r],
            mode,
            Normaliser(float(MASK[r].sum()), float(MASK[r].shape[0]), 10.0),
        ).item()
        for r in (slice(0, 1), slice(1, 4))
    )
    assert wrong != pytest.approx(big.item())


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown loss aggregation"):
        aggregate(ADV, MASK, "sum", Normaliser(1, 1))


def test_explained_variance():
    r = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    m = torch.ones(1, 4)
    assert explained_variance(r, r, m) == pytest.approx(1.0)
    assert explained_variance(torch.full_like(r, 2.5), r, m) == pytest.approx(0.0)
    assert math.isnan(explained_variance(r, torch.ones_like(r), m))
