"""report.html / report.md from fixture folders: tables, embedded figures, notes, the CLI."""

from __future__ import annotations

import json
import re

import pytest

from analyze_fixtures import (
    make_eval,
    make_rl,
    make_sample,
    make_sft,
    rl_metrics_row,
    write_jsonl,
)
from longcot.analyze import NotARunError, Table, analyze, load_runs, write_report
from longcot.analyze.tables import comparison_table
from longcot.cli import main
from longcot.reflection import reflection_from_jsonl


@pytest.fixture
def runs(tmp_path):
    return [
        make_rl(tmp_path / "rl-long"),
        make_sft(tmp_path / "sft-long", 1200, 0.5),
        make_eval(tmp_path / "base"),
        make_sample(tmp_path / "sample-long"),
    ]


def test_comparison_table_values(runs):
    table = comparison_table([analyze(r) for r in load_runs(runs)])
    rows = {row[0]: dict(zip(table.header, row, strict=True)) for row in table.rows}
    assert list(rows) == ["rl-long", "sft-long", "base", "sample-long"]
    rl = rows["rl-long"]
    # eval/final of the fixture: 2 of 4 correct, lengths 10, 20, 30, 64 (p90 53.8), 1 truncated;
    # the last RL step (3) logged reward/mean -1 + 0.5*3 and accuracy 0.2*3.
    assert rl == {
        "run": "rl-long",
        "kind": "rl",
        "steps": "3",
        "seconds": "12.5",
        "SFT tokens": "–",
        "arith acc %": "50.0",
        "tokens mean": "31",
        "tokens p90": "54",
        "truncated %": "25.0",
        "wait %": "25.0",
        "branching %": "25.0",
        "coding %": "0.0",
        "reward": "0.500",
        "train acc %": "60.0",
    }
    assert rows["sft-long"]["SFT tokens"] == "1,200"
    assert rows["sft-long"]["reward"] == "–"
    assert rows["base"]["arith acc %"] == "0.0" and rows["base"]["steps"] == "–"
    assert rows["sample-long"]["arith acc %"] == "–"


def test_report_files_are_self_contained_and_hold_the_tables(runs, tmp_path):
    out = tmp_path / "report"
    report = write_report(
        runs,
        out,
        title="demo <report>",
        extra=["Finding: <b>not bold</b>", Table("Extra", ("a",), (("1",),))],
    )
    html = report.html.read_text()
    md = report.markdown.read_text()
    names = {p.name for p in report.figures}
    assert {"rl_accuracy.png", "rl_length.png", "rl_reward.png", "rl_kl_entropy.png"} <= names
    assert {
        "eval_accuracy_rl.png",
        "eval_length_sft.png",
        "sft_tokens.png",
        "sampling.png",
    } <= names
    # Every figure embedded once as a PNG data URI; nothing fetched from anywhere.
    srcs = re.findall(r"<img src='([^']*)'", html)
    assert len(srcs) == len(report.figures)
    assert all(s.startswith("data:image/png;base64,iVBORw0KGgo") for s in srcs)
    for forbidden in ("<script", "<link", "http://", "https://", "url(", "@import"):
        assert forbidden not in html
    assert "Content-Security-Policy" in html
    # Text is escaped, tables are there in both files.
    assert "<title>demo &lt;report&gt;</title>" in html
    assert "Finding: &lt;b&gt;not bold&lt;/b&gt;" in html
    for title in (
        "Comparison",
        "Reflection at the final checkpoint",
        "Rejection sampling",
        "Extra",
    ):
        assert f">{title}</h" in html
        assert f"## {title}" in md
    assert "| rl-long | rl | 3 | 12.5 |" in md
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / link).is_file()
    assert len(re.findall(r"!\[", md)) == len(report.figures)


