"""The report's tables: built once as text cells, rendered to Markdown and HTML.

- **Comparison** (one row per run): steps, seconds, SFT tokens, final accuracy per
  benchmark, response length, truncation, the main reflection rates, the last RL
  step's reward and training accuracy.
- **Reflection** (one row per run and benchmark at the final checkpoint): the share
  of responses with each feature of :data:`longcot.reflection.FEATURES`.
- **Rejection sampling** (one row per sampling run and N): ``summary.json`` ``by_n``.
- **Checkpoints** (one row per run, checkpoint and benchmark): the numbers behind the curves.

"Final" is the run's ``eval/final`` (else its latest evaluation); a bare
``longcot eval`` folder is its own final checkpoint.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from longcot.reflection import FEATURES

from .analysis import RunAnalysis, sampling_rows
from .stats import ResponseStats

DASH = "–"


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; ``caption`` says what the numbers are."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


def pct(x: float | None) -> str:
    return DASH if x is None else f"{100 * x:.1f}"


def tokens(x: float | None) -> str:
    return DASH if x is None else f"{x:,.0f}"


def num(x: float | None, digits: int = 3) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def _last(a: RunAnalysis, key: str) -> float | None:
    _, ys = a.train(key)
    return ys[-1] if ys else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def comparison_table(analyses: Sequence[RunAnalysis]) -> Table:
    """One row per run (see the module docstring)."""
    benches = list(dict.fromkeys(b for a in analyses for b in a.benchmarks))
    header = (
        "run",
        "kind",
        "steps",
        "seconds",
        "SFT tokens",
        *(f"{b} acc %" for b in benches),
        "tokens mean",
        "tokens p90",
        "truncated %",
        "wait %",
        "branching %",
        "coding %",
        "reward",
        "train acc %",
    )
    rows = []
    for a in analyses:
        final = a.final
        pooled = final.pooled if final else None
        seconds = a.run.summary.get("seconds")
        seconds = (
            seconds if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
        )
        sft_tokens = _int(a.run.summary.get("train_tokens")) if a.kind == "sft" else None
        # A curation run's metrics steps count graded chunks, not training steps.
        steps = None if "by_n" in a.run.summary else a.run.last_step
        per = final.per_benchmark if final else {}
        rows.append(
            (
                a.name,
                a.kind,
                DASH if steps is None else str(steps),
                DASH if seconds is None else f"{seconds:,.{1 if seconds < 100 else 0}f}",
                tokens(sft_tokens),
                *(pct(per[b].accuracy) if b in per else DASH for b in benches),
                tokens(pooled.length_mean if pooled else None),
                tokens(pooled.length_p90 if pooled else None),
                pct(pooled.truncated_rate if pooled else None),
                *(
                    pct(pooled.reflection[f] if pooled and pooled.responses else None)
                    for f in ("wait", "branching", "coding")
                ),
                num(_last(a, "reward/mean")),
                pct(_last(a, "accuracy")),
            )
        )
    caption = (
        "Accuracy, lengths, truncation and reflection rates are at each run's final "
        "evaluation (eval/final, else its latest); lengths in tokens over all benchmarks' "
        "responses. Steps: optimiser steps (SFT) or RL steps. SFT tokens: response tokens "
        "trained on. Reward and train acc: the last RL step's rollouts."
    )
    return Table("Comparison", header, tuple(rows), caption)


def reflection_table(analyses: Sequence[RunAnalysis]) -> Table:
    """Per run and benchmark at the final checkpoint: % of responses with each feature."""
    rows = []
    for a in analyses:
        final = a.final
        if final is None:
            continue
        for bench, s in final.per_benchmark.items():
            if s.responses:
                rows.append(
                    (a.name, bench, str(s.responses), *(pct(s.reflection[f]) for f in FEATURES))
                )
    caption = (
        "% of responses containing each keyword (whole word, any case); branching: "
        "'alternatively,'; coding: a fenced python block."
    )
    return Table(
        "Reflection at the final checkpoint",
        ("run", "benchmark", "responses", *(f"{f} %" for f in FEATURES)),
        tuple(rows),
        caption,
    )


def sampling_table(analyses: Sequence[RunAnalysis]) -> Table:
    """``by_n`` rows of every rejection-sampling run."""
    rows = []
    for a in analyses:
        for r in sampling_rows(a.run):
            rows.append(
                (
                    a.name,
                    str(r["n"]),
                    tokens(r["prompts"]),
                    pct(r["acceptance"]),
                    pct(r["coverage"]),
                    tokens(r["kept"]),
                    tokens(r["tokens_kept"]),
                )
            )
    header = ("run", "N", "prompts", "acceptance %", "coverage %", "kept", "tokens kept")
    caption = (
        "Candidates per prompt N; acceptance: mean per-prompt share of correct candidates; "
        "coverage: share of prompts with at least one kept; tokens kept: SFT tokens of sft_nN.jsonl."
    )
    return Table("Rejection sampling", header, tuple(rows), caption)


def _checkpoint_cells(s: ResponseStats) -> tuple[str, ...]:
    return (
        pct(s.accuracy),
        tokens(s.length_mean),
        tokens(s.correct_mean),
        tokens(s.correct_p90),
        tokens(s.wrong_mean),
        tokens(s.wrong_p90),
        pct(s.truncated_rate),
        pct(s.reflection["wait"] if s.responses else None),
    )


def checkpoints_table(analyses: Sequence[RunAnalysis]) -> Table:
    """Every evaluation of every run, per benchmark: the numbers behind the curves."""
    rows = []
    for a in analyses:
        for c in a.checkpoints:
            step = c.checkpoint.step
            for bench, s in c.per_benchmark.items():
                rows.append(
                    (
                        a.name,
                        c.checkpoint.tag or "(eval)",
                        DASH if step is None else str(step),
                        bench,
                        str(s.responses),
                        *_checkpoint_cells(s),
                    )
                )
    header = (
        "run",
        "checkpoint",
        "step",
        "benchmark",
        "responses",
        "acc %",
        "tokens mean",
        "correct mean",
        "correct p90",
        "wrong mean",
        "wrong p90",
        "truncated %",
        "wait %",
    )
    return Table("Every checkpoint", header, tuple(rows), "Lengths in tokens.")


# -- rendering ---------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _numeric_columns(table: Table) -> list[bool]:
    """Columns whose every cell is a number (or the dash for none): right-aligned."""

    def is_number(cell: str) -> bool:
        try:
            float(cell.replace(",", ""))
        except ValueError:
            return cell == DASH
        return True

    return [
        bool(table.rows) and all(is_number(row[i]) for row in table.rows)
        for i in range(len(table.header))
    ]


def to_markdown(table: Table, level: int = 2) -> str:
    """A GitHub-flavoured Markdown table under a title of heading ``level``."""
    head = "| " + " | ".join(_md_cell(h) for h in table.header) + " |"
    align = "|" + "|".join("--:" if n else ":--" for n in _numeric_columns(table)) + "|"
    body = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    parts = ["#" * level + f" {table.title}", "", head, align, *body]
    if table.caption:
        parts += ["", table.caption]
    return "\n".join(parts) + "\n"


_PROSE_CELL = 40
"""Characters beyond which a text column is let wrap in HTML."""


def to_html(table: Table, level: int = 2) -> str:
    """An HTML ``<table>`` under a heading of ``level``, with a ``<caption>``; cells escaped."""
    e = html.escape
    # Numbers align right; a text column with a long cell (a finding, what was measured)
    # may wrap, so a wide table fits the page instead of scrolling sideways.
    prose = [
        any(len(str(row[i])) > _PROSE_CELL for row in table.rows) for i in range(len(table.header))
    ]
    cls = [
        " class='num'" if n else (" class='prose'" if p else "")
        for n, p in zip(_numeric_columns(table), prose, strict=True)
    ]
    head = "".join(f"<th{c}>{e(h)}</th>" for c, h in zip(cls, table.header, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{c}>{e(v)}</td>" for c, v in zip(cls, row, strict=True)) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{e(table.caption)}</caption>" if table.caption else ""
    return (
        f"<h{level}>{e(table.title)}</h{level}>\n<div class='scroll'><table>{caption}"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>\n"
    )
