"""Reading run folders: kind detection, checkpoints in step order, torn and corrupt lines, labels."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analyze_fixtures import make_eval, make_rl, make_sample, make_sft, write_eval, write_json
from longcot.analyze import NotARunError, RunFolderError, detect_kind, load_run, load_runs
from longcot.jsonl import JsonlError


def test_kinds_come_from_run_json_or_the_files(tmp_path):
    assert detect_kind(make_rl(tmp_path / "rl")) == "rl"
    assert detect_kind(make_sft(tmp_path / "sft", 100, 0.5)) == "sft"
    assert detect_kind(make_eval(tmp_path / "ev")) == "eval"
    assert detect_kind(make_sample(tmp_path / "s")) == "sample"
    assert detect_kind(make_sample(tmp_path / "s2", with_run_json=True)) == "sample"
    # An evaluation still running: config.json and rows, no summary.json yet.
    live = tmp_path / "live"
    write_eval(live, [("x", 3, "correct", False)])
    (live / "summary.json").unlink()
    assert detect_kind(live) == "eval"
    assert load_run(live).checkpoints[0].benchmarks == ("arith",)


def test_a_folder_that_is_not_a_run_is_an_error_naming_it(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "summary.json").write_text("{}")
    with pytest.raises(NotARunError, match=r"notes: not a longcot run folder"):
        load_run(tmp_path / "notes")
    with pytest.raises(NotARunError, match=r"missing: no such folder"):
        load_run(tmp_path / "missing")
    write_json(tmp_path / "bad" / "run.json", {"name": "x"})
    with pytest.raises(RunFolderError, match=r"bad/run.json: no string field 'kind'"):
        load_run(tmp_path / "bad")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json")
    with pytest.raises(RunFolderError, match=r"broken/run.json: not valid JSON"):
        load_run(tmp_path / "broken")


def test_rl_run_files_and_checkpoint_steps(tmp_path):
    run = load_run(make_rl(tmp_path / "rl"))
    assert run.name == "rl" and run.kind == "rl"
    assert [r["step"] for r in run.metrics] == [1, 2, 3]
    assert run.last_step == 3  # summary.json steps
    assert [(c.tag, c.step) for c in run.checkpoints] == [("step_000000", 0), ("final", 3)]
    assert run.final.tag == "final"
    assert run.rollouts == tmp_path / "rl" / "rollouts.jsonl"
    assert run.notes == []


def test_final_at_a_step_already_evaluated_is_one_point(tmp_path):
    folder = make_rl(tmp_path / "rl")
    write_eval(folder / "eval" / "step_000003", [("x", 3, "correct", False)])
    write_eval(folder / "eval" / "step_000002", [("x", 3, "correct", False)])
    write_eval(folder / "eval" / "base", [("x", 3, "correct", False)])
    run = load_run(folder)
    assert [(c.tag, c.step) for c in run.checkpoints] == [
        ("step_000000", 0),
        ("step_000002", 2),
        ("final", 3),
        ("base", None),
    ]
    assert any("eval/base: tag is neither" in n for n in run.notes)


def test_a_running_run_without_summary_takes_its_last_logged_step(tmp_path):
    folder = make_rl(tmp_path / "rl")
    (folder / "summary.json").unlink()
    assert load_run(folder).last_step == 3


def test_torn_last_metrics_line_is_skipped_with_a_note(tmp_path):
    folder = make_rl(tmp_path / "rl")
    with (folder / "metrics.jsonl").open("a") as fh:
        fh.write('{"step": 4, "acc')  # killed mid-write: no newline
    run = load_run(folder)
    assert [r["step"] for r in run.metrics] == [1, 2, 3]
    assert any("metrics.jsonl:4: a half-written last line" in n for n in run.notes)


def test_corrupt_line_before_the_end_is_an_error_with_file_and_line(tmp_path):
    folder = make_rl(tmp_path / "rl")
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    lines[1] = "{oops"
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(JsonlError, match=r"metrics.jsonl:2: not valid JSON"):
        load_run(folder)
    # A bad last line that did end with a newline was written whole: corrupt, not torn.
    (folder / "metrics.jsonl").write_text('{"step": 1}\n[1, 2]\n')
    with pytest.raises(JsonlError, match=r"metrics.jsonl:2: expected a JSON object"):
        load_run(folder)


def test_rows_without_an_integer_step_are_skipped_with_a_note(tmp_path):
    folder = make_rl(tmp_path / "rl")
    with (folder / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"step": "4", "accuracy": 1.0}) + "\n")
    run = load_run(folder)
    assert len(run.metrics) == 3
    assert any("1 rows without an integer 'step'" in n for n in run.notes)


def test_labels_are_folder_names_lengthened_only_where_they_clash(tmp_path):
    a = make_eval(tmp_path / "a" / "final")
    b = make_eval(tmp_path / "b" / "final")
    c = make_eval(tmp_path / "c" / "base")
    assert [r.name for r in load_runs([a, b, c])] == ["a/final", "b/final", "base"]
    with pytest.raises(RunFolderError, match="given twice"):
        load_runs([a, tmp_path / "a" / "." / "final"])


def test_analysis_imports_neither_evaluate_nor_train():
    # DESIGN §1: analysis reads the files producers wrote; it never imports them.
    code = (
        "import sys, longcot.analyze, longcot.commands.report, longcot.commands.keywords\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('longcot.evaluate', 'longcot.train')))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
