"""Per-benchmark summary of an output folder: summary.json, summary.md and rich tables.

Only the samples the current config asks for are summarised (the planned
problems, sample indices below K), so a folder that once held a larger run
reports the numbers of the run just made. Problems whose reference answer is
unusable (any sample ``bad_gold``) say nothing about the model and are left
out of the accuracy metrics; their count is reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longcot.reflection import FEATURES, reflection_stats
from longcot.runs import ResultStore, row_key

from . import metrics as m
from .config import EvalConfig

if TYPE_CHECKING:
    from .runner import BenchmarkPlan

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"


def benchmark_metrics(
    per_problem: Sequence[Sequence[dict[str, Any]]], samples: int
) -> dict[str, Any]:
    """Every metric of one benchmark from its result rows, grouped per problem in sample order."""
    rows = [r for group in per_problem for r in group]
    usable = [g for g in per_problem if g and not any(_status(r) == "bad_gold" for r in g)]
    correct = [[_status(r) == "correct" for r in g] for g in usable]
    answers = [[r.get("extracted") for r in g] for g in usable]
    accuracy, se = m.mean_accuracy(correct)
    out: dict[str, Any] = {
        "problems": len(per_problem),
        "problems_graded": len(usable),
        "samples_per_problem": samples,
        "samples": len(rows),
        "complete": all(len(g) == samples for g in per_problem),
        "accuracy": None if not usable else accuracy,
        "accuracy_se": se,
    }
    for k in m.ks_for(samples):
        out[f"pass@{k}"] = m.mean_pass_at_k(correct, k)
    for k in m.ks_for(samples):
        out[f"maj@{k}"] = m.maj_at_k(answers, correct, k)
    out.update(m.length_stats([int(r["completion_tokens"]) for r in rows]))
    usable_rows = [r for g in usable for r in g]
    out.update(
        m.truncation_stats(
            [bool(r["truncated"]) for r in usable_rows],
            [_status(r) == "correct" for r in usable_rows],
        )
    )
    out.update(m.status_counts([_status(r) for r in rows]))
    out["reflection"] = reflection_stats(r["response"] for r in rows)
    return out


def _status(row: dict[str, Any]) -> str:
    return (row.get("verdict") or {}).get("status", "")


def summarize(
    config: EvalConfig, plans: Sequence[BenchmarkPlan], store: ResultStore
) -> dict[str, Any]:
    """The summary dict of the planned samples found in ``store``."""
    benchmarks = {}
    for plan in plans:
        rows = {row_key(r): r for r in store.read(plan.name)}
        per_problem = [
            [rows[(p.example.id, s)] for s in range(plan.samples) if (p.example.id, s) in rows]
            for p in plan.problems
        ]
        benchmarks[plan.name] = benchmark_metrics(per_problem, plan.samples)
    return {
        "config": config.to_dict(),
        "metrics": {
            name: {"higher_is_better": info.higher_is_better, "description": info.description}
            for name, info in m.METRICS.items()
        },
        "benchmarks": benchmarks,
    }


def write_summary(store: ResultStore, summary: dict[str, Any]) -> list[Path]:
    """Write ``summary.json`` and ``summary.md``; return their paths."""
    return [
        store.write_text(SUMMARY_JSON, json.dumps(summary, indent=2) + "\n"),
        store.write_text(SUMMARY_MD, render_markdown(summary)),
    ]


# -- rendering -------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _accuracy(b: dict[str, Any]) -> str:
    if b["accuracy"] is None:
        return "–"
    se = "" if b["accuracy_se"] is None else f" ± {100 * b['accuracy_se']:.1f}"
    return f"{100 * b['accuracy']:.1f}{se}"


def _ks(summary: dict[str, Any]) -> list[int]:
    """Every k > 1 reported by some benchmark (k = 1 is the accuracy row)."""
    ks = {
        int(key.split("@")[1])
        for b in summary["benchmarks"].values()
        for key in b
        if key.startswith("pass@")
    }
    return sorted(k for k in ks if k > 1)


def main_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the main table: one column per benchmark, one row per metric.

    Transposed (metrics down, benchmarks across) so the four paper benchmarks
    fit an 80-column terminal and a README.
    """
    benches = summary["benchmarks"]
    header = ["metric", *benches]

    def row(label: str, cell) -> list[str]:
        return [label, *(cell(b) for b in benches.values())]

    body = [
        row(
            "problems × samples",
            lambda b: (
                f"{b['problems']} × {b['samples_per_problem']}"
                + ("" if b["complete"] else " (partial)")
            ),
        ),
        row("accuracy % ± SE", _accuracy),
    ]
    for kind in ("pass", "maj"):
        for k in _ks(summary):
            body.append(row(f"{kind}@{k}", lambda b, key=f"{kind}@{k}": _pct(b.get(key))))
    body += [
        row("tokens mean", lambda b: _num(b["tokens_mean"])),
        row("tokens median", lambda b: _num(b["tokens_median"])),
        row("tokens p90", lambda b: _num(b["tokens_p90"])),
        row("cap hit (truncated)", lambda b: _pct(b["cap_hit_rate"])),
        row("accuracy finished", lambda b: _pct(b["accuracy_finished"])),
        row("accuracy truncated", lambda b: _pct(b["accuracy_truncated"])),
        row("no answer", lambda b: _pct(b["no_answer_rate"])),
        row("grading timeouts", lambda b: str(b["timeouts"])),
    ]
    if any(b["bad_gold"] for b in benches.values()):
        body.append(row("unusable gold", lambda b: str(b["bad_gold"])))
    return header, body


def reflection_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the reflection table: % of responses containing each feature."""
    benches = summary["benchmarks"]
    header = ["% of responses with", *benches]
    body = [[f, *(_pct(b["reflection"][f]["rate"]) for b in benches.values())] for f in FEATURES]
    return header, body


def _markdown_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" + "|--:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def render_markdown(summary: dict[str, Any]) -> str:
    c = summary["config"]
    samples = "paper default" if c["samples"] is None else c["samples"]
    intro = (
        f"# Evaluation of `{c['model']}` ({c['backend']})\n\n"
        f"temperature {c['temperature']}, top-p {c['top_p']}, max {c['max_new_tokens']:,} new "
        f"tokens, samples per problem: {samples}, seed {c['seed']}, template `{c['template']}`. "
        "Accuracy is the mean over samples; SE is the standard error over problems. "
        "Lengths are in tokens of the model's tokenizer. Cap hit = truncated at max new "
        "tokens; a reasoning block left open there counts as no answer.\n"
    )
    return (
        f"{intro}\n{_markdown_table(*main_rows(summary))}\n\n"
        "## Reflection keywords\n\n"
        f"{_markdown_table(*reflection_rows(summary))}\n"
    )


def rich_tables(summary: dict[str, Any]) -> list:
    """The two tables as ``rich.table.Table`` objects, for the command line to print."""
    from rich.table import Table

    tables = []
    for title, (header, body) in (
        ("accuracy, lengths, truncation", main_rows(summary)),
        ("reflection keywords", reflection_rows(summary)),
    ):
        table = Table(title=title, title_justify="left")
        for i, col in enumerate(header):
            table.add_column(col, justify="left" if i == 0 else "right")
        for row in body:
            table.add_row(*row)
        tables.append(table)
    return tables
