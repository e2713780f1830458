"""Reflection keyword statistics of responses (paper §6, DESIGN §3).

Per response: whether and how often it says each of ``wait``, ``recheck``,
``alternatively``, ``retry`` and ``however`` (case-insensitive, whole words:
``await`` and ``waiting`` are not ``wait``); "branching" counts
``alternatively,`` (the paper's marker of switching to another approach);
"coding" is a response that opens a fenced python block. Over a set of
responses: the fraction that contain each keyword and the mean count.

The paper reports these rates per checkpoint and per benchmark; the
evaluation summary calls :func:`reflection_stats` once per benchmark.
Works on text only, so it also reads responses from any JSONL file. It sits
at the bottom of the package (no imports from evaluate, train or analyze)
because evaluation summaries, training metrics and the report all use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from longcot.jsonl import JsonlError, iter_objects

KEYWORDS: tuple[str, ...] = ("wait", "recheck", "alternatively", "retry", "however")
"""The paper's reflection keywords (§6)."""

_KEYWORD_RE = {k: re.compile(rf"\b{k}\b", re.IGNORECASE) for k in KEYWORDS}
# The comma is part of the marker: "Alternatively, ..." opens a new branch,
# while "or alternatively" inside a sentence does not.
_BRANCHING_RE = re.compile(r"\balternatively,", re.IGNORECASE)
# An opening fence with a python language tag at the start of a line (``` may
# be indented inside a list). Only the opening is required: a block cut off
# at the token cap is still code the model chose to write.
_PYTHON_FENCE_RE = re.compile(r"^[ \t]*```[ \t]*(?:python3?|py)\b", re.IGNORECASE | re.MULTILINE)

FEATURES: tuple[str, ...] = (*KEYWORDS, "branching", "coding")
"""Every statistic :func:`keyword_counts` returns, in report order."""


def keyword_counts(text: str) -> dict[str, int]:
    """Occurrences of each keyword and of ``branching`` in ``text``; ``coding`` is 0 or 1.

    >>> keyword_counts("Wait, 2+2=5? Wait. Alternatively, recheck: awaiting.")["wait"]
    2
    """
    counts = {k: len(rx.findall(text)) for k, rx in _KEYWORD_RE.items()}
    counts["branching"] = len(_BRANCHING_RE.findall(text))
    counts["coding"] = int(_PYTHON_FENCE_RE.search(text) is not None)
    return counts


def reflection_stats(texts: Iterable[str]) -> dict[str, dict[str, float] | int]:
    """Rates over responses: for each feature, ``rate`` (fraction of responses
    containing it) and ``mean`` (mean count per response), plus ``responses``.

    Empty input gives zero rates and ``responses == 0`` rather than NaN, so a
    summary of an empty benchmark still serialises as JSON.
    """
    n = 0
    present = dict.fromkeys(FEATURES, 0)
    total = dict.fromkeys(FEATURES, 0)
    for text in texts:
        n += 1
        for name, count in keyword_counts(text).items():
            present[name] += count > 0
            total[name] += count
    out: dict[str, dict[str, float] | int] = {"responses": n}
    for name in FEATURES:
        out[name] = {
            "rate": present[name] / n if n else 0.0,
            "mean": total[name] / n if n else 0.0,
        }
    return out


def reflection_from_jsonl(path: str | os.PathLike, field: str = "response") -> dict:
    """:func:`reflection_stats` of the ``field`` of every line of a JSONL file
    (an evaluation's ``<benchmark>.jsonl``, a curation or rollout dump)."""

    def texts() -> Iterable[str]:
        for lineno, row in iter_objects(path):
            value = row.get(field)
            if not isinstance(value, str):
                raise JsonlError(f"{path}:{lineno}: no string field {field!r}")
            yield value

    return reflection_stats(texts())
