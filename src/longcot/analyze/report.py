"""``report.html`` (self-contained) and ``report.md`` from run folders.

The HTML file embeds every figure as a base64 ``data:`` URI and its CSS inline, and
a Content-Security-Policy forbids anything else, so it opens offline, mails as one
file and makes no network request. ``report.md`` has the same tables and links the
PNG files in ``figures/`` beside it. Order: the runs, the comparison table, any
extra content the caller passes (the demo's findings), reflection and sampling
tables, the curves, every checkpoint's numbers, and notes on what was skipped.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .analysis import RunAnalysis, analyze
from .figures import Plot
from .plots import all_plots
from .readers import load_runs
from .tables import (
    Table,
    checkpoints_table,
    comparison_table,
    reflection_table,
    sampling_table,
    to_html,
    to_markdown,
)

FIGURES = "figures"
"""Subfolder of the output that holds the PNG files (replaced on each report)."""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222;background:#fff;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.05rem;margin-bottom:.3rem}
table{border-collapse:collapse;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;white-space:nowrap}
th.num,td.num{text-align:right}td.prose{white-space:normal;min-width:16rem}th{background:#f4f4f4;white-space:normal;vertical-align:bottom}
tbody tr:nth-child(even){background:#fafafa}
caption{caption-side:bottom;text-align:left;font-size:.8rem;color:#555;padding-top:.3rem;white-space:normal}
.scroll{overflow-x:auto;max-width:100%}
figure{display:inline-table;margin:0 1rem 1.5rem 0;vertical-align:top}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{display:table-caption;caption-side:bottom;font-size:.85rem;color:#444;padding-top:.3rem}.notes li{font-size:.85rem;color:#555}
code{background:#f4f4f4;padding:0 .2rem}
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote; ``notes`` lists what was skipped and why."""

    html: Path
    markdown: Path
    figures: tuple[Path, ...]
    notes: tuple[str, ...]


def _runs_table(analyses: Sequence[RunAnalysis]) -> Table:
    rows = []
    for a in analyses:
        info = a.run.info
        finished = info.get("finished") if info else None
        state = "finished" if finished else ("running or stopped" if info else "")
        rows.append((a.name, a.kind, str(a.run.path), str(info.get("model") or "–"), state))
    return Table("Runs", ("run", "kind", "folder", "model", "state"), tuple(rows))


def _tables(analyses: Sequence[RunAnalysis]) -> tuple[Table, list[Table]]:
    later = [t for t in (reflection_table(analyses), sampling_table(analyses)) if t.rows]
    return comparison_table(analyses), later


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _img_html(plot: Plot) -> str:
    data = base64.b64encode(plot.path.read_bytes()).decode("ascii")
    e = html.escape
    return (
        f"<figure id='{e(plot.name)}'><img src='data:image/png;base64,{data}' "
        f"alt='{e(plot.title)}'><figcaption><b>{e(plot.title)}.</b> {e(plot.caption)}"
        "</figcaption></figure>\n"
    )


@dataclass(frozen=True)
class Page:
    """What a report shows, in order; rendered as HTML and as Markdown."""

    title: str
    runs: Table
    comparison: Table
    extra: Sequence[Table | str]
    tables: Sequence[Table]
    plots: Sequence[Plot]
    checkpoints: Table
    notes: Sequence[str]


def render_html(page: Page) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{e(page.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(page.title)}</h1>",
        to_html(page.runs),
        to_html(page.comparison),
    ]
    for item in page.extra:
        parts.append(to_html(item, 3) if isinstance(item, Table) else f"<p>{e(item)}</p>\n")
    parts += [to_html(t) for t in page.tables]
    parts.append("<h2>Curves</h2>")
    parts += [_img_html(p) for p in page.plots] or ["<p>No curves: see the notes.</p>"]
    if page.checkpoints.rows:
        parts.append(to_html(page.checkpoints))
    if page.notes:
        parts.append("<h2>Notes</h2><ul class='notes'>")
        parts += [f"<li>{e(n)}</li>" for n in page.notes]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render_markdown(page: Page) -> str:
    parts = [f"# {page.title}", "", to_markdown(page.runs), to_markdown(page.comparison)]
    for item in page.extra:
        parts += [to_markdown(item, 3) if isinstance(item, Table) else item, ""]
    parts += [to_markdown(t) for t in page.tables]
    parts += ["## Curves", ""]
    for p in page.plots:
        parts += [f"### {p.title}", "", f"![{p.title}]({FIGURES}/{p.path.name})", "", p.caption, ""]
    if not page.plots:
        parts += ["No curves: see the notes.", ""]
    if page.checkpoints.rows:
        parts.append(to_markdown(page.checkpoints))
    if page.notes:
        parts += ["## Notes", "", *(f"- {n}" for n in page.notes), ""]
    return "\n".join(parts)


def write_report(
    run_dirs: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    *,
    title: str = "longcot report",
    extra: Sequence[Table | str] = (),
) -> Report:
    """Read ``run_dirs``, draw the figures and write ``report.html`` and ``report.md``.

    Args:
        run_dirs: run folders (``sft``, ``rl``, ``sample``) or ``longcot eval`` output
            folders; each is one run in every table and one colour in every figure.
        output: folder to write (created); ``figures/`` in it is replaced.
        title: the report's heading.
        extra: tables or paragraphs placed after the comparison table.

    Raises:
        NotARunError: a folder is not something a longcot command wrote (named).
        RunFolderError, JsonlError: a file is corrupt (named, with the line).
    """
    if not run_dirs:
        raise ValueError("no run folders given")
    analyses = [analyze(r) for r in load_runs(list(run_dirs))]
    out = Path(output)
    figures = out / FIGURES
    figures.mkdir(parents=True, exist_ok=True)
    for old in figures.glob("*.png"):
        old.unlink()
    plot_notes: list[str] = []
    plots = all_plots(analyses, figures, plot_notes)
    comparison, tables = _tables(analyses)
    # Reading notes first, then plotting ones; a note met twice is shown once.
    notes = list(dict.fromkeys([n for a in analyses for n in a.notes] + plot_notes))
    page = Page(
        title,
        _runs_table(analyses),
        comparison,
        extra,
        tables,
        plots,
        checkpoints_table(analyses),
        notes,
    )
    _write(out / "report.html", render_html(page))
    _write(out / "report.md", render_markdown(page))
    return Report(
        out / "report.html", out / "report.md", tuple(p.path for p in plots), tuple(notes)
    )
