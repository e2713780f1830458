"""A run's statistics per checkpoint and per RL step, SFT-token curves and sampling rows,
against values computed by hand from the fixture folders (tests/analyze_fixtures.py)."""

from __future__ import annotations

import shutil

import pytest

from analyze_fixtures import BY_N, eval_row, make_rl, make_sample, make_sft, write_json, write_jsonl
from longcot.analyze import SftPoint, analyze, load_run, sampling_rows, sft_token_curves


def test_final_checkpoint_statistics(tmp_path):
    a = analyze(load_run(make_rl(tmp_path / "rl")))
    s = a.final.per_benchmark["arith"]
    # FINAL_ROWS: correct 10 and 20 tokens; wrong 30 and 64 (truncated, no answer).
    assert (s.responses, s.graded, s.accuracy) == (4, 4, 0.5)
    assert s.length_mean == pytest.approx(31.0)  # (10+20+30+64)/4
    assert s.length_p90 == pytest.approx(53.8)  # index 2.7: 30 + .7*34
    assert (s.correct_mean, s.correct_p90) == pytest.approx((15.0, 19.0))
    assert (s.wrong_mean, s.wrong_p90) == pytest.approx((47.0, 60.6))  # 30 + .9*34
    assert s.truncated_rate == 0.25
    assert {f: v for f, v in s.reflection.items() if v} == {
        "wait": 0.25,
        "recheck": 0.25,
        "alternatively": 0.25,
        "branching": 0.25,
    }
    assert a.final.pooled == s  # one benchmark: pooling changes nothing
    # START_ROWS (step 0): all wrong, two of four truncated at 64 tokens.
    assert a.at_checkpoints("accuracy", "arith") == ([0, 3], [0.0, 0.5])
    assert a.at_checkpoints("truncated_rate") == ([0, 3], [0.5, 0.25])
    assert a.at_checkpoints("correct_mean", "arith") == ([3], [15.0])  # none correct at 0
    assert a.at_checkpoints("reflection.wait") == ([0, 3], [0.25, 0.25])
    assert a.at_checkpoints("accuracy", "math500") == ([], [])


def test_evaluation_accuracy_comes_from_its_summary_and_rows_are_deduplicated(tmp_path):
    folder = make_rl(tmp_path / "rl")
    final = folder / "eval" / "final"
    rows = [
        eval_row("arith", 0, 0, "a", 10, "correct", False),
        eval_row("arith", 0, 0, "dup", 99, "incorrect", False),  # same (id, sample): first kept
        eval_row("arith", 1, 0, "b", 20, "incorrect", False),
        eval_row("arith", 1, 1, "c", 30, "incorrect", False),  # beyond 1 sample per problem
    ]
    write_jsonl(final / "arith.jsonl", rows)
    summary = {"benchmarks": {"arith": {"samples_per_problem": 1, "accuracy": 0.625}}}
    write_json(final / "summary.json", summary)
    s = analyze(load_run(folder)).final.per_benchmark["arith"]
    assert s.responses == 2 and s.length_mean == 15.0
    assert s.accuracy == 0.625  # the evaluation's own mean over problems


def test_rows_missing_fields_are_skipped_with_a_note(tmp_path):
    folder = make_rl(tmp_path / "rl")
    good = eval_row("arith", 0, 0, "a", 10, "correct", False)
    bad = {
        k: v for k, v in eval_row("arith", 1, 0, "b", 5, "correct", False).items() if k != "verdict"
    }
    write_jsonl(folder / "eval" / "final" / "arith.jsonl", [good, bad])
    a = analyze(load_run(folder))
    assert a.final.per_benchmark["arith"].responses == 1
    assert any("1 rows without response/completion_tokens/verdict" in n for n in a.notes)


def test_rollout_statistics_per_step(tmp_path):
    a = analyze(load_run(make_rl(tmp_path / "rl")))
    assert sorted(a.rollouts) == [1, 2]
    one, two = a.rollouts[1], a.rollouts[2]
    # step 1: correct 12, 16; wrong 8, 32 (truncated)
    assert (one.accuracy, one.length_mean, one.correct_mean, one.wrong_mean) == (
        0.5,
        17.0,
        14.0,
        20.0,
    )
    assert one.truncated_rate == 0.25 and one.reflection["branching"] == 0.25
    # step 2: correct 6, 6; wrong 10; bad_gold 4 counts in lengths, not in accuracy
    assert two.graded == 3 and two.accuracy == pytest.approx(2 / 3)
    assert two.length_mean == 6.5 and two.wrong_mean == 10.0
    # reflection over steps: counted in rollouts.jsonl (wait in 1 of 4 each step) ...
    assert a.train_reflection("wait") == ([1, 2], [0.25, 0.25])
    # ... else the logged rate (0.5 at every step in the fixture metrics)
    b = analyze(load_run(make_rl(tmp_path / "no-rollouts", rollouts=False)))
    assert b.rollouts == {}
    assert b.train_reflection("wait") == ([1, 2, 3], [0.5, 0.5, 0.5])
    assert b.train("kl") == ([1, 2, 3], [0.001, 0.002, 0.003])


def test_sft_token_curves_group_runs_by_training_set(tmp_path):
    runs = [
        make_sft(tmp_path / "sft-a", 1000, 0.5),
        make_sft(tmp_path / "sft-b", 4000, 0.75, source="runs/sample-long/sft_n4.jsonl"),
        make_sft(tmp_path / "sft-c", 2000, 0.25, source="runs/sample-long/sft_n2.jsonl"),
        make_rl(tmp_path / "rl"),  # not SFT: no point
    ]
    curves = sft_token_curves([analyze(load_run(r)) for r in runs])
    assert curves == {
        "arith": {
            "arith_train long_cot": [SftPoint("sft-a", 1000, 0.5)],
            "sample-long": [SftPoint("sft-c", 2000, 0.25), SftPoint("sft-b", 4000, 0.75)],
        }
    }


def test_sft_run_without_an_evaluation_gives_no_point(tmp_path):
    folder = make_sft(tmp_path / "sft", 1000, 0.5)
    shutil.rmtree(folder / "eval")
    assert sft_token_curves([analyze(load_run(folder))]) == {}


def test_sampling_rows_sorted_by_n_and_read_defensively(tmp_path):
    run = load_run(make_sample(tmp_path / "s"))
    rows = sampling_rows(run)
    assert [r["n"] for r in rows] == [1, 2, 4]
    assert rows[0] == BY_N[1]
    assert rows[1]["tokens_kept"] is None  # absent in the file
    assert any("lack numbers for tokens_kept" in n for n in run.notes)
    write_json(run.path / "summary.json", {"by_n": [{"n": "4"}, {"n": 8, "acceptance": None}]})
    run = load_run(run.path)
    rows = sampling_rows(run)
    assert [r["n"] for r in rows] == [8] and rows[0]["acceptance"] is None
    assert any("1 'by_n' rows without an integer n" in n for n in run.notes)
    write_json(run.path / "summary.json", {"by_n": {"n": 4}})
    run = load_run(run.path)
    assert sampling_rows(run) == [] and any("not a list" in n for n in run.notes)
