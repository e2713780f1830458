"""The end of a sample or construct run: derive the datasets by N, write the files and the summary.

``summary.json`` (the contract the report reads)::

    {"by_n": [{"n", "prompts", "acceptance", "coverage", "kept", "tokens_kept",
               "solved", "candidates", "correct", "dropped": {reason: count}, "incomplete"}, ...],
     "kind", "source", "prompts", "n", "candidates", "status": {status: count},
     "generated", "skipped", "failed", "seconds", "grade_seconds", "grade_share", "files"}
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from longcot.train.run_dir import RunDir

from .derive import by_prompt, derive, write_derived
from .report import plot_by_n, summary_markdown
from .select import KeepRules

log = logging.getLogger(__name__)


def prompt_groups(
    rows: Sequence[dict[str, Any]], ids: Sequence[str] | None
) -> list[list[dict[str, Any]]]:
    """Each prompt's candidates in sample order; with ``ids`` (the run's plan, in
    order), only those prompts, and an empty list for one with no candidate yet."""
    groups = by_prompt(rows)
    if ids is None:
        return groups
    found = {str(g[0]["id"]): g for g in groups}
    return [found.get(str(i), []) for i in ids]


def write_outputs(
    run: RunDir,
    *,
    kind: str,
    source: str,
    rows: Sequence[dict[str, Any]],
    ids: Sequence[str] | None,
    ns: Sequence[int],
    rules: KeepRules,
    totals: dict[str, Any],
) -> dict[str, Any]:
    """Write ``sft_n<N>.jsonl``, ``per_prompt.jsonl``, ``summary.md``, ``by_n.png``
    and ``summary.json`` (finishing ``run.json``); returns the summary."""
    groups = prompt_groups(rows, ids)
    used = [r for g in groups for r in g]
    derived = derive(groups, ns, rules)
    files = write_derived(run.path, derived)
    statuses = Counter((r.get("verdict") or {}).get("status") for r in used)
    summary: dict[str, Any] = {
        "by_n": [d.stats for d in derived],
        "kind": kind,
        "source": source,
        "prompts": len(groups),
        "n": max(ns),
        "candidates": len(used),
        "status": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        **totals,
    }
    seconds = summary.get("seconds")
    if seconds and "grade_seconds" in summary:
        summary["grade_share"] = round(summary["grade_seconds"] / seconds, 4)
    title = f"longcot {kind}: {source}, {len(groups)} prompts"
    md = run.path / "summary.md"
    md.write_text(summary_markdown(summary, title), encoding="utf-8")
    files.append(md)
    plot = plot_by_n(summary["by_n"], run.path / "by_n.png", title)
    if plot is not None:
        files.append(plot)
    summary["files"] = [str(Path(f).name) for f in files]
    run.finish(summary)
    return summary
