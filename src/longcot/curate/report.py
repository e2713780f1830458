"""The by-N table and plot of a curation run (``summary.md``, ``by_n.png``, the console)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "N"),
    ("prompts", "prompts"),
    ("acceptance", "acceptance"),
    ("solved", "≥1 correct"),
    ("coverage", "≥1 kept"),
    ("kept", "kept"),
    ("tokens_kept", "tokens kept"),
)


def _cell(key: str, value: Any) -> str:
    if key in ("acceptance", "solved", "coverage"):
        return f"{100 * value:.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(by_n: Sequence[dict[str, Any]]) -> str:
    """The by-N table as GitHub markdown."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("--:" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_cell(k, row[k]) for k, _ in COLUMNS) + " |" for row in by_n]
    return "\n".join([head, rule, *body]) + "\n"


def dropped_table(by_n: Sequence[dict[str, Any]]) -> str:
    """Why candidates were not kept, by N (markdown)."""
    if not by_n:
        return ""
    reasons = list(by_n[0]["dropped"])
    head = "| N | " + " | ".join(reasons) + " | incomplete prompts |"
    rule = "|" + "|".join("--:" for _ in range(len(reasons) + 2)) + "|"
    body = [
        f"| {row['n']} | "
        + " | ".join(f"{row['dropped'][r]:,}" for r in reasons)
        + f" | {row['incomplete']} |"
        for row in by_n
    ]
    return "\n".join([head, rule, *body]) + "\n"


def rich_table(by_n: Sequence[dict[str, Any]], title: str):
    from rich.table import Table

    table = Table(title=title)
    for _, name in COLUMNS:
        table.add_column(name, justify="right")
    for row in by_n:
        table.add_row(*(_cell(k, row[k]) for k, _ in COLUMNS))
    return table


def plot_by_n(by_n: Sequence[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Acceptance, prompts solved and covered (left) and tokens kept (right) against N."""
    if not by_n:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    ns = [row["n"] for row in by_n]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for key, label in (
        ("acceptance", "acceptance (per-prompt mean)"),
        ("solved", "prompts with ≥1 correct"),
        ("coverage", "prompts with ≥1 kept"),
    ):
        left.plot(ns, [100 * row[key] for row in by_n], marker="o", label=label)
    left.set_ylabel("%")
    left.legend(fontsize=8)
    right.plot(ns, [row["tokens_kept"] for row in by_n], marker="o", color="C3")
    right.set_ylabel("tokens kept (teacher tokenizer)")
    for ax in (left, right):
        ax.set_xlabel("candidates per prompt N")
        if len(ns) > 1 and ns[-1] / ns[0] >= 8:
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summary_markdown(summary: dict[str, Any], title: str) -> str:
    """``summary.md``: the by-N table, the drop reasons and the run's totals."""
    lines = [f"# {title}", "", markdown_table(summary["by_n"]), "Not kept, by reason:", ""]
    lines.append(dropped_table(summary["by_n"]))
    totals = {k: v for k, v in summary.items() if not isinstance(v, list | dict)}
    lines.append("| total | value |\n|---|--:|")
    lines.extend(f"| {k} | {v} |" for k, v in totals.items())
    return "\n".join(lines) + "\n"
