"""What an RL step logs about its rollouts (keys: the run-folder contract in ``train/run_dir.py``).

Per-response facts are first reduced to small records (:func:`response_records`)
so that every process can send its share to the main process cheaply; the
main process then computes the step's statistics over all of them
(:func:`rollout_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from longcot.constants import STATUSES
from longcot.reflection import FEATURES, keyword_counts
from longcot.rewards import repetition_mask, scalar_reward

from .rollout import Rollout
from .update import KL_STREAM


def response_records(rollout: Rollout, ngram: int) -> list[dict[str, Any]]:
    """One small dict per response: length, status, rewards per stream, reflection flags.

    ``repeated`` counts the tokens inside a repeated ``ngram``-gram whether or not
    the repetition penalty is on, so arms with and without it compare.
    """
    out = []
    for c, s in zip(rollout.completions, rollout.samples, strict=True):
        counts = keyword_counts(c.text)
        ids = np.asarray(c.token_ids)
        out.append(
            {
                "length": s.length,
                "status": s.verdict.status,
                "correct": s.outcome == "correct",
                "skipped": s.skipped,
                "truncated": s.truncated,
                "reward": scalar_reward(s),
                "streams": {name: float(v.sum()) for name, v in s.streams.items()},
                "repeated": int(repetition_mask(ids, ngram=ngram).sum())
                if ids.size >= ngram
                else 0,
                "reflection": {f: counts[f] > 0 for f in FEATURES},
            }
        )
    return out


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else math.nan


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def rollout_metrics(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Step statistics over every response of the step (all processes)."""
    n = len(records)
    out: dict[str, float] = {"responses": float(n)}
    if not n:
        return out
    kept = [r for r in records if not r["skipped"]]
    rewards = [r["reward"] for r in kept]
    out["reward/mean"] = _mean(rewards)
    for name in records[0]["streams"]:
        out[f"reward/{name}"] = _mean([r["streams"][name] for r in kept])
    out["accuracy"] = _mean([float(r["correct"]) for r in kept])
    for status in STATUSES:
        out[f"status/{status}"] = sum(r["status"] == status for r in records) / n
    lengths = [r["length"] for r in records]
    out["length/mean"] = _mean(lengths)
    out["length/p50"] = _pct(lengths, 50)
    out["length/p90"] = _pct(lengths, 90)
    out["length/correct_mean"] = _mean([r["length"] for r in kept if r["correct"]])
    out["length/wrong_mean"] = _mean([r["length"] for r in kept if not r["correct"]])
    out["truncated_rate"] = sum(r["truncated"] for r in records) / n
    tokens = sum(lengths)
    out["repeated_token_rate"] = sum(r["repeated"] for r in records) / tokens if tokens else 0.0
    for feature in FEATURES:
        out[f"reflection/{feature}"] = sum(r["reflection"][feature] for r in records) / n
    return out


def rollout_rows(step: int, rollout: Rollout) -> list[dict[str, Any]]:
    """``rollouts.jsonl`` lines for this process's responses."""
    rows = []
    sample_index: dict[str, int] = {}
    for item, c, s in zip(rollout.items, rollout.completions, rollout.samples, strict=True):
        k = sample_index.get(item.id, 0)
        sample_index[item.id] = k + 1
        rows.append(
            {
                "step": step,
                "id": item.id,
                "sample": k,
                "prompt": item.prompt,
                "response": c.text,
                "gold": item.gold,
                "reward": scalar_reward(s),
                "status": s.verdict.status,
                "extracted": s.verdict.extracted,
                "length": s.length,
                "truncated": s.truncated,
            }
        )
    return rows


def explained_variance(
    values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    reduce: Callable[[torch.Tensor], torch.Tensor] = lambda t: t,
) -> float:
    """``1 - Var(R - V) / Var(R)`` over valid tokens (1 is perfect, <= 0 is no better
    than a constant). ``reduce`` sums a tensor over processes, so the moments, and
    the answer, are those of every process's tokens together."""
    m = mask.double()
    r, e = returns.double() * m, (returns - values).double() * m
    local = torch.stack([m.sum(), r.sum(), (r * r).sum(), e.sum(), (e * e).sum()])
    n, sr, srr, se, see = reduce(local).tolist()
    if n < 2:
        return math.nan
    var_r = srr / n - (sr / n) ** 2
    var_e = see / n - (se / n) ** 2
    return 1.0 - var_e / var_r if var_r > 0 else math.nan


def step_statistics(
    accelerator, rollout: Rollout, scores, returns, streams, stats, *, ngram: int, seconds: float
) -> dict[str, Any]:
    """The step's statistics over every process: the rollouts' (:func:`rollout_metrics`),
    entropy, KL to the reference, the update's weighted means, explained variance and
    generated tokens per second."""
    from accelerate.utils import gather_object

    def reduce(t: torch.Tensor) -> torch.Tensor:
        return accelerator.reduce(t.to(accelerator.device), "sum").cpu()

    records = response_records(rollout, ngram)
    if accelerator.num_processes > 1:
        records = gather_object(records)
    row: dict[str, Any] = rollout_metrics(records)
    mask = rollout.response_mask * rollout.valid.view(-1, 1)
    has_kl = scores.logp_ref is not None and scores.logp_old is not None
    zero = torch.tensor(0.0)
    local = torch.stack(
        [
            (scores.entropy * mask).sum() if scores.entropy is not None else zero,
            mask.sum(),
            ((scores.logp_old - scores.logp_ref) * mask).sum() if has_kl else zero,
        ]
    ).double()
    ent, tokens, kl = reduce(local).tolist()
    if scores.entropy is not None:
        row["entropy"] = ent / max(tokens, 1)
    if has_kl:
        row["kl"] = kl / max(tokens, 1)
    if KL_STREAM in streams:
        row[f"reward/{KL_STREAM}"] = float(streams[KL_STREAM].sum(-1).mean())
    # The update's statistics arrive as (weighted total, weight) pairs.
    names = sorted(stats)
    if names:
        totals = reduce(torch.tensor([v for n in names for v in stats[n]], dtype=torch.float64))
        for i, name in enumerate(names):
            total, weight = totals[2 * i].item(), totals[2 * i + 1].item()
            row[name] = total / weight if weight > 0 else math.nan
    if scores.values_old is not None and returns is not None:
        row["explained_variance"] = explained_variance(
            scores.values_old.sum(-1), returns.sum(-1), mask, reduce
        )
    # On-policy updates skip the separate π_old pass: the update's first forward
    # gives the entropy, and the KL to the reference is what the loss saw.
    update_entropy, update_kl = row.pop("update_entropy", None), row.pop("kl_k1", None)
    if "entropy" not in row and update_entropy is not None:
        row["entropy"] = update_entropy
    if "kl" not in row and update_kl is not None:
        row["kl"] = update_kl
    row["tokens_per_s"] = sum(r["length"] for r in records) / max(seconds, 1e-9)
    return row


def peak_memory_mb(device) -> float:
    if str(device).startswith("cuda"):
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
