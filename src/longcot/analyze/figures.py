"""Drawing: panels of lines, one colour per run across every figure, saved as PNG.

Uses matplotlib's object API with the Agg canvas (``Figure`` + ``FigureCanvasAgg``),
never ``pyplot``: nothing global changes, no display is needed (headless CI, SSH),
and figures are freed when they go out of scope instead of piling up in pyplot's
registry. Each figure gets a title, axis labels with units, a legend of runs
(colour) and, where lines differ by style, a legend of what each style means.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

# tab10 then the light half of tab20: 20 runs before a colour repeats.
_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
DPI = 100
PANEL_SIZE = (4.6, 3.3)  # inches per panel: 460 x 330 px at DPI
MAX_COLUMNS = 3


def palette(names: Sequence[str]) -> dict[str, str]:
    """Run name -> colour, in the order given (the same in every figure of a report)."""
    return {n: _COLOURS[i % len(_COLOURS)] for i, n in enumerate(names)}


@dataclass(frozen=True)
class Line:
    """One run's curve on a panel; ``style`` is a matplotlib line style (``-``, ``--``)."""

    run: str
    xs: Sequence[float]
    ys: Sequence[float]
    style: str = "-"


@dataclass
class Panel:
    """One axes: its lines, horizontal reference lines ``(run, y)`` and point labels."""

    title: str
    xlabel: str
    ylabel: str
    lines: list[Line] = field(default_factory=list)
    hlines: list[tuple[str, float]] = field(default_factory=list)
    labels: list[tuple[float, float, str]] = field(default_factory=list)
    logx: int = 0
    """Log-scale x axis with this base (2 for N, 10 for tokens); 0: linear."""

    @property
    def empty(self) -> bool:
        return not any(line.xs for line in self.lines) and not self.hlines


@dataclass(frozen=True)
class Plot:
    """A saved figure: ``path`` is the PNG, ``caption`` says how to read it."""

    name: str
    title: str
    path: Path
    caption: str


# Fixed margins in inches instead of matplotlib's constrained layout, which spent
# half of the report's time measuring text (0.5 s a figure here) for panels that
# all have the same fonts and label sizes.
_LEFT, _RIGHT, _TOP, _XLABEL = 0.7, 0.15, 0.6, 0.5  # y labels, right edge, titles, x labels
_WGAP, _HGAP, _LEGEND_ROW = 0.8, 0.85, 0.25  # between panels; per row of the run legend
_LEGEND_ENTRY = 2.3  # inches of width per legend entry (a run name of up to ~25 characters)


def legend_columns(cols: int) -> int:
    """Run-legend entries per row: about one per 2.3 inches of figure width."""
    return max(1, int(PANEL_SIZE[0] * cols // _LEGEND_ENTRY))


def _layout(rows: int, cols: int, legend_entries: int) -> tuple[tuple[float, float], dict]:
    """Figure size (inches) and ``subplots_adjust`` fractions for a grid of panels."""
    legend = _LEGEND_ROW * math.ceil(legend_entries / legend_columns(cols)) + 0.1
    width = PANEL_SIZE[0] * cols
    height = PANEL_SIZE[1] * rows + legend + 0.3
    grid_w = width - _LEFT - _RIGHT
    grid_h = height - _TOP - _XLABEL - legend
    axis_w = (grid_w - (cols - 1) * _WGAP) / cols
    axis_h = (grid_h - (rows - 1) * _HGAP) / rows
    return (width, height), {
        "left": _LEFT / width,
        "right": 1 - _RIGHT / width,
        "top": 1 - _TOP / height,
        "bottom": (_XLABEL + legend) / height,
        "wspace": _WGAP / axis_w,
        "hspace": _HGAP / axis_h,
    }


def draw(
    name: str,
    title: str,
    panels: Sequence[Panel],
    colours: dict[str, str],
    out_dir: Path,
    *,
    caption: str = "",
    styles: Sequence[tuple[str, str]] = (),
    marker_max: int = 25,
) -> Plot:
    """Draw ``panels`` in a grid and save ``out_dir/<name>.png``.

    Args:
        styles: ``(line style, meaning)`` pairs shown as a legend in the first panel
            (``("-", "mean"), ("--", "p90")``).
        marker_max: lines with at most this many points get markers, so a run with a
            single checkpoint still shows.
    """
    n = len(panels)
    cols = min(n, MAX_COLUMNS)
    rows = math.ceil(n / cols)
    n_runs = len(
        {ln.run for p in panels for ln in p.lines if ln.xs}
        | {r for p in panels for r, _ in p.hlines}
    )
    entries = n_runs + any(p.hlines for p in panels)  # the "dotted: eval folder" key
    size, margins = _layout(rows, cols, entries)
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**margins)
    runs_shown: dict[str, None] = {}
    for i, panel in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        for line in panel.lines:
            if not line.xs:
                continue
            marker = "o" if len(line.xs) <= marker_max else None
            ax.plot(
                line.xs,
                line.ys,
                linestyle=line.style,
                marker=marker,
                markersize=4,
                linewidth=1.6,
                color=colours[line.run],
            )
            runs_shown.setdefault(line.run, None)
        for run, y in panel.hlines:
            ax.axhline(y, color=colours[run], linestyle=":", linewidth=1.6)
            runs_shown.setdefault(run, None)
        for x, y, text in panel.labels:
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        if panel.labels:
            ax.margins(x=0.25, y=0.15)  # room for the point labels inside the axes
        xs = {x for line in panel.lines for x in line.xs}
        if panel.logx:
            ax.set_xscale("log", base=panel.logx)
            if panel.logx == 2:  # N = 1, 2, 4 ... reads better than 2^0, 2^1, 2^2
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
            if len(xs) == 1:  # one checkpoint: centre it instead of a 1e-3-wide axis
                (x,) = xs
                ax.set_xlim(x - 1, x + 1)
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel, fontsize=9)
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.3)
        if i == 0 and styles:
            handles = [Line2D([], [], color="#444", linestyle=s) for s, _ in styles]
            ax.legend(handles, [m for _, m in styles], fontsize=7, loc="best")
    handles = [Line2D([], [], color=colours[r], linewidth=2.5) for r in runs_shown]
    if any(p.hlines for p in panels):
        handles.append(Line2D([], [], color="#444", linestyle=":"))
        labels = [*runs_shown, "dotted: eval folder"]
    else:
        labels = list(runs_shown)
    fig.suptitle(title, fontsize=12 if cols > 1 else 10.5, fontweight="bold")  # fits 4.6 in
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(len(labels), legend_columns(cols)),
        fontsize=8,
        frameon=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    return Plot(name, title, path, caption)
