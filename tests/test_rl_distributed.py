"""Two processes under ``accelerate launch`` on the CPU (gloo): the same update as one process.

Each process generates half of the step's prompts; gradients are averaged by
DDP, the loss normalisers and the advantage whitening use whole-batch totals,
so after the update both ranks hold identical weights, equal (to float
reduction order) to one process training on the same global batch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

TESTS = Path(__file__).resolve().parent
SCRIPT = TESTS / "rl_ddp_script.py"


def _recipe(tmp_path: Path, model: Path) -> Path:
    rows = [
        {"id": f"q{i}", "problem": f"What is {i} + {i + 1}?", "gold": str(2 * i + 1)}
        for i in range(16)
    ]
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"""
model: {{path: {model}, device: cpu}}
data: {{source: {data}}}
rollout: {{prompts_per_step: 4, n: 4, max_new_tokens: 8, stop: ["e"]}}
reward: {{preset: classic, ngram: 4, grade_workers: 0, task: "rl_support:brace"}}
algorithm: {{estimator: gae, micro_batch_size: 3, kl_coef: 0.01}}
optim: {{lr: 1.0e-3, critic_lr: 1.0e-3, warmup_ratio: 0.0}}
run: {{max_steps: 2, progress: false, save_rollouts: false}}
"""
    )
    return recipe


def _run(cmd: list[str], out: Path) -> None:
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(TESTS), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_two_processes_equal_one_on_the_same_global_batch(tmp_path, tiny_model_dir):
    recipe = _recipe(tmp_path, tiny_model_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, str(SCRIPT), str(recipe), str(one)], one)
    accelerate = Path(sys.executable).with_name("accelerate")
    _run(
        [
            str(accelerate),
            "launch",
            "--multi_gpu",  # torchrun under the hood; with no GPU, accelerate uses gloo on the CPU
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            str(SCRIPT),
            str(recipe),
            str(two),
        ],
        two,
    )
    single = load_file(one / "rank0.safetensors")
    rank0, rank1 = load_file(two / "rank0.safetensors"), load_file(two / "rank1.safetensors")
    start = load_file(tiny_model_dir / "model.safetensors")
    assert any(not torch.equal(single[k], start[k]) for k in single)  # it trained
    for key in single:
        assert torch.equal(rank0[key], rank1[key]), key  # DDP keeps ranks identical
        assert torch.allclose(single[key], rank0[key], atol=1e-4, rtol=0), key
    metrics = [
        [json.loads(x) for x in (d / "run" / "metrics.jsonl").read_text().splitlines()]
        for d in (one, two)
    ]
    for a, b in zip(*metrics, strict=True):
        for key in ("accuracy", "reward/mean", "kl", "value_loss", "grad_norm", "entropy"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
