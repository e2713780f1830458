"""RL step speed and memory on CPU: longcot's trainer against TRL's GRPOTrainer, same run.

Three measurements (issue 13), each against a baseline measured here:

1. **Step time**: longcot ``grpo`` vs TRL 1.16 ``GRPOTrainer`` on the same tiny
   model (the 4.2 M local Qwen2), the same MATH-train prompts, the same batch
   (8 prompts x 4 samples x 64 new tokens, temperature 1), the same reward
   (longcot's, through the TRL adapter for TRL), no KL (TRL's default beta 0),
   one optimiser step per batch. Seconds per step and generated tokens/s,
   steps after the first (warm-up) averaged.
2. **Reward share**: the reward phase's share of longcot's step time.
3. **Memory**: peak resident memory of a per-token log-prob pass at
   SmolLM2-135M, 8 x 512 tokens, chunked (longcot's ``PolicyScorer``) vs the
   full ``(B, T, V)`` float32 logits, each in a fresh subprocess so their
   peaks do not mix; the model's own footprint is measured first and
   subtracted. Three passes: scoring (no grad: the old and reference
   log-probs), training with activation checkpointing, and training with every
   activation kept (there the transformer body's activations dominate both).

    .venv/bin/python benchmarks/rl_speed.py                   # all three, ~5 min on 1 core
    .venv/bin/python benchmarks/rl_speed.py --skip-memory
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "benchmarks"
PROMPTS, SAMPLES, NEW_TOKENS = 8, 4, 64


def prompts_file(data_dir: Path, count: int, path: Path) -> list[dict]:
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark("math_train")
    rows = [
        {"id": ex.id, "prompt": bench.prompt(ex), "gold": ex.gold}
        for ex in bench.load(data_dir, limit=count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def run_longcot(model: Path, data: Path, out: Path, steps: int) -> dict:
    from longcot.config import load_recipe
    from longcot.train.rl import RLTrainer

    recipe_path = out.with_suffix(".yaml")
    recipe_path.write_text(
        f"""
model: {{path: {model}, device: cpu, dtype: float32}}
data: {{source: {data}, shuffle: false}}
rollout: {{prompts_per_step: {PROMPTS}, n: {SAMPLES}, max_new_tokens: {NEW_TOKENS}, temperature: 1.0}}
reward: {{preset: paper, ngram: 40}}
algorithm: {{estimator: grpo, kl_coef: 0.0, whiten_advantages: false, micro_batch_size: 8}}
optim: {{lr: 1.0e-5, warmup_ratio: 0.0}}
run: {{output: {out}, max_steps: {steps}, progress: false, save_rollouts: false}}
"""
    )
    trainer = RLTrainer(load_recipe(recipe_path, command="rl"))
    trainer.train()
    rows = trainer.run.metrics()[1:]  # the first step warms up the grader pool and caches
    step = sum(r["time/step"] for r in rows) / len(rows)
    tokens = sum(r["length/mean"] * r["responses"] for r in rows) / len(rows)
    reward = sum(r["time/reward"] for r in rows) / len(rows)
    return {"s_per_step": step, "tokens_per_s": tokens / step, "reward_share": reward / step}


def run_trl(model: Path, rows: list[dict], out: Path, steps: int) -> dict:
    from datasets import Dataset
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from longcot.adapters.trl import get_reward_func
    from longcot.rewards import RewardSpec

    tokenizer = AutoTokenizer.from_pretrained(model)
    dataset = Dataset.from_dict(
        {"prompt": [r["prompt"] for r in rows], "answer": [str(r["gold"]) for r in rows]}
    )
    times: list[float] = []
    lengths: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            times.append(time.perf_counter() - self.t0)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "completions/mean_length" in logs:
                lengths.append(logs["completions/mean_length"])

    args = GRPOConfig(
        output_dir=str(out),
        per_device_train_batch_size=PROMPTS * SAMPLES,  # counts completions
        num_generations=SAMPLES,
        max_completion_length=NEW_TOKENS,
        temperature=1.0,
        max_steps=steps,
        learning_rate=1e-5,
        bf16=False,
        use_cpu=True,
        report_to=[],
        logging_steps=1,
        save_strategy="no",
        seed=0,
        shuffle_dataset=False,
    )
    spec = RewardSpec(max_length=NEW_TOKENS)
    trainer = GRPOTrainer(
        model=str(model),
        reward_funcs=[get_reward_func(spec, eos_token_ids=[tokenizer.eos_token_id])],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[Clock()],
    )
    trainer.train()
    step = sum(times[1:]) / len(times[1:])
    tokens = (sum(lengths[1:]) / len(lengths[1:])) * PROMPTS * SAMPLES
    return {"s_per_step": step, "tokens_per_s": tokens / step}


MEMORY_CHILD = r"""
import json, resource, sys, contextlib, torch
from longcot.models import resolve_model
from transformers import AutoModelForCausalLM
from longcot.train.rl.scoring import PolicyScorer, SequenceBatch, position_ids
torch.set_num_threads(1)
mode, kind = sys.argv[1], sys.argv[2]   # full|chunked, score|train|train-ckpt
model = AutoModelForCausalLM.from_pretrained(resolve_model("smollm2-135m-instruct"), dtype=torch.float32)
if kind == "train-ckpt":
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    model.train()
g = torch.Generator().manual_seed(0)
ids = torch.randint(0, model.config.vocab_size, (8, 512), generator=g)
mask = torch.ones_like(ids)
batch = SequenceBatch(ids, mask, prompt_width=128)
# Touch the weights and the allocator once, so the baseline is the model's footprint.
with torch.no_grad():
    model(input_ids=ids[:1, :16])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
