"""Which graded candidates of one prompt become SFT examples (paper §3.1: keep the verified ones).

:func:`select` walks a prompt's candidates in sample order and keeps one
when it passes, in this order (the first failed rule is the drop reason):

1. ``not_correct``: the verifier did not grade it ``correct``;
2. ``truncated``: it hit the token cap (``curate.drop_truncated``);
3. ``no_closed_think``: no closed reasoning block (``curate.require_closed_think``);
4. ``duplicate``: the same text as a kept one, up to whitespace (``dedup: exact | near``);
5. ``near_duplicate``: word 4-gram Jaccard similarity to a kept one
   >= ``near_threshold`` (``dedup: near``);
6. ``over_limit``: the prompt already has ``keep_per_prompt`` kept.

Every decision depends only on earlier candidates, so the set kept from the
first N candidates is contained in the set kept from the first M > N: the
datasets of a token-scaling study are nested, as rejection sampling with
fewer candidates would have produced them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from longcot.config import CurateSection

DROP_REASONS: tuple[str, ...] = (
    "not_correct",
    "truncated",
    "no_closed_think",
    "duplicate",
    "near_duplicate",
    "over_limit",
)

SHINGLE_WORDS = 4
"""Words per shingle for near-duplicate detection: long enough that two
different solutions of one problem share few of them, short enough that a
trace with a changed sentence still shares most."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class KeepRules:
    """The ``curate`` filters, plus the reasoning block's closing marker."""

    keep_per_prompt: int | None = None
    dedup: str = "exact"
    near_threshold: float = 0.9
    drop_truncated: bool = True
    require_closed_think: bool = False
    close_marker: str | None = "</think>"

    @classmethod
    def from_section(
        cls, curate: CurateSection, think_markers: tuple[str, str] | None
    ) -> KeepRules:
        if curate.require_closed_think and think_markers is None:
            raise ValueError(
                "curate.require_closed_think needs reasoning markers, but reward.think_markers is null"
            )
        return cls(
            keep_per_prompt=curate.keep_per_prompt,
            dedup=curate.dedup,
            near_threshold=curate.near_threshold,
            drop_truncated=curate.drop_truncated,
            require_closed_think=curate.require_closed_think,
            close_marker=think_markers[1] if think_markers else None,
        )


def normalized(text: str) -> str:
    """Whitespace-collapsed text: what an exact duplicate must equal."""
    return _SPACE.sub(" ", text).strip()


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The set of ``size``-word windows of ``text`` (the whole text when shorter)."""
    words = text.split()
    if len(words) <= size:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """``|a ∩ b| / |a ∪ b|`` (1 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _status(row: dict[str, Any]) -> str | None:
    verdict = row.get("verdict") or {}
    return verdict.get("status")


def select(
    candidates: Sequence[dict[str, Any]], rules: KeepRules
) -> tuple[list[dict[str, Any]], Counter]:
    """Kept candidates (in order) and drop counts by reason, for one prompt's candidates.

    ``candidates`` are result rows (``response``, ``verdict``, ``truncated``)
    in sample order.
    """
    kept: list[dict[str, Any]] = []
    seen_text: set[str] = set()
    seen_shingles: list[frozenset[str]] = []
    dropped: Counter = Counter()
    for row in candidates:
        reason = _drop_reason(row, rules, kept, seen_text, seen_shingles)
        if reason is not None:
            dropped[reason] += 1
            continue
        kept.append(row)
        seen_text.add(normalized(row["response"]))
        if rules.dedup == "near":
            seen_shingles.append(shingles(row["response"]))
    return kept, dropped


def _drop_reason(
    row: dict[str, Any],
    rules: KeepRules,
    kept: list[dict[str, Any]],
    seen_text: set[str],
    seen_shingles: list[frozenset[str]],
) -> str | None:
    if _status(row) != "correct":
        return "not_correct"
    if rules.drop_truncated and row.get("truncated"):
        return "truncated"
    if rules.require_closed_think and rules.close_marker not in row["response"]:
        return "no_closed_think"
    if rules.dedup in ("exact", "near") and normalized(row["response"]) in seen_text:
        return "duplicate"
    if rules.dedup == "near" and seen_shingles:
        mine = shingles(row["response"])
        if any(jaccard(mine, other) >= rules.near_threshold for other in seen_shingles):
            return "near_duplicate"
    if rules.keep_per_prompt is not None and len(kept) >= rules.keep_per_prompt:
        return "over_limit"
    return None
