"""The problems a curation run works on (``benchmarks.prompt_sets``), and its shards.

``curate.where`` keeps the examples whose field equals a value
(``{level: Level 1}``); then ``data.limit`` keeps the first ``limit`` of them.
``curate.shard: i/n`` keeps every n-th of those, from the i-th: shards
interleave, so each gets a similar mix of easy and hard problems, and each
item keeps its ``index`` in the whole list, so merged shards sort back into
the order of one run.
"""

from __future__ import annotations

from pathlib import Path

from longcot.benchmarks.prompt_sets import PromptItem, PromptSetError
from longcot.benchmarks.prompt_sets import load_items as _load_items
from longcot.config import CurateSection, DataSection
from longcot.config.curate_section import parse_shard

CurationItem = PromptItem
CurationDataError = PromptSetError


def source_name(data: DataSection) -> str:
    """The group name of a run's files: a benchmark's name, or a JSONL file's stem."""
    if not data.source:
        raise CurationDataError(
            "data.source is required: a benchmark or task name, or a .jsonl file"
        )
    return Path(data.source).stem if data.source.endswith(".jsonl") else data.source


def load_items(
    data: DataSection, curate: CurateSection, *, task: str, need_gold: bool = True
) -> list[CurationItem]:
    """Every problem of ``data.source`` that ``curate.where`` and ``data.limit`` keep."""
    return _load_items(
        data, task=task, where=curate.where, need_gold=need_gold, purpose="rejection sampling"
    )


def shard_items(items: list[CurationItem], shard: str | None) -> list[CurationItem]:
    """The items of shard ``i/n``: positions ``i, i + n, ...``; all items when ``None``."""
    if shard is None:
        return items
    i, n = parse_shard(shard)
    return items[i::n]
