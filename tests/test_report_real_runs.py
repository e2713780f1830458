"""The report reads what the real commands write: ``longcot rl``, ``sft`` and ``eval`` on the
demo's tiny arithmetic model (a few steps each), then ``longcot report`` over all three."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from longcot.analyze import analyze, load_runs
from longcot.analyze.tables import comparison_table
from longcot.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_report_over_real_rl_sft_and_eval_outputs(tmp_path, monkeypatch, capsys):
    from longcot.tasks.demo_model import build_demo_model

    monkeypatch.chdir(tmp_path)  # nothing may depend on the checkout's data folders
    model = str(build_demo_model(tmp_path / "arith-model"))
    fast_eval = ["--set", "eval.limit=8", "--set", "eval.max_new_tokens=24"]
    rl, sft, ev = tmp_path / "rl", tmp_path / "sft", tmp_path / "base"
    # fmt: off
    rl_args = [
        "rl", "--recipe", str(ROOT / "recipes/rl_tiny_cpu.yaml"), "--model", model,
        "--output", str(rl), "--max-steps", "2",
        "--set", "rollout.prompts_per_step=4", "--set", "rollout.n=4",
        "--set", "rollout.max_new_tokens=24", "--set", "eval.every=1",
        "--set", "eval.before_training=true", "--set", "run.progress=false", *fast_eval,
    ]
    sft_args = [
        "sft", "--recipe", str(ROOT / "recipes/sft_tiny_cpu.yaml"), "--model", model,
        "--output", str(sft), "--max-steps", "2", "--no-progress",
        "--set", "data.source=arith_train", "--set", "data.solution_field=long_cot",
        "--set", "eval.benchmarks=[arith]", *fast_eval,
    ]
    eval_args = [
        "eval", "--model", model, "--benchmarks", "arith", "--limit", "8",
        "--samples", "1", "--max-new-tokens", "24", "--temperature", "0",
        "--grade-workers", "0", "--output", str(ev),
    ]
    # fmt: on
    for args in (rl_args, sft_args, eval_args):
        assert main(args) == 0, args[0]
    capsys.readouterr()

    out = tmp_path / "report"
    assert main(["report", str(rl), str(sft), str(ev), "--output", str(out)]) == 0
    assert "3 runs" in capsys.readouterr().err

    analyses = [analyze(r) for r in load_runs([rl, sft, ev])]
    assert [a.kind for a in analyses] == ["rl", "sft", "eval"]
    rl_a, sft_a, _ = analyses
    assert [c.checkpoint.tag for c in rl_a.checkpoints] == ["step_000000", "step_000001", "final"]
    assert [c.checkpoint.step for c in rl_a.checkpoints] == [0, 1, 2]
    assert sorted(rl_a.rollouts) == [1, 2]
    assert all(s.responses == 16 for s in rl_a.rollouts.values())  # 4 prompts x 4 samples
    assert len(rl_a.train("reward/mean")[0]) == 2 and len(rl_a.train("entropy")[0]) == 2
    assert sft_a.final.per_benchmark["arith"].responses == 8
    assert isinstance(sft_a.run.summary["train_tokens"], int)

    table = comparison_table(analyses)
    rows = {row[0]: dict(zip(table.header, row, strict=True)) for row in table.rows}
    assert rows["rl"]["steps"] == "2" and rows["rl"]["reward"] != "–"
    assert rows["sft"]["SFT tokens"] == f"{sft_a.run.summary['train_tokens']:,}"
    assert all(re.fullmatch(r"\d+\.\d", r["arith acc %"]) for r in rows.values())

    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"rl_accuracy.png", "rl_length.png", "rl_reward.png", "rl_kl_entropy.png"} <= figures
    assert {
        "eval_accuracy_rl.png",
        "eval_accuracy_sft.png",
        "sft_loss.png",
        "sft_tokens.png",
    } <= figures
    html = (out / "report.html").read_text()
    assert html.count("<img src='data:image/png;base64,") == len(figures)
