"""`longcot sft` on TRL's SFTTrainer: files written, loss normalisation, packing, resume, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from longcot import cli
from longcot.config import load_recipe
from longcot.train import RunDir, accumulation_steps, run_sft
from longcot.train.sft import SFTSetupError
from longcot.train.sft_data import IGNORE_INDEX, ExampleEncoder, read_messages_jsonl
from sft_helpers import recipe, write_chat_jsonl

ROOT = Path(__file__).resolve().parents[1]
METRIC_KEYS = {
    "step",
    "elapsed_s",
    "loss",
    "lr",
    "grad_norm",
    "epoch",
    "train_tokens",
    "examples_seen",
}
SUMMARY_KEYS = {
    "train_tokens",
    "examples",
    "dropped_overlong",
    "truncated",
    "steps",
    "epochs",
    "seconds",
    "final_loss",
}


class GradCapture(TrainerCallback):
    """The summed gradient of each optimiser step, before the update."""

    def __init__(self):
        self.grads = []

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.grads.append(
            {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
        )


class KillAfterLog(TrainerCallback):
    """Simulates a run killed once the metrics row of ``step`` is written."""

    class Killed(RuntimeError):
        pass

    def __init__(self, step):
        self.step = step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.global_step == self.step and "loss" in (logs or {}):
            raise self.Killed(f"killed after step {self.step}")


class Steps(TrainerCallback):
    """The optimiser steps a run takes."""

    def __init__(self):
        self.seen = []

    def on_step_end(self, args, state, control, **kwargs):
        self.seen.append(state.global_step)


def test_accumulation_steps_divide_the_batch_exactly():
    assert accumulation_steps(256, 1, 8) == 32  # the paper's batch on 8 GPUs
    assert accumulation_steps(8, 4, 1) == 2
    assert accumulation_steps(8, 2, 2) == 2  # two processes, two micro-batches each
    with pytest.raises(SFTSetupError, match=r"batch_size=10 is not a multiple of .*=4 x 1"):
        accumulation_steps(10, 4, 1)
    with pytest.raises(SFTSetupError, match="3 process"):
        accumulation_steps(8, 4, 3)


@pytest.mark.slow
def test_micro_batches_give_the_gradient_of_one_batch(tiny_model_dir, tmp_path):
    """Token-mean over the whole optimiser step, whatever the micro-batch (TRL issue 5619)."""
    data = write_chat_jsonl(tmp_path / "sft.jsonl", 8)
    grads = {}
    for micro in (8, 2, 1):
        capture = GradCapture()
        run_sft(
            recipe(
                tiny_model_dir,
                data,
                tmp_path / f"mb{micro}",
                "optim.batch_size=8",
                f"optim.micro_batch_size={micro}",
                "optim.grad_clip=null",
                "run.max_steps=1",
            ),
            callbacks=[capture],
        )
        grads[micro] = capture.grads[0]

    # The reference, by hand: every response token of the 8 examples weighs the same.
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    encoder = ExampleEncoder(tokenizer)
    total, count = 0.0, 0
    for example in read_messages_jsonl(data):
        input_ids, labels = (torch.tensor([x]) for x in encoder(example))
        logits = model(input_ids=input_ids).logits[0, :-1]
        target = labels[0, 1:]
        total = total + torch.nn.functional.cross_entropy(logits, target, reduction="sum")
        count += int((target != IGNORE_INDEX).sum())
    (total / count).backward()
    reference = {n: p.grad for n, p in model.named_parameters()}

    for micro in (8, 2, 1):
        for name, grad in grads[micro].items():
            torch.testing.assert_close(
                grad, reference[name], rtol=1e-4, atol=1e-6, msg=f"{micro} {name}"
            )


def test_packing_trains_the_same_tokens_with_document_aware_attention(tiny_model_dir, tmp_path):
    data = write_chat_jsonl(tmp_path / "sft.jsonl", 6)
    plain = run_sft(
        recipe(
            tiny_model_dir,
            data,
            tmp_path / "plain",
            "optim.batch_size=6",
            "optim.micro_batch_size=6",
            "run.max_steps=1",
        )
    )
    # One packed row holds all six examples (each restarts its positions at 0).
    packed = run_sft(
        recipe(
            tiny_model_dir,
            data,
            tmp_path / "packed",
            "data.packing=true",
            "data.max_length=1024",
            "optim.batch_size=1",
            "optim.micro_batch_size=1",
            "run.max_steps=1",
        )
    )
    assert packed.summary["train_tokens"] == plain.summary["train_tokens"]
    row_plain, row_packed = RunDir(plain.output).metrics()[0], RunDir(packed.output).metrics()[0]
    assert row_packed["examples_seen"] == row_plain["examples_seen"] == 6
    assert row_packed["loss"] == pytest.approx(row_plain["loss"], rel=1e-5)


@pytest.mark.slow
def test_tiny_recipe_smoke_writes_every_file(tiny_model_dir, benchmarks_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    argv = [
        "sft",
        "--recipe",
        "recipes/sft_tiny_cpu.yaml",
        "--model",
        str(tiny_model_dir),
        "--output",
        str(out),
        "--no-progress",
        "--set",
        f"data.data_dir={benchmarks_dir}",
        "--set",
        f"eval.data_dir={benchmarks_dir}",
    ]
    assert cli.main(argv) == 0

    run = RunDir(out)
    assert (
        load_recipe(run.recipe_path, command="sft").to_dict()
        == load_recipe(
            "recipes/sft_tiny_cpu.yaml",
            [
                f"model.path={tiny_model_dir}",
                f"run.output={out}",
                "run.progress=false",
                f"data.data_dir={benchmarks_dir}",
                f"eval.data_dir={benchmarks_dir}",
            ],
            command="sft",
        ).to_dict()
    )
    info = json.loads(run.run_json_path.read_text())
    assert info["kind"] == "sft" and info["model"] == str(tiny_model_dir) and info["finished"]

    rows = run.metrics()
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(set(r) == METRIC_KEYS for r in rows)
    tokens = [r["train_tokens"] for r in rows]
    assert tokens == sorted(tokens) and tokens[0] > 0

    summary = json.loads(run.summary_path.read_text())
    assert set(summary) == SUMMARY_KEYS
    assert summary["steps"] == 4 and summary["train_tokens"] == tokens[-1]
    assert summary["final_loss"] == rows[-1]["loss"]
    # 4 steps x 8 = one pass over the kept examples: every response token once.
    assert summary["examples"] + summary["dropped_overlong"] == 32
    assert rows[-1]["examples_seen"] == summary["examples"]
    from transformers import AutoTokenizer

    from longcot.train.sft_data import load_examples, tokenize_examples

    examples = load_examples("math_train", data_dir=str(benchmarks_dir), limit=32)
    _, stats = tokenize_examples(
        AutoTokenizer.from_pretrained(tiny_model_dir), examples, max_length=512
    )
    assert summary["train_tokens"] == stats.response_tokens

    assert [p.name for p in sorted(run.checkpoints_dir.iterdir())] == ["step_000002", "step_000004"]
    counters = json.loads((run.checkpoint_path(4) / "longcot_counters.json").read_text())
    assert counters["train_tokens"] == summary["train_tokens"]
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"):
        assert (run.final_dir / name).is_file()
    # eval.before_training and eval.every=2: the start, step 2 (live policy), then final/;
    # step 4 is the last, which eval/final covers.
    assert sorted(p.name for p in (out / "eval").iterdir()) == [
        "final",
        "step_000000",
        "step_000002",
    ]
    for tag in ("final", 0, 2):
        for name in ("config.json", "math500.jsonl", "summary.json", "summary.md"):
            assert (run.eval_dir(tag) / name).is_file(), (tag, name)
    final_config = json.loads((run.eval_dir("final") / "config.json").read_text())
    assert final_config["model"] == str(run.final_dir)
    assert json.loads((run.eval_dir(2) / "config.json").read_text())["model"] == "run@step_000002"


@pytest.mark.slow
def test_resume_after_a_kill_ends_with_the_same_weights(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    data = write_chat_jsonl(tmp_path / "sft.jsonl", 16)
    sets = ("optim.batch_size=4", "optim.micro_batch_size=2", "run.max_steps=4", "run.save_every=2")
    whole = run_sft(recipe(tiny_model_dir, data, tmp_path / "whole", *sets))

    cut = recipe(tiny_model_dir, data, tmp_path / "cut", *sets)
    # Killed after step 3 was logged: the last checkpoint is step 2's.
    with pytest.raises(KillAfterLog.Killed):
        run_sft(cut, callbacks=[KillAfterLog(3)])
    run = RunDir(tmp_path / "cut")
    assert run.read_run()["finished"] is None
    assert [s for s, _ in run.checkpoints()] == [2]
    assert [r["step"] for r in run.metrics()] == [1, 2, 3]
    with pytest.raises(FileExistsError, match="--resume"):
        run_sft(cut)
    steps = Steps()
    resumed = run_sft(cut, resume=True, callbacks=[steps])
    assert steps.seen == [3, 4]  # continued, not started again

    a = load_file(whole.final / "model.safetensors")
    b = load_file(resumed.final / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    strip = lambda rows: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]  # noqa: E731
    assert strip(RunDir(whole.output).metrics()) == strip(run.metrics())
    assert {k: v for k, v in resumed.summary.items() if k != "seconds"} == {
        k: v for k, v in whole.summary.items() if k != "seconds"
    }


def test_resume_refuses_a_changed_recipe(tiny_model_dir, tmp_path):
    data = write_chat_jsonl(tmp_path / "sft.jsonl", 4)
    run_sft(
        recipe(
            tiny_model_dir,
            data,
            tmp_path / "r",
            "optim.batch_size=4",
            "optim.micro_batch_size=4",
            "run.max_steps=1",
        )
    )
    with pytest.raises(SFTSetupError, match=r"optim.lr \(0.001 -> 0.002\)"):
        run_sft(
            recipe(
                tiny_model_dir,
                data,
                tmp_path / "r",
                "optim.batch_size=4",
                "optim.micro_batch_size=4",
                "run.max_steps=1",
                "optim.lr=2e-3",
            ),
            resume=True,
        )


def test_lora_run_saves_merged_weights_as_a_plain_checkpoint(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    data = write_chat_jsonl(tmp_path / "sft.jsonl", 4)
    result = run_sft(
        recipe(tiny_model_dir, data, tmp_path / "lora", "model.lora={r: 4, alpha: 8}",
               "optim.lr=1e-2", "optim.batch_size=4", "optim.micro_batch_size=4",
               "run.max_steps=1")
    )  # fmt: skip
    assert (RunDir(result.output).checkpoint_path(1) / "adapter_model.safetensors").is_file()
    start = load_file(tiny_model_dir / "model.safetensors")
    final = load_file(result.final / "model.safetensors")
    assert final.keys() == start.keys()  # merged: no adapter weights left
    changed = [k for k in start if not torch.equal(start[k], final[k])]
    assert changed and all("proj" in k for k in changed)  # only the adapted linear layers


def test_task_solutions_and_a_fresh_final_eval_when_a_run_is_extended(tiny_model_dir, tmp_path):
    sets = (
        "data.source=arith_train",  # synthetic, in memory: the short traces in Example.meta
        "data.solution_field=short_cot",
        "data.limit=8",
        "optim.batch_size=4",
        "optim.micro_batch_size=4",
        "eval.after_training=true",
        "eval.benchmarks=[arith]",
        "eval.limit=2",
        "eval.samples=1",
        "eval.max_new_tokens=8",
        "eval.grade_workers=0",
    )
    first = run_sft(recipe(tiny_model_dir, "x", tmp_path / "r", *sets, "run.max_steps=1"))
    assert first.evaluation.generated == 2
    assert first.summary["examples"] == 8
    # Two more steps change final/: its evaluation is redone, not resumed past.
    extended = recipe(tiny_model_dir, "x", tmp_path / "r", *sets, "run.max_steps=3")
    assert run_sft(extended, resume=True).evaluation.generated == 2
    # Nothing left to train: the stored evaluation of the same final/ is kept.
    again = run_sft(extended, resume=True)
    assert again.evaluation.generated == 0 and again.summary["steps"] == 3
