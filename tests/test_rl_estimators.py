"""Advantage estimators against hand-written loops (exact math, float64).

The reference implementations below are the textbook definitions written
one scalar at a time, so a vectorisation or indexing slip in the estimators
shows up as a mismatch.
"""

from __future__ import annotations

import math
import random

import pytest
import torch

from longcot.train.rl.estimators import (
    ESTIMATORS,
    AdvantageInput,
    discounted_token_returns,
    get_estimator,
    register,
    whiten,
)

LENGTHS = [5, 3, 4, 1]  # rows finish at different positions; T = 5


def _batch(seed: int = 0, k_streams: int = 2):
    g = torch.Generator().manual_seed(seed)
    B, T = len(LENGTHS), max(LENGTHS)
    mask = torch.zeros(B, T, dtype=torch.float64)
    for i, n in enumerate(LENGTHS):
        mask[i, :n] = 1
    correctness = torch.zeros(B, T, dtype=torch.float64)
    for i, n in enumerate(LENGTHS):
        correctness[i, n - 1] = float(torch.randn(1, generator=g))
    repetition = -0.05 * (torch.rand(B, T, generator=g) < 0.4).double() * mask
    values = torch.randn(B, T, k_streams, generator=g, dtype=torch.float64) * mask.unsqueeze(-1)
    return mask, {"correctness": correctness, "repetition": repetition}, values


def _gae_loop(r, v, n, gamma, lam):
    adv = [0.0] * n
    last = 0.0
    for t in reversed(range(n)):
        next_v = v[t + 1] if t + 1 < n else 0.0
        delta = r[t] + gamma * next_v - v[t]
        last = delta + gamma * lam * last
        adv[t] = last
    return adv


@pytest.mark.parametrize("lam", [1.0, 0.95, 0.5, 0.0])
def test_gae_two_streams_own_gamma_any_lambda(lam):
    mask, rewards, values = _batch()
    gammas = {"correctness": 1.0, "repetition": 0.9}
    x = AdvantageInput(rewards, gammas, mask, values=values, lam=lam)
    adv, returns = get_estimator("gae")(x)
    for i, n in enumerate(LENGTHS):
        per_stream = [
            _gae_loop(
                rewards[name][i, :n].tolist(), values[i, :n, k].tolist(), n, gammas[name], lam
            )
            for k, name in enumerate(("correctness", "repetition"))
        ]
        for t in range(n):
            assert adv[i, t].item() == pytest.approx(per_stream[0][t] + per_stream[1][t], abs=1e-12)
            for k in range(2):
                assert returns[i, t, k].item() == pytest.approx(
                    per_stream[k][t] + values[i, t, k].item(), abs=1e-12
                )
        assert adv[i, n:].abs().sum() == 0 and returns[i, n:].abs().sum() == 0


def test_gae_lambda_one_is_the_papers_form():
    # λ = 1: Â_t = Σ_m Σ_l γ_m^l r_{m,t+l} - Σ_m V_m(t) (paper §4.6).
    mask, rewards, values = _batch(1)
    gammas = {"correctness": 1.0, "repetition": 0.99}
    adv, _ = get_estimator("gae")(AdvantageInput(rewards, gammas, mask, values=values, lam=1.0))
    for i, n in enumerate(LENGTHS):
        for t in range(n):
            g = sum(
                sum(gammas[m] ** k * rewards[m][i, t + k].item() for k in range(n - t))
                for m in gammas
            )
            assert adv[i, t].item() == pytest.approx(g - values[i, t].sum().item(), abs=1e-12)


def test_gae_needs_values_with_one_head_per_stream():
    mask, rewards, values = _batch()
    with pytest.raises(ValueError, match="needs critic values"):
        get_estimator("gae")(AdvantageInput(rewards, {"correctness": 1, "repetition": 1}, mask))
    with pytest.raises(ValueError, match="1 heads"):
        get_estimator("gae")(
            AdvantageInput(
                rewards, {"correctness": 1, "repetition": 1}, mask, values=values[..., :1]
            )
        )


def _outcomes(rewards, mask):
    return [float((rewards["correctness"][i] * mask[i]).sum()) for i in range(mask.shape[0])]


def _dense_returns(rewards, mask, gamma):
    out = []
    for i, n in enumerate(LENGTHS):
        row = []
        for t in range(n):
            row.append(sum(gamma**k * rewards["repetition"][i, t + k].item() for k in range(n - t)))
        out.append(row)
    return out


