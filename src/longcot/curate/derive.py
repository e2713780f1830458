"""The token-scaling study from one run: datasets and statistics for N = 1 … max, by N.

One run samples ``rollout.n`` candidates per prompt. The dataset for a
smaller N is what rejection sampling with N candidates would have kept: the
**first N** candidates of each prompt (sample indices ``0 … N-1``, the same
whatever the batch or machine, since backends seed each sample from its
index), filtered by :func:`longcot.curate.select.select`. For each N:

- ``acceptance``: the mean over prompts of the share of its first N candidates
  graded ``correct`` (per-prompt acceptance, averaged: every prompt weighs the same);
- ``solved``: the share of prompts with at least one correct candidate;
- ``coverage``: the share of prompts with at least one kept candidate (after filters);
- ``kept``, ``tokens_kept``: SFT examples and their teacher response tokens
  (``completion_tokens``: the teacher's tokenizer; ``longcot sft`` counts the
  student's as ``train_tokens``);
- ``dropped``: kept-or-not decisions by reason (``select.DROP_REASONS``);
- ``incomplete``: prompts with fewer than N candidates (failed generations
  recorded in ``candidates/<source>.errors.jsonl``; rerun to fill them).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .select import DROP_REASONS, KeepRules, select


def default_ns(n: int) -> tuple[int, ...]:
    """Every power of two below ``n``, and ``n``: ``16 -> (1, 2, 4, 8, 16)``."""
    out = []
    k = 1
    while k < n:
        out.append(k)
        k *= 2
    out.append(n)
    return tuple(out)


def check_ns(ns: Sequence[int] | None, n: int, where: str = "curate.ns") -> tuple[int, ...]:
    """``ns`` (sorted, each <= ``n``), or :func:`default_ns`."""
    if ns is None:
        return default_ns(n)
    bad = [v for v in ns if v > n]
    if bad:
        raise ValueError(
            f"{where}={list(ns)}: {bad[0]} candidates asked for, but rollout.n is {n}; "
            "raise rollout.n (the run samples the largest N once) or drop it"
        )
    return tuple(sorted(set(ns)))


def by_prompt(rows: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped per prompt, prompts in source order (``index``), candidates by sample."""
    groups: dict[str, list[dict[str, Any]]] = {}
    order: dict[str, tuple] = {}
    for row in rows:
        key = str(row["id"])
        groups.setdefault(key, []).append(row)
        order.setdefault(key, (row.get("index", 0), key))
    return [
        sorted(groups[key], key=lambda r: int(r["sample"]))
        for key in sorted(groups, key=lambda k: order[k])
    ]


def sft_row(row: dict[str, Any]) -> dict[str, Any]:
    """The chat row ``longcot sft`` reads: the prompt's messages, then the reply.

    A plain-text prompt (``data.template: plain``) becomes one user message, which
    ``longcot sft`` renders with the student's chat template.
    """
    prompt = row["prompt"]
    messages = (
        [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [*map(dict, prompt)]
    )
    messages.append({"role": "assistant", "content": row["response"]})
    return {
        "messages": messages,
        "id": row["id"],
        "sample": row["sample"],
        "source": row.get("benchmark"),
        "completion_tokens": row.get("completion_tokens"),
    }


@dataclass
class Derived:
    """What one N gives: the table row and the SFT rows."""

    n: int
    stats: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    per_prompt: list[dict[str, Any]] = field(default_factory=list)


def derive(
    prompts: Sequence[Sequence[dict[str, Any]]], ns: Sequence[int], rules: KeepRules
) -> list[Derived]:
    """One :class:`Derived` per N, from each prompt's candidates in sample order."""
    out = []
    for n in ns:
        kept_rows: list[dict[str, Any]] = []
        per_prompt = []
        dropped: Counter = Counter()
        shares = []
        solved = covered = incomplete = tokens = 0
        for candidates in prompts:
            first = [r for r in candidates if int(r["sample"]) < n]
            if not first:
                incomplete += 1
                continue
            if len(first) < n:
                incomplete += 1
            correct = sum((r.get("verdict") or {}).get("status") == "correct" for r in first)
            kept, why = select(first, rules)
            dropped.update(why)
            shares.append(correct / len(first))
            solved += correct > 0
            covered += bool(kept)
            tokens += sum(int(r.get("completion_tokens") or 0) for r in kept)
            kept_rows.extend(sft_row(r) for r in kept)
            per_prompt.append(
                {
                    "id": first[0]["id"],
                    "candidates": len(first),
                    "correct": correct,
                    "kept": len(kept),
                }
            )
        prompts_n = len(shares)
        stats = {
            "n": n,
            "prompts": prompts_n,
            "candidates": sum(p["candidates"] for p in per_prompt),
            "correct": sum(p["correct"] for p in per_prompt),
            "acceptance": sum(shares) / prompts_n if prompts_n else 0.0,
            "solved": solved / prompts_n if prompts_n else 0.0,
            "coverage": covered / prompts_n if prompts_n else 0.0,
            "kept": len(kept_rows),
            "tokens_kept": tokens,
            "dropped": {reason: dropped.get(reason, 0) for reason in DROP_REASONS},
            "incomplete": incomplete,
        }
        out.append(Derived(n, stats, kept_rows, per_prompt))
    return out


def sft_path(root: Path, n: int) -> Path:
    """``sft_n<N>.jsonl`` in the run folder (``recipes/sft_paper.yaml`` reads ``sft_n32.jsonl``)."""
    return root / f"sft_n{n}.jsonl"


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write a JSONL file through a temporary name and a rename (a kill keeps the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def write_derived(root: Path, derived: Sequence[Derived]) -> list[Path]:
    """``sft_n<N>.jsonl`` per N and ``per_prompt.jsonl`` (each prompt's counts by N)."""
    files = [write_jsonl(sft_path(root, d.n), d.rows) for d in derived]
    table: dict[str, dict[str, Any]] = {}
    for d in derived:
        for p in d.per_prompt:
            entry = table.setdefault(p["id"], {"id": p["id"], "by_n": {}})
            entry["by_n"][str(d.n)] = {k: p[k] for k in ("candidates", "correct", "kept")}
    files.append(write_jsonl(root / "per_prompt.jsonl", table.values()))
    return files
