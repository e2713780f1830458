"""SFT speed on CPU: ``longcot sft`` (TRL's SFTTrainer) versus a hand-written loop, same run.

Workload: a recipe (default ``recipes/sft_smollm2_cpu.yaml``: SmolLM2-135M-Instruct on
MATH-train solutions, 8 examples a step in micro-batches of 2), for ``--steps``
optimiser steps, evaluation off. The baseline is the plainest correct loop on exactly
the same tokenized examples in the same order (``data.shuffle`` off for both): pad each
micro-batch, sum the token losses of the whole step, divide by the step's response
tokens, backward, clip, AdamW. Both run fp32 with the recipe's thread count.

Printed per method: wall seconds a step, CPU seconds a step (process time: less
sensitive to other jobs on a shared machine) and response tokens a second, each a
median over the steps after the first; then longcot / loop as ratios.

    .venv/bin/python benchmarks/sft_speed.py                      # SmolLM2, 3 steps, ~6 min on 1 core
    .venv/bin/python benchmarks/sft_speed.py --recipe recipes/sft_tiny_cpu.yaml --model /tmp/tiny
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

from longcot.config import load_recipe
from longcot.train.sft import _load_tokenizer, prepare_data, run_sft
from longcot.train.sft_data import IGNORE_INDEX

ROOT = Path(__file__).resolve().parents[1]


class StepClock(TrainerCallback):
    """Wall and CPU seconds of each optimiser step."""

    def __init__(self):
        self.wall, self.cpu = [], []

    def on_step_begin(self, args, state, control, **kwargs):
        self._t = (time.perf_counter(), time.process_time())

    def on_step_end(self, args, state, control, **kwargs):
        self.wall.append(time.perf_counter() - self._t[0])
        self.cpu.append(time.process_time() - self._t[1])


def hand_loop(recipe, model_path, dataset, steps):
    """The baseline: the same examples in file order, token-mean loss over each step."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.train()
    o = recipe.optim
    opt = torch.optim.AdamW(
        model.parameters(), lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay
    )
    micro, per_step = o.micro_batch_size, o.batch_size
    wall, cpu, tokens = [], [], []
    for step in range(steps):
        rows = dataset[step * per_step : (step + 1) * per_step]
        t = (time.perf_counter(), time.process_time())
        chunks = []
        for i in range(0, per_step, micro):
            ids, labels = rows["input_ids"][i : i + micro], rows["labels"][i : i + micro]
            width = max(len(r) for r in ids)
            x = torch.tensor([r + [0] * (width - len(r)) for r in ids])
            y = torch.tensor([r + [IGNORE_INDEX] * (width - len(r)) for r in labels])
            mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in ids])
            chunks.append((x, y, mask))
        count = sum(int((y[:, 1:] != IGNORE_INDEX).sum()) for _, y, _ in chunks)
        for x, y, mask in chunks:
            logits = model(input_ids=x, attention_mask=mask).logits[:, :-1]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), y[:, 1:].reshape(-1), reduction="sum"
            )
            (loss / count).backward()
        if o.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), o.grad_clip)
        opt.step()
        opt.zero_grad()
        wall.append(time.perf_counter() - t[0])
        cpu.append(time.process_time() - t[1])
        tokens.append(count)
    return wall, cpu, tokens


def median_after_first(values):
    return statistics.median(values[1:] if len(values) > 1 else values)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default=str(ROOT / "recipes/sft_smollm2_cpu.yaml"))
    p.add_argument("--model", help="override model.path")
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sets = [
            f"run.max_steps={args.steps}",
            f"run.output={tmp}/run",
            "run.progress=false",
            "data.shuffle=false",
            "eval.after_training=false",
            "eval.before_training=false",
            "eval.every=0",
            "optim.warmup_ratio=0",
        ]
        if args.model:
            sets.append(f"model.path={args.model}")
        recipe = load_recipe(args.recipe, sets, command="sft")
        if recipe.model.threads:
            torch.set_num_threads(recipe.model.threads)
        clock = StepClock()
        result = run_sft(recipe, callbacks=[clock])
        ours_tokens = result.summary["train_tokens"] / result.summary["steps"]

        from longcot.models import resolve_model

        path = resolve_model(recipe.model.path)
        dataset, _, _ = prepare_data(recipe, _load_tokenizer(recipe), path)
        wall, cpu, tokens = hand_loop(recipe, path, dataset, args.steps)

    rows = [
        ("longcot sft", median_after_first(clock.wall), median_after_first(clock.cpu), ours_tokens),
        ("hand loop", median_after_first(wall), median_after_first(cpu), statistics.mean(tokens)),
    ]
    print(f"{recipe.model.path}, {args.steps} steps of {recipe.optim.batch_size} examples, "
          f"{torch.get_num_threads()} thread(s)")  # fmt: skip
    print(f"{'method':<12} {'s/step':>8} {'cpu s/step':>11} {'tokens/s':>9}")
    for name, w, c, t in rows:
        print(f"{name:<12} {w:8.2f} {c:11.2f} {t / w:9.1f}")
    (_, w1, c1, _), (_, w2, c2, _) = rows
    print(f"longcot / loop: wall {w1 / w2:.2f}x, cpu {c1 / c2:.2f}x (below 1: longcot is faster)")


if __name__ == "__main__":
    main()
