"""Which figures the report draws, from what, and the notes when there is nothing to draw.

Checkpoint curves (x: step) come from ``eval/<tag>/``, one set per run kind so SFT's
thousands of optimiser steps do not squash RL's tens of steps; a bare ``longcot eval``
folder is drawn as a dotted horizontal line on those. Training curves (x: RL step)
come from ``metrics.jsonl`` and ``rollouts.jsonl`` of ``rl`` runs. Then the
SFT loss against tokens trained, accuracy against SFT tokens (one point per SFT
run), and rejection sampling against N. Every function returns the figures it
drew and appends a note for each one it skipped, so a run without a metric never
stops the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from longcot.reflection import FEATURES

from .analysis import RunAnalysis, sampling_rows, sft_token_curves
from .figures import Line, Panel, Plot, draw, palette
from .stats import keys_with_prefix, series

STEP = "RL step"
PCT = "% of responses"
TOKENS = "response length (tokens)"
MEAN_P90 = (("-", "mean"), ("--", "p90"))


def _is_rl(a: RunAnalysis) -> bool:
    return a.kind == "rl" or bool(a.train("reward/mean")[0])


def _scaled(xy: tuple[list, list], factor: float) -> tuple[list, list]:
    return xy[0], [y * factor for y in xy[1]]


def _train_panel(
    runs: Sequence[RunAnalysis], key: str, title: str, ylabel: str, notes: list[str], factor=1.0
) -> Panel:
    panel = Panel(title, STEP, ylabel)
    for a in runs:
        xs, ys = _scaled(a.train(key), factor)
        if xs:
            panel.lines.append(Line(a.name, xs, ys))
        else:
            notes.append(f"{a.name}: no '{key}' in metrics.jsonl; left off '{title}'")
    return panel


def _keep(panels: list[Panel], what: str, notes: list[str]) -> list[Panel]:
    kept = [p for p in panels if not p.empty]
    if not kept:
        notes.append(f"{what}: nothing to plot; skipped")
    return kept


def training_plots(
    runs: Sequence[RunAnalysis], colours: dict[str, str], out: Path, notes: list[str]
) -> list[Plot]:
    """RL curves over steps: accuracy, length, truncation, rewards, KL/entropy, reflection."""
    rl = [a for a in runs if _is_rl(a)]
    if not rl:
        return []
    plots = []

    def figure(name, title, panels, caption, styles=()):
        kept = _keep(panels, title, notes)
        if kept:
            plots.append(draw(name, title, kept, colours, out, caption=caption, styles=styles))

    figure(
        "rl_accuracy",
        "Training accuracy over RL steps",
        [_train_panel(rl, "accuracy", "rollouts graded correct", "accuracy (%)", notes, 100)],
        "Share of the step's sampled responses the verifier graded correct.",
    )
    lengths = Panel("all responses", STEP, TOKENS)
    split = Panel("correct (solid) vs wrong (dashed), mean", STEP, TOKENS)
    for a in rl:
        for panel, key, style in (
            (lengths, "length/mean", "-"),
            (lengths, "length/p90", "--"),
            (split, "length/correct_mean", "-"),
            (split, "length/wrong_mean", "--"),
        ):
            xs, ys = a.train(key)
            if xs:
                panel.lines.append(Line(a.name, xs, ys, style))
            else:
                notes.append(f"{a.name}: no '{key}' in metrics.jsonl")
    figure(
        "rl_length",
        "Response length over RL steps",
        [lengths, split],
        "Lengths of the step's sampled responses in tokens.",
        MEAN_P90,
    )
    figure(
        "rl_truncation",
        "Truncation and repetition over RL steps",
        [
            _train_panel(rl, "truncated_rate", "hit the token cap", PCT, notes, 100),
            _train_panel(
                rl,
                "repeated_token_rate",
                "repeated n-gram tokens",
                "% of response tokens",
                notes,
                100,
            ),
        ],
        "Truncated: responses cut at the generation budget. Repeated: tokens the repetition "
        "penalty hit (an n-gram seen earlier in the response).",
    )
    streams = list(dict.fromkeys(k for a in rl for k in _reward_keys(a)))
    figure(
        "rl_reward",
        "Reward per stream over RL steps",
        [
            _train_panel(rl, k, k.split("/", 1)[1], "mean reward per response", notes)
            for k in streams
        ],
        "mean: the scalar reward per response; each stream: the mean per-response sum of "
        "its per-token values (correctness sits on the last token, repetition is dense).",
    )
    figure(
        "rl_kl_entropy",
        "KL and entropy over RL steps",
        [
            _train_panel(rl, "kl", "KL to the reference policy", "nats per token", notes),
            _train_panel(rl, "entropy", "policy entropy", "nats per token", notes),
        ],
        "Means over response tokens of the step.",
    )
    panels = []
    for f in FEATURES:
        panel = Panel(f, STEP, PCT)
        for a in rl:
            xs, ys = a.train_reflection(f)
            if xs:
                panel.lines.append(Line(a.name, xs, [100 * y for y in ys]))
        if any(any(line.ys) for line in panel.lines):
            panels.append(panel)
    unseen = [f for f in FEATURES if f not in {p.title for p in panels}]
    if not panels:
        notes.append("RL runs: no reflection feature in any training response; figure skipped")
        return plots
    if unseen:
        notes.append(f"RL runs: never seen in training responses: {', '.join(unseen)}")
    figure(
        "rl_reflection",
        "Reflection keywords in training responses",
        panels,
        "Share of the step's sampled responses containing each feature (from rollouts.jsonl "
        "when saved, else the logged rates).",
    )
    return plots


def _reward_keys(a: RunAnalysis) -> list[str]:
    keys = keys_with_prefix(a.run.metrics, "reward/")
    return sorted(keys, key=lambda k: (k != "reward/mean", keys.index(k)))


def checkpoint_plots(
    runs: Sequence[RunAnalysis], colours: dict[str, str], out: Path, notes: list[str]
) -> list[Plot]:
    """Evaluation curves over checkpoints, one set of figures per run kind."""
    refs = [a for a in runs if a.kind == "eval"]
    plots = []
    for kind in dict.fromkeys(a.kind for a in runs if a.kind != "eval"):
        group = [a for a in runs if a.kind == kind and a.at_checkpoints("length_mean")[0]]
        if group:
            plots += _kind_figures(kind, group, refs, colours, out, notes)
    return plots


def _checkpoint_lines(
    panel: Panel,
    group: Sequence[RunAnalysis],
    refs: Sequence[RunAnalysis],
    attr: str,
    bench: str | None,
    factor: float,
    style: str = "-",
) -> Panel:
    """Add each run's ``attr`` over checkpoints, and each evaluation folder's as a level line."""
    for a in group:
        xs, ys = _scaled(a.at_checkpoints(attr, bench), factor)
        if xs:
            panel.lines.append(Line(a.name, xs, ys, style))
    if style == "-":  # one level line per evaluation folder, on the solid statistic
        for r in refs:
            final = r.final
            stats = final and (final.pooled if bench is None else final.per_benchmark.get(bench))
            value = _ref_value(stats, attr)
            if value is not None:
                panel.hlines.append((r.name, value * factor))
    return panel


def _kind_figures(
    kind: str,
    group: Sequence[RunAnalysis],
    refs: Sequence[RunAnalysis],
    colours: dict[str, str],
    out: Path,
    notes: list[str],
) -> list[Plot]:
    """The four checkpoint figures of one run kind (accuracy, length, truncation, reflection)."""
    xlabel = {"sft": "optimiser step", "rl": STEP}.get(kind, "step")
    benches = list(dict.fromkeys(b for a in group for b in a.benchmarks))
    who = f"{kind.upper()} runs"
    plots = []

    def figure(name, title, panels, caption, styles=()):
        kept = _keep(panels, title, notes)
        if kept:
            plots.append(
                draw(f"{name}_{kind}", title, kept, colours, out, caption=caption, styles=styles)
            )

    def lines(title, ylabel, attr, bench, factor):
        return _checkpoint_lines(Panel(title, xlabel, ylabel), group, refs, attr, bench, factor)

    figure(
        "eval_accuracy",
        f"{who}: held-out accuracy over checkpoints",
        [lines(b, "accuracy (%)", "accuracy", b, 100) for b in benches],
        "Accuracy of each evaluation (eval/step_N, eval/final), mean over samples.",
    )
    length_panels = []
    for b in benches:
        for which in ("correct", "wrong"):
            p = lines(f"{b}: {which}", TOKENS, f"{which}_mean", b, 1)
            length_panels.append(_checkpoint_lines(p, group, refs, f"{which}_p90", b, 1, "--"))
    figure(
        "eval_length",
        f"{who}: response length of correct and wrong answers",
        length_panels,
        "Lengths in tokens of each evaluation's responses, split by the verdict.",
        MEAN_P90,
    )
    figure(
        "eval_truncation",
        f"{who}: responses that hit the token cap",
        [lines(b, PCT, "truncated_rate", b, 100) for b in benches],
        "Share of responses cut at max new tokens (no final answer when the reasoning "
        "block is left open).",
    )
    refl = [lines(f, PCT, f"reflection.{f}", None, 100) for f in FEATURES]
    seen = [p for p in refl if any(any(ln.ys) for ln in p.lines) or any(y for _, y in p.hlines)]
    if not seen:
        notes.append(f"{who}: no reflection feature in any evaluation response; figure skipped")
        return plots
    unseen = [p.title for p in refl if not any(p is q for q in seen)]
    if unseen:
        notes.append(f"{who}: never seen in evaluation responses: {', '.join(unseen)}")
    figure(
        "eval_reflection",
        f"{who}: reflection keywords over checkpoints",
        seen,
        "Share of each evaluation's responses (all benchmarks pooled) containing each feature.",
    )
    return plots


def _ref_value(stats, attr: str) -> float | None:
    if stats is None or not stats.responses:
        return None
    if attr.startswith("reflection."):
        return stats.reflection[attr.split(".", 1)[1]]
    return getattr(stats, attr)


def sft_plots(
    runs: Sequence[RunAnalysis], colours: dict[str, str], out: Path, notes: list[str]
) -> list[Plot]:
    """SFT loss against tokens trained, and accuracy against SFT tokens across runs."""
    sft = [a for a in runs if a.kind == "sft"]
    if not sft:
        return []
    plots = []
    loss = Panel("training loss", "response tokens trained on", "loss (nats per token)")
    for a in sft:
        xs, ys = series(a.run.metrics, "loss", x="train_tokens")
        if xs:
            loss.lines.append(Line(a.name, xs, ys))
        else:
            notes.append(f"{a.name}: no 'loss' with 'train_tokens' in metrics.jsonl")
    if not loss.empty:
        plots.append(
            draw(
                "sft_loss",
                "SFT loss",
                [loss],
                colours,
                out,
                caption="Mean loss per response token.",
            )
        )
    curves = sft_token_curves(sft)
    if not curves:
        notes.append("accuracy against SFT tokens: no SFT run has train_tokens and an evaluation")
        return plots
    groups = list(dict.fromkeys(g for c in curves.values() for g in c))
    group_colours = palette(groups)
    panels = []
    for bench, by_group in curves.items():
        p = Panel(bench, "SFT tokens (response tokens trained on)", "accuracy (%)", logx=10)
        for g, points in by_group.items():
            p.lines.append(
                Line(g, [pt.tokens for pt in points], [100 * pt.accuracy for pt in points])
            )
            p.labels += [(pt.tokens, 100 * pt.accuracy, pt.run) for pt in points]
        panels.append(p)
    plots.append(
        draw(
            "sft_tokens",
            "Accuracy against SFT tokens",
            panels,
            group_colours,
            out,
            caption="One point per SFT run (its summary.json train_tokens and final accuracy); "
            "one line per training set (a rejection-sampling folder, or a source and solution field).",
        )
    )
    return plots


def sampling_plots(
    runs: Sequence[RunAnalysis], colours: dict[str, str], out: Path, notes: list[str]
) -> list[Plot]:
    """Rejection sampling against candidates per prompt N."""
    # Any curation run with by-N rows: `sample`, and `construct`, which writes the same summary.
    rows = {a.name: sampling_rows(a.run) for a in runs if "by_n" in a.run.summary}
    if not rows:
        return []
    rates = Panel("acceptance (solid), coverage (dashed)", "candidates per prompt N", "%", logx=2)
    kept = Panel("SFT tokens kept", "candidates per prompt N", "tokens", logx=2)
    for name, rs in rows.items():
        if not rs:
            notes.append(f"{name}: summary.json has no by_n rows; left off the sampling plot")
        for panel, key, style, factor in (
            (rates, "acceptance", "-", 100),
            (rates, "coverage", "--", 100),
            (kept, "tokens_kept", "-", 1),
        ):
            pts = [(r["n"], r[key] * factor) for r in rs if r[key] is not None]
            if pts:
                panel.lines.append(Line(name, [p[0] for p in pts], [p[1] for p in pts], style))
    panels = _keep([rates, kept], "rejection sampling", notes)
    if not panels:
        return []
    return [
        draw(
            "sampling",
            "Rejection sampling against N",
            panels,
            colours,
            out,
            caption="acceptance: mean per-prompt share of correct candidates; coverage: share "
            "of prompts with at least one kept; tokens kept: SFT tokens of sft_nN.jsonl.",
            styles=(("-", "acceptance"), ("--", "coverage")),
        )
    ]


def all_plots(runs: Sequence[RunAnalysis], out: Path, notes: list[str]) -> list[Plot]:
    """Every figure of the report, colours fixed per run in the order given."""
    colours = palette([a.name for a in runs])
    plots = []
    # Held-out results first (what a reader compares), then the training curves behind them.
    for make in (checkpoint_plots, training_plots, sft_plots, sampling_plots):
        plots += make(runs, colours, out, notes)
    return plots
