"""What an RL step logs about its rollouts (keys: the run-folder contract in ``train/run_dir.py``).

Per-response facts are first reduced to small records (:func:`response_records`)
so that every process can send its share to the main process cheaply; the
main process then computes the step's statistics over all of them
(:func:`rollout_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from longcot.constants import STATUSES
from longcot.reflection import FEATURES, keyword_counts
from longcot.rewards import repetition_mask, scalar_reward

from .rollout import Rollout


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
