"""The demo's report: the findings table (verdict per finding, per-seed numbers) on top of
``longcot report`` over the first seed's runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from longcot.analyze import write_report
from longcot.analyze.tables import Table

from .findings import Verdict, evaluate_findings

INTRO = (
    "A 0.2 M-parameter model trained from nothing on synthetic arithmetic chains "
    "(mod 10) shows the mechanics the paper studies at 8 B parameters on MATH, "
    "not its emergent behaviour: published work finds that RL does not make "
    "reflection emerge below about 1 B parameters (TinyZero, oat-zero). Here the "
    "long-CoT traces carry deliberate slips caught with 'Wait'; RL mostly removes "
    "the slips (sharpening) rather than adding reflection. Each finding's effect is "
    "measured per seed; 'reproduced' means every seed shows the paper's sign and "
    "the mean is beyond twice the noise (the seed spread with several seeds, the "
    "sampling error with one)."
)


def findings_table(verdicts: Sequence[Verdict], seeds: int) -> Table:
    rows = []
    for v in verdicts:
        per_seed = ", ".join(f"{x:+.2f}" for x in v.effects) or "–"
        mean = "–" if v.mean is None else f"{v.mean:+.2f}"
        spread = "–" if v.spread is None else f"{v.spread:.2f}"
        rows.append((v.finding.paper, v.verdict, mean, spread, per_seed, v.finding.measure))
    return Table(
        "Findings of the paper at this scale",
        ("finding", "verdict", "mean effect", "seed s.d.", f"per seed ({seeds})", "measured as"),
        tuple(rows),
        caption="Accuracies and rates in percentage points, lengths in tokens.",
    )


def demo_report(root: Path, seeds: int, arms: Sequence[str], *, quick: bool = False):
    """Write ``root/report.html`` and ``report.md``; returns the report and the verdicts."""
    seed_dirs = [root / f"seed{s}" for s in range(seeds)]
    verdicts = evaluate_findings(seed_dirs, arms)
    extra: list = [INTRO, findings_table(verdicts, seeds)]
    if quick:
        extra.insert(
            0,
            "--quick: every stage ran a few steps only; the numbers show that the "
            "pipeline works, not what it finds.",
        )
    report = write_report(
        [seed_dirs[0] / arm for arm in arms],
        root,
        title="longcot demo: long vs short CoT, cosine vs classic reward",
        extra=extra,
    )
    return report, verdicts
