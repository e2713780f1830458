"""The run folder every trainer writes: metrics rows, run.json, atomic checkpoints, resume."""

from __future__ import annotations

import json

import pytest

from longcot.config import load_recipe
from longcot.train.run_dir import RunDir, step_tag


def test_step_tag_is_zero_padded_to_six():
    assert step_tag(0) == "step_000000"
    assert step_tag(10) == "step_000010"
    with pytest.raises(ValueError, match="integer >= 0"):
        step_tag(-1)


def test_start_log_finish_write_the_contract_files(tmp_path):
    run = RunDir(tmp_path / "run-a")
    run.start("sft", "/models/tiny")
    info = json.loads(run.run_json_path.read_text())
    assert info["kind"] == "sft" and info["name"] == "run-a" and info["model"] == "/models/tiny"
    assert info["started"] and info["finished"] is None and info["longcot_version"]

    run.log({"step": 1, "loss": 2.5})
    # Flushed at once: a reader sees the row while the run goes on.
    rows = [json.loads(line) for line in run.metrics_path.read_text().splitlines()]
    assert rows == [{"step": 1, "elapsed_s": rows[0]["elapsed_s"], "loss": 2.5}]
    assert rows[0]["elapsed_s"] >= 0

    run.finish({"steps": 1, "final_loss": float("nan")})
    assert json.loads(run.summary_path.read_text()) == {"steps": 1, "final_loss": None}
    assert json.loads(run.run_json_path.read_text())["finished"] is not None


def test_a_row_needs_an_integer_step(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(ValueError, match="integer 'step'"):
        run.log({"step": 1.0, "loss": 1})


def test_resume_drops_rows_after_the_checkpoint_and_keeps_the_clock(tmp_path):
    run = RunDir(tmp_path)
    run.start("rl", "m")
    for step in (1, 2, 3):
        run.log({"step": step, "elapsed_s": 10.0 * step})
    started = run.read_run()["started"]

    resumed = RunDir(tmp_path)
    resumed.start("rl", "m", resume_step=2)
    assert [r["step"] for r in resumed.metrics()] == [1, 2]
    assert resumed.read_run()["started"] == started
    row = resumed.log({"step": 3})
    assert row["elapsed_s"] >= 20.0  # continues from the last kept row


def test_a_fresh_start_clears_old_metrics(tmp_path):
    run = RunDir(tmp_path)
    run.start("sft", "m")
    run.log({"step": 1})
    RunDir(tmp_path).start("sft", "m")
    assert RunDir(tmp_path).metrics() == []


def test_checkpoints_commit_by_rename_and_prune_keeps_the_newest(tmp_path):
    run = RunDir(tmp_path)
    for step in (2, 4, 6):
        tmp = run.tmp_checkpoint_path(step)
        tmp.mkdir(parents=True)
        (tmp / "weights").write_text(str(step))
        assert run.commit_checkpoint(tmp, step) == run.checkpoint_path(step)
        assert not tmp.exists()
    # An unfinished temporary folder is never taken for a checkpoint.
    run.tmp_checkpoint_path(8).mkdir()
    assert run.latest_checkpoint() == tmp_path / "checkpoints" / "step_000006"

    deleted = run.prune(keep_last=2)
    assert [p.name for p in deleted] == ["step_000002"]
    assert [s for s, _ in run.checkpoints()] == [4, 6]

    # A fresh start or a resume clears what a killed save left behind.
    run.start("sft", "m", resume_step=6)
    assert not run.tmp_checkpoint_path(8).exists()
    assert [s for s, _ in run.checkpoints()] == [4, 6]


def test_committing_a_step_again_replaces_it_whole(tmp_path):
    run = RunDir(tmp_path)
    for content in ("old", "new"):
        tmp = run.tmp_checkpoint_path(3)
        tmp.mkdir(parents=True)
        (tmp / "weights").write_text(content)
        run.commit_checkpoint(tmp, 3)
    assert (run.checkpoint_path(3) / "weights").read_text() == "new"
    assert [p.name for p in run.checkpoints_dir.iterdir()] == ["step_000003"]


def test_commit_of_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        RunDir(tmp_path).commit_checkpoint(tmp_path / "nope", 1)


def test_prune_needs_at_least_one(tmp_path):
    with pytest.raises(ValueError, match="keep_last"):
        RunDir(tmp_path).prune(0)


def test_recipe_round_trips_through_the_loader(tmp_path):
    recipe = load_recipe(
        None, ["optim.lr=3e-6", "data.source=x.jsonl", "model.path=m"], command="sft"
    )
    run = RunDir(tmp_path)
    path = run.write_recipe(recipe)
    again = load_recipe(path, command="sft")
    assert again.to_dict() == recipe.to_dict()
    assert run.read_recipe() == recipe.to_dict()


def test_a_torn_last_metrics_line_is_skipped(tmp_path):
    run = RunDir(tmp_path)
    run.log({"step": 1})
    with run.metrics_path.open("a") as fh:
        fh.write('{"step": 2, "lo')  # killed mid-write
    assert [r["step"] for r in run.metrics()] == [1]