def _critic_free_reference(name, outcomes, group):
    adv = []
    for start in range(0, len(outcomes), group):
        rs = outcomes[start : start + group]
        mean = sum(rs) / len(rs)
        std = math.sqrt(sum((r - mean) ** 2 for r in rs) / (len(rs) - 1))
        for r in rs:
            if name == "grpo":
                adv.append((r - mean) / (std + 1e-6))
            elif name == "dr_grpo":
                adv.append(r - mean)
            else:  # rloo
                others = (sum(rs) - r) / (len(rs) - 1)
                adv.append(r - others)
    return adv


@pytest.mark.parametrize("name", ["grpo", "dr_grpo", "rloo"])
def test_critic_free_group_advantages_plus_dense_returns(name):
    mask, rewards, _ = _batch(2)
    gammas = {"correctness": 1.0, "repetition": 0.9}
    adv, returns = get_estimator(name)(AdvantageInput(rewards, gammas, mask, group_size=2))
    assert returns is None
    scalar = _critic_free_reference(name, _outcomes(rewards, mask), 2)
    dense = _dense_returns(rewards, mask, 0.9)
    for i, n in enumerate(LENGTHS):
        for t in range(n):
            assert adv[i, t].item() == pytest.approx(scalar[i] + dense[i][t], abs=1e-6)
        assert adv[i, n:].abs().sum() == 0


def test_invalid_rows_leave_the_group_statistics():
    # Row 1 is skipped (bad gold): group 0 is row 0 alone, so its advantage is 0.
    mask, rewards, _ = _batch(3)
    rewards = {"correctness": rewards["correctness"]}
    valid = torch.tensor([True, False, True, True])
    x = AdvantageInput(rewards, {"correctness": 1.0}, mask, group_size=2, valid=valid)
    for name in ("dr_grpo", "rloo", "grpo"):
        adv, _ = get_estimator(name)(x)
        assert adv[0].abs().sum() == 0 and adv[1].abs().sum() == 0, name
        assert adv[2].abs().sum() > 0


def test_discounted_token_returns_match_loop():
    mask, rewards, _ = _batch(4)
    out = discounted_token_returns(rewards["repetition"], mask, 0.5)
    ref = _dense_returns(rewards, mask, 0.5)
    for i, n in enumerate(LENGTHS):
        assert out[i, :n].tolist() == pytest.approx(ref[i], abs=1e-12)


def test_whiten_global_stats():
    mask, _, _ = _batch(5)
    a = torch.randn(mask.shape, dtype=torch.float64) * mask
    w = whiten(a, mask)
    vals = [a[i, t].item() for i, n in enumerate(LENGTHS) for t in range(n)]
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
    assert w[0, 0].item() == pytest.approx((vals[0] - mean) / (std + 1e-8), abs=1e-9)
    assert (w * (1 - mask)).abs().sum() == 0
    # A "reduce" that doubles the statistics (two identical processes) changes nothing.
    assert torch.allclose(whiten(a, mask, reduce=lambda s: 2 * s), w)


def test_registry_refuses_duplicates_and_lists_names():
    with pytest.raises(ValueError, match="already registered"):
        register("gae")(lambda x: x)
    with pytest.raises(ValueError, match="registered: dr_grpo, gae, grpo, rloo"):
        get_estimator("ppo2")
    assert set(ESTIMATORS) >= {"gae", "grpo", "dr_grpo", "rloo"}
    assert get_estimator("longcot.train.rl.estimators:rloo") is ESTIMATORS["rloo"]


def test_group_size_must_divide():
    mask, rewards, _ = _batch()
    with pytest.raises(ValueError, match="groups of 3"):
        get_estimator("grpo")(
            AdvantageInput(rewards, {"correctness": 1, "repetition": 1}, mask, group_size=3)
        )


def test_random_batches_grpo_equals_reference():
    rnd = random.Random(0)
    for _ in range(20):
        outcomes = [rnd.choice([-10.0, 0.0, 1.0, 2.0]) + rnd.random() for _ in range(8)]
        mask = torch.ones(8, 1, dtype=torch.float64)
        rewards = {"correctness": torch.tensor(outcomes, dtype=torch.float64).view(8, 1)}
        adv, _ = get_estimator("grpo")(
            AdvantageInput(rewards, {"correctness": 1.0}, mask, group_size=4)
        )
        assert adv[:, 0].tolist() == pytest.approx(
            _critic_free_reference("grpo", outcomes, 4), abs=1e-5
        )