def test_missing_metrics_are_skipped_with_notes_not_errors(tmp_path):
    sparse = make_rl(tmp_path / "sparse", rollouts=False)
    rows = [
        {k: v for k, v in rl_metrics_row(s).items() if k not in ("kl", "entropy")} for s in (1, 2)
    ]
    write_jsonl(sparse / "metrics.jsonl", rows)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "run.json").write_text(json.dumps({"kind": "rl", "name": "empty"}))
    (empty / "metrics.jsonl").write_text("")
    report = write_report([sparse, empty], tmp_path / "out")
    notes = "\n".join(report.notes)
    assert "sparse: no 'kl' in metrics.jsonl" in notes
    assert "empty: no 'accuracy' in metrics.jsonl" in notes
    assert "KL and entropy over RL steps: nothing to plot; skipped" in notes
    assert "rl_kl_entropy.png" not in {p.name for p in report.figures}
    assert "rl_accuracy.png" in {p.name for p in report.figures}
    html = report.html.read_text()
    assert "<h2>Notes</h2>" in html and "nothing to plot" in html
    assert "| empty | rl | – |" in report.markdown.read_text()


def test_curation_runs_with_run_json_are_sampling_rows_and_one_figure(tmp_path):
    runs = [
        make_sample(tmp_path / "sample-long", with_run_json=True),
        make_sample(tmp_path / "construct", with_run_json=True, kind="construct"),
    ]
    report = write_report(runs, tmp_path / "out")
    assert [p.name for p in report.figures] == ["sampling.png"]
    md = report.markdown.read_text()
    assert "| sample-long | sample | – |" in md  # chunks graded are not training steps
    assert "| construct | 4 | 10 | 40.0 | 80.0 | 16 | 4,000 |" in md


def test_a_report_of_one_bare_evaluation_has_tables_and_no_curves(tmp_path):
    report = write_report([make_eval(tmp_path / "base")], tmp_path / "out")
    assert report.figures == ()
    assert "No curves" in report.html.read_text()
    assert "| base | eval |" in report.markdown.read_text()


def test_a_rewritten_report_drops_stale_figures(tmp_path):
    out = tmp_path / "out"
    write_report([make_sample(tmp_path / "s")], out)
    assert [p.name for p in (out / "figures").iterdir()] == ["sampling.png"]
    write_report([make_eval(tmp_path / "base")], out)
    assert list((out / "figures").iterdir()) == []


def test_cli_report(runs, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(runs[2]), str(runs[3]), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 runs, 1 figures" in err and "report.html" in err
    assert "note:" in err  # the sampling fixture lacks tokens_kept at N = 2
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    (tmp_path / "stray").mkdir()
    assert main(["report", str(runs[0]), str(tmp_path / "stray"), "--output", str(out)]) == 2
    assert "stray: not a longcot run folder" in capsys.readouterr().err
    with pytest.raises(NotARunError):
        write_report([tmp_path / "stray"], out)


def test_cli_keywords_table_json_and_errors(tmp_path, capsys):
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"response": "Wait, wait. Alternatively, x", "text": "however"},
            {"response": "```python\nx = 1\n```", "text": "nothing"},
        ],
    )
    assert main(["keywords", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 responses" in out
    assert re.search(r"wait\s+│\s+50\.0\s+│\s+1\.00", out)
    assert re.search(r"coding\s+│\s+50\.0\s+│\s+0\.50", out)
    assert main(["keywords", str(path), "--json", "--field", "text"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["field"] == "text" and data["however"] == {"rate": 0.5, "mean": 0.5}
    assert {k: data[k] for k in reflection_from_jsonl(path, "text")} == reflection_from_jsonl(
        path, "text"
    )
    assert main(["keywords", str(path), "--field", "missing"]) == 2
    assert "r.jsonl:1: no string field 'missing'" in capsys.readouterr().err
    assert main(["keywords", str(tmp_path / "nope.jsonl")]) == 2


def test_html_tables_let_long_text_columns_wrap_and_keep_numbers_right_aligned():
    from longcot.analyze.tables import to_html

    long_text = "accuracy gain over RL (cosine), long arm − short arm, in points"
    page = to_html(
        Table("Findings", ("finding", "run", "effect"), ((long_text, "rl-long", "+6.75"),))
    )
    cells = re.findall(r"<td([^>]*)>", page)
    assert cells == [" class='prose'", "", " class='num'"]
