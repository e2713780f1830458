"""`longcot sft` under `accelerate launch`: two CPU processes (gloo) against one.

DDP on the CPU: the launcher starts two ranks with torch.distributed on gloo;
each takes every second micro-batch of the same global batch, so two ranks x
micro-batch 1 x 2 accumulation steps is one process x micro-batch 2 x 2 steps.
The two must end with the same weights (to float tolerance: the gradient sums
are added in another order) and count the same tokens and examples.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import torch

from longcot.config import load_recipe
from longcot.train import RunDir, run_sft
from sft_helpers import write_chat_jsonl

SETS = [
    "model.device=cpu",
    "model.dtype=float32",
    "data.max_length=256",
    "data.shuffle=false",
    "optim.lr=1e-3",
    "optim.warmup_ratio=0",
    "optim.batch_size=4",
    "run.max_steps=2",
    "eval.after_training=false",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_like_one(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    data = write_chat_jsonl(tmp_path / "sft.jsonl", 8)
    out2 = tmp_path / "two"
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(free_port()),
        "-m", "longcot.cli", "sft", "--model", str(tiny_model_dir), "--output", str(out2),
        "--no-progress", "--set", f"data.source={data}", "--set", "optim.micro_batch_size=1",
    ]  # fmt: skip
    for item in SETS:
        cmd += ["--set", item]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es)" in done.stderr  # both ranks joined one run

    one = run_sft(
        load_recipe(
            None,
            [*SETS, f"model.path={tiny_model_dir}", f"data.source={data}",
             "optim.micro_batch_size=2", f"run.output={tmp_path / 'one'}", "run.progress=false"],
            command="sft",
        )
    )  # fmt: skip

    two = json.loads((out2 / "summary.json").read_text())
    for key in ("train_tokens", "examples", "steps"):
        assert two[key] == one.summary[key], key
    rows_two, rows_one = RunDir(out2).metrics(), RunDir(one.output).metrics()
    assert (
        [r["examples_seen"] for r in rows_two] == [r["examples_seen"] for r in rows_one] == [4, 8]
    )
    for a, b in zip(rows_two, rows_one, strict=True):
        assert a["train_tokens"] == b["train_tokens"]
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)

    w2 = load_file(out2 / "final" / "model.safetensors")
    w1 = load_file(one.final / "model.safetensors")
    start = load_file(tiny_model_dir / "model.safetensors")
    moved = 0.0
    for name, tensor in w1.items():
        torch.testing.assert_close(w2[name], tensor, rtol=1e-4, atol=1e-5, msg=name)
        moved = max(moved, float((tensor - start[name]).abs().max()))
    assert moved > 1e-4  # the comparison is between trained weights, not two copies of the start