grad = contextlib.nullcontext() if kind != "score" else torch.no_grad()
with grad:
    if mode == "chunked":
        logp, _ = PolicyScorer(model, chunk=1024)(batch.input_ids, batch.attention_mask, batch.prompt_width)
    else:
        out = model(input_ids=ids, attention_mask=mask, position_ids=position_ids(mask))
        logits = out.logits[:, batch.prompt_width - 1 : -1].float()
        logp = torch.log_softmax(logits, -1).gather(-1, batch.response_ids.unsqueeze(-1)).squeeze(-1)
    if kind != "score":
        logp.sum().backward()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_mb": base / 1024, "peak_mb": peak / 1024}))
"""

MEMORY_CASES = {
    "score": "scoring pass (no grad: old / reference log-probs)",
    "train-ckpt": "training pass, activation checkpointing",
    "train": "training pass, all activations kept",
}


def memory(mode: str, kind: str) -> float:
    """Peak resident memory of one pass above the loaded model's, MB."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, mode, kind],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["peak_mb"] - data["base_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=4, help="steps per trainer (first is warm-up)")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from longcot.tasks.tiny import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tiny"
        build_tiny_model(model, seed=0)
        rows = prompts_file(args.data_dir, PROMPTS * args.steps, tmp / "prompts.jsonl")
        ours = run_longcot(model, tmp / "prompts.jsonl", tmp / "longcot", args.steps)
        theirs = run_trl(model, rows, tmp / "trl", args.steps)
    print(
        f"\nRL step, tiny model, {PROMPTS} prompts x {SAMPLES} samples x {NEW_TOKENS} tokens, 1 core"
    )
    print(f"{'trainer':<26}{'s/step':>10}{'tokens/s':>12}")
    print(f"{'TRL GRPOTrainer':<26}{theirs['s_per_step']:>10.2f}{theirs['tokens_per_s']:>12.0f}")
    print(f"{'longcot rl (grpo)':<26}{ours['s_per_step']:>10.2f}{ours['tokens_per_s']:>12.0f}")
    print(f"speed-up: {theirs['s_per_step'] / ours['s_per_step']:.2f}x per step (target >= 2x)")
    print(f"reward phase: {ours['reward_share']:.1%} of longcot's step time (target <= 2 %)")
    if not args.skip_memory:
        print("\nlog-prob pass, SmolLM2-135M, 8 x 512 tokens, peak RSS above the model's (MB)")
        print(f"{'pass':<52}{'full logits':>12}{'chunked':>10}{'ratio':>8}")
        for kind, label in MEMORY_CASES.items():
            full, chunked = memory("full", kind), memory("chunked", kind)
            print(f"{label:<52}{full:>12.0f}{chunked:>10.0f}{chunked / full:>8.2f}")
        print("target: ratio <= 0.5 where the logits dominate (scoring, checkpointed training);")
        print("with every activation kept, the body's activations dominate both.")


if __name__ == "__main__":
    main()
