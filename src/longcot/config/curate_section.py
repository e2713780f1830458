"""The ``curate`` section: what ``longcot sample``, ``construct`` and ``silver`` keep.

Its own file because only the curation commands read it; the other sections
are in ``sections.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .checks import (
    SettingError,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_str,
)
from .sections import yaml_tuple

DEDUP = ("none", "exact", "near")
REFERENCE_EXTRACT = ("strict", "auto")


@dataclass(frozen=True)
class CurateSection:
    """What ``longcot sample``, ``construct`` and ``silver`` keep (paper §3.1, §3.3, §5).

    Filters apply when the SFT files are derived from the stored candidates, so
    changing one and rerunning re-derives them without generating anything.
    """

    where: dict[str, Any] | None = None
    """Use only the examples of ``data.source`` whose field equals the value (or
    one of a list): ``{level: Level 1}`` keeps MATH's level-1 problems. A field is
    an example attribute or a ``meta`` key (benchmarks), or a row key (JSONL)."""
    ns: tuple[int, ...] | None = None
    """Candidate counts N to derive datasets for (``sft_n<N>.jsonl`` from the first N
    candidates of each prompt), each <= ``rollout.n``; ``null``: every power of two
    below ``rollout.n``, and ``rollout.n``."""
    keep_per_prompt: int | None = None
    """At most this many kept candidates per prompt (the first ones); ``null``: all."""
    dedup: str = "exact"
    """Drop ``exact`` duplicates (same text up to whitespace), ``near`` duplicates
    too (word 4-gram Jaccard similarity >= ``near_threshold`` to a kept one), or ``none``."""
    near_threshold: float = 0.9
    """Jaccard similarity of word 4-gram sets at or above which two candidates are near duplicates."""
    drop_truncated: bool = True
    """Drop candidates that hit the token cap, even when graded correct: a cut
    trace would teach the student not to stop (torchtune #2792)."""
    require_closed_think: bool = False
    """Keep only candidates with a closed reasoning block (the closing marker of
    ``reward.think_markers`` present): long-CoT data from a reasoning teacher."""
    shard: str | None = None
    """``i/n``: this machine samples prompts ``i, i + n, i + 2n, ...`` (0-based);
    ``longcot sample --merge`` joins the shards' folders."""
    chunk_completions: int = 256
    """Completions per backend call; a killed run loses at most two chunks."""
    retries: int = 2
    """A failed teacher call is retried this many times (back-off ``backoff`` s,
    doubling), then recorded in ``candidates/<source>.errors.jsonl``; a rerun retries it."""
    backoff: float = 5.0
    max_actions: int = 12
    """construct: most actions per trace; the last one is always ``answer``."""
    templates: str | None = None
    """construct: a folder of action prompt templates (``clarify.txt`` ...) that
    replace the packaged ones (``longcot/curate/templates``) file by file."""
    reference_extract: str = "strict"
    """silver: how the short answer is read from a reference solution by rule
    (``longcot.verify`` extraction): ``strict`` (a box or an answer phrase) or ``auto``."""
    answer_fallback: bool = True
    """silver: when no rule finds the answer, ask the teacher to write it as ``\\boxed{}``."""
    min_agree: int = 1
    """silver: keep a pair when at least this many of the ``rollout.n`` teacher samples agree."""

    def __post_init__(self) -> None:
        if self.where is not None:
            if not isinstance(self.where, dict) or not self.where:
                raise SettingError("where", self.where, "must be a mapping {field: value}, or null")
            for key, value in self.where.items():
                values = value if isinstance(value, list | tuple) else [value]
                if (
                    not isinstance(key, str)
                    or not values
                    or any(isinstance(v, dict | list | tuple) for v in values)
                ):
                    raise SettingError(
                        "where", self.where, f"{key!r}: give a value or a list of values"
                    )
        if self.ns is not None:
            ns = yaml_tuple(self.ns) if not isinstance(self.ns, int) else (self.ns,)
            if isinstance(ns, tuple) and all(isinstance(v, str) for v in ns):
                try:
                    ns = tuple(int(v) for v in ns)
                except ValueError:
                    raise SettingError(
                        "ns", self.ns, "give candidate counts, e.g. [32, 64]"
                    ) from None
            if not isinstance(ns, tuple) or not ns:
                raise SettingError("ns", self.ns, "give candidate counts, e.g. [32, 64], or null")
            for v in ns:
                check_int("ns", v, low=1)
            object.__setattr__(self, "ns", tuple(sorted(set(ns))))
        check_int("keep_per_prompt", self.keep_per_prompt, low=1, optional=True)
        check_choice("dedup", self.dedup, DEDUP)
        check_number("near_threshold", self.near_threshold, low=0, high=1, low_open=True)
        check_bool("drop_truncated", self.drop_truncated)
        check_bool("require_closed_think", self.require_closed_think)
        if self.shard is not None:
            parse_shard(self.shard)
        check_int("chunk_completions", self.chunk_completions, low=1)
        check_int("retries", self.retries, low=0)
        check_number("backoff", self.backoff, low=0)
        check_int("max_actions", self.max_actions, low=2)
        check_str("templates", self.templates, optional=True)
        check_choice("reference_extract", self.reference_extract, REFERENCE_EXTRACT)
        check_bool("answer_fallback", self.answer_fallback)
        check_int("min_agree", self.min_agree, low=1)


def parse_shard(shard: Any) -> tuple[int, int]:
    """``"1/4"`` -> ``(1, 4)``: shard ``i`` of ``n``, ``0 <= i < n``."""
    text = str(shard)
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise SettingError("shard", shard, "give 'i/n' with 0 <= i < n, e.g. 0/4")
    return i, n
