"""Can the demo model learn the arithmetic task on one CPU core, and how fast? (issue 15)

Trains the demo model (``longcot.tasks.demo_model``, a 0.21 M-parameter
transformers Llama) from nothing with a plain, minimal torch loop, on long-CoT
and on short-CoT traces of ``arith_train``, then evaluates each on the
held-out ``arith`` split with ``longcot.generate``'s ``hf`` backend and
``longcot.verify.grade_many``: greedy accuracy, sampled (T = 1, top-p 1)
accuracy, response length, reflection keyword rates, and the share of "Wait"s
that follow a real slip (``longcot.tasks.writers.audit``).

The loop: AdamW (betas 0.9/0.95, no weight decay), a fixed number of steps
(``longcot.tasks.demo_model.DEMO_SFT`` by default), the lr schedule of
``SFTSettings.lr_at`` (linear warm-up over 5 %, then a cosine down to 10 %),
gradient norm clipped at 1, batches drawn from length buckets (shuffle, sort
chunks of 32 batches by length, cut, shuffle the batches), right padding
without an attention mask (causal attention never looks ahead at the
padding), loss on the reply and its ``<|im_end|>`` only (what the chat
template's ``{% generation %}`` marks). One torch thread per run;
``--jobs 2`` runs two (arm, seed) units at once, one per core.

Time is CPU time of the training steps (``time.process_time``), so that other
work on a shared machine does not count; wall time is printed beside it.

Baselines in the same run: the untrained model (chance is 10 % for answers
0–9); per arm, time and trace length against the short arm; with
``--trl-steps N``, TRL's ``SFTTrainer`` on the same model, data and batch
size, timed per step, against the plain loop.

    .venv/bin/python benchmarks/demo_feasibility.py --jobs 2 --trl-steps 100   # ~5 min
    .venv/bin/python benchmarks/demo_feasibility.py --seeds 0,1,2,3,4 --jobs 2 # seed spread
    .venv/bin/python benchmarks/demo_feasibility.py --arms short --short-steps 1500 --eval-every 250

The settings it defaults to, the measurements that chose them and what else
was tried are in ``longcot.tasks.demo_model``'s docstring. Measured
2026-12-01 with the first command on an otherwise idle 2-core machine: long
147.5 s of CPU (148.7 s wall) -> greedy 100 %, sampled 67.4 %; short 76.3 s
-> 99.8 %, 99.8 %; TRL's SFTTrainer 1.52x (long) and 1.41x (short) the plain
loop's CPU per step; long / short: 2.51x the reply tokens, 1.61x the CPU per
step, 1.93x per run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace

import torch

from longcot.benchmarks import get_benchmark
from longcot.generate.hf import HFBackend
from longcot.generate.types import SamplingParams
from longcot.reflection import reflection_stats
from longcot.tasks.demo_model import DEMO_SFT, DemoModelSpec, SFTSettings, build_demo_model
from longcot.tasks.synthetic import solution
from longcot.tasks.writers import audit
from longcot.verify import grade_many


@dataclass(frozen=True)
class Unit:
    """One training run: a trace style, its settings, a seed."""

    style: str
    sft: SFTSettings
    seed: int


@dataclass
class Eval:
    greedy: float
    sampled: float
    greedy_tokens: float
    sampled_tokens: float
    sampled_truncated: float
    wait_rate: float
    """Share of sampled responses saying "wait" at least once."""
    branching_rate: float
    """Share of sampled responses with "alternatively,"."""
    earned_waits: float
    """Share of sampled "Wait"s that follow a step that was really wrong."""
    seconds: float


def encode(tokenizer, examples, style: str) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) per example; labels are -100 outside the reply and its end token."""
    out = []
    for ex in examples:
        messages = [
            {"role": "user", "content": ex.question},
            {"role": "assistant", "content": solution(ex, style)},
        ]
        enc = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids, mask = list(enc["input_ids"]), list(enc["assistant_masks"])
        end = max(i for i, m in enumerate(mask) if m) + 1  # drop the newline after <|im_end|>
        labels = [t if m else -100 for t, m in zip(ids[:end], mask[:end], strict=True)]
        out.append((ids[:end], labels))
    return out


def bucketed_batches(data, batch: int, rng: random.Random, chunk: int = 32):
    """An endless stream of batches (index lists) of similar lengths."""
    while True:
        order = list(range(len(data)))
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), batch * chunk):
            part = sorted(order[start : start + batch * chunk], key=lambda i: len(data[i][0]))
            batches += [part[i : i + batch] for i in range(0, len(part), batch)]
        rng.shuffle(batches)
        yield from (b for b in batches if len(b) == batch)


def collate(data, idx: list[int], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(data[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), width), -100, dtype=torch.long)
    for row, i in enumerate(idx):
        x, y = data[i]
        ids[row, : len(x)] = torch.tensor(x)
        labels[row, : len(y)] = torch.tensor(y)
    return ids, labels


def evaluate(model, tokenizer, test, *, samples: int, max_new: int, seed: int) -> Eval:
    start = time.perf_counter()
    bench = get_benchmark("arith")
    backend = HFBackend(model, tokenizer, threads=1)
    prompts = [bench.prompt(ex) for ex in test]
    greedy = backend.generate(prompts, SamplingParams(temperature=0, max_new_tokens=max_new))
    sampled = backend.generate(
        prompts,
        SamplingParams(n=samples, temperature=1.0, top_p=1.0, max_new_tokens=max_new, seed=seed),
    )
    g = [cs[0] for cs in greedy]
    s = [c for cs in sampled for c in cs]
    golds = [ex.gold for ex in test] + [ex.gold for ex in test for _ in range(samples)]
    items = [{"response": c.text, "gold": y} for c, y in zip(g + s, golds, strict=True)]
    correct = [v.correct for v in grade_many(items)]
    stats = reflection_stats(c.text for c in s)
    audits = [audit(c.text) for c in s]
    waits = sum(a.waits for a in audits)
    return Eval(
        greedy=statistics.mean(correct[: len(g)]),
        sampled=statistics.mean(correct[len(g) :]),
        greedy_tokens=statistics.mean(c.completion_tokens for c in g),
        sampled_tokens=statistics.mean(c.completion_tokens for c in s),
        sampled_truncated=statistics.mean(c.truncated for c in s),
        wait_rate=stats["wait"]["rate"],
        branching_rate=stats["branching"]["rate"],
        earned_waits=sum(a.earned_waits for a in audits) / waits if waits else float("nan"),
        seconds=time.perf_counter() - start,
    )


def fresh_model(seed: int):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = build_demo_model(tempfile.mkdtemp(prefix="demo-model-"), DemoModelSpec(seed=seed))
    return AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def train_unit(unit: Unit, args: argparse.Namespace) -> dict:
    """Train one (style, settings, seed) from nothing, evaluate it; a picklable result dict."""
    torch.set_num_threads(1)
    tag = f"[{unit.style} seed {unit.seed}]"
    test = get_benchmark("arith").load(limit=args.test_size)
    train = get_benchmark("arith_train").with_options(size=args.train_size).load()
    model, tokenizer = fresh_model(unit.seed)
    data = encode(tokenizer, train, unit.style)
    trace_tokens = statistics.mean(sum(y != -100 for y in labels) for _, labels in data)
    sft = unit.sft
    opt = torch.optim.AdamW(
        model.parameters(), lr=sft.lr, betas=(0.9, 0.95), weight_decay=args.weight_decay
    )
    batches = bucketed_batches(data, sft.batch, random.Random(unit.seed))
    curve = []
    wall = cpu = 0.0
    model.train()
    for step in range(sft.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        ids, labels = collate(data, next(batches), tokenizer.pad_token_id)
        for group in opt.param_groups:
            group["lr"] = sft.lr_at(step)
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), sft.grad_clip)
        opt.step()
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        done = step + 1
        if done % 250 == 0 or done == sft.steps:
            print(
                f"{tag} step {done}/{sft.steps} loss {loss.item():.3f} cpu {cpu:.0f} s", flush=True
            )
        if args.eval_every and done % args.eval_every == 0 and done < sft.steps:
            e = evaluate(
                model,
                tokenizer,
                test[: args.curve_problems],
                samples=1,
                max_new=args.max_new,
                seed=unit.seed,
            )
            model.train()  # the backend switched it to eval mode
            curve.append({"step": done, "cpu_seconds": round(cpu, 1), **asdict(e)})
            print(f"{tag}   at {done}: greedy {e.greedy:.1%} sampled {e.sampled:.1%}", flush=True)
    final = evaluate(
        model, tokenizer, test, samples=args.samples, max_new=args.max_new, seed=unit.seed
    )
    result = {
        "style": unit.style,
        "seed": unit.seed,
        "sft": asdict(sft),
        "trace_tokens": trace_tokens,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "cpu_seconds_per_step": cpu / sft.steps,
        "final": asdict(final),
        "curve": curve,
    }
    if args.trl_steps:
        result["trl_cpu_seconds_per_step"] = trl_seconds_per_step(unit, train, args.trl_steps)
    return result


def trl_seconds_per_step(unit: Unit, train, steps: int) -> float:
    """CPU seconds per step of TRL's ``SFTTrainer`` on the same model, data and batch size.

    The real ``longcot sft`` runs on SFTTrainer; this measures what its
    collation, hooks and per-step metrics cost on top of the plain loop.
    Steps are timed between ``on_step_end`` calls, after two warm-up steps.
    """
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    model, tokenizer = fresh_model(unit.seed)
    sft = unit.sft
    messages = [
        [
            {"role": "user", "content": ex.question},
            {"role": "assistant", "content": solution(ex, unit.style)},
        ]
        for ex in train[: sft.batch * (steps + 2)]
    ]
    marks: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, *_args, **_kwargs):
            marks.append(time.process_time())

    config = SFTConfig(
        output_dir=tempfile.mkdtemp(prefix="demo-sft-"),
        per_device_train_batch_size=sft.batch,
        max_steps=steps + 2,
        learning_rate=sft.lr,
        adam_beta2=0.95,
        max_grad_norm=sft.grad_clip,
        lr_scheduler_type="cosine",
        warmup_steps=1,
        assistant_only_loss=True,
        train_sampling_strategy="group_by_length",
        bf16=False,
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        logging_steps=10_000,
        disable_tqdm=True,
        seed=unit.seed,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_dict({"messages": messages}),
        processing_class=tokenizer,
        callbacks=[Clock()],
    )
    trainer.train()
    return (marks[-1] - marks[1]) / (len(marks) - 2)


def _spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def print_report(results: list[dict], untrained: Eval) -> None:
    print(f"\nuntrained model: greedy {untrained.greedy:.1%} on 100 problems (chance 10%)")
    head = (
        f"{'arm':6} {'seed':>4} {'steps':>6} {'batch':>5} {'lr':>7} {'tokens':>6} {'cpu s':>6} "
        f"{'wall s':>6} {'greedy':>7} {'sampled':>7} {'len T=1':>7} {'wait':>5} {'alt,':>5} "
        f"{'earned':>6} {'TRL x':>5}"
    )
    print(head)
    for r in results:
        f, s = r["final"], r["sft"]
        trl = r.get("trl_cpu_seconds_per_step")
        trl_x = f"{trl / r['cpu_seconds_per_step']:.2f}" if trl else "-"
        print(
            f"{r['style']:6} {r['seed']:>4} {s['steps']:>6} {s['batch']:>5} {s['lr']:>7.1e} "
            f"{r['trace_tokens']:>6.1f} {r['cpu_seconds']:>6.1f} {r['wall_seconds']:>6.1f} "
            f"{f['greedy']:>7.1%} {f['sampled']:>7.1%} {f['sampled_tokens']:>7.1f} "
            f"{f['wait_rate']:>5.2f} {f['branching_rate']:>5.2f} {f['earned_waits']:>6.2f} {trl_x:>5}"
        )
    by_style: dict[str, list[dict]] = {}
    for r in results:
        by_style.setdefault(r["style"], []).append(r)
    print("\nover seeds: mean (min–max)")
    for style, rs in by_style.items():
        print(
            f"  {style}: greedy {_spread([r['final']['greedy'] * 100 for r in rs], '.1f')} %, "
            f"sampled {_spread([r['final']['sampled'] * 100 for r in rs], '.1f')} %, "
            f"{_spread([r['cpu_seconds'] for r in rs], '.0f')} s of CPU"
        )
    if "long" in by_style and "short" in by_style:
        lg, sh = by_style["long"], by_style["short"]
        mean = statistics.mean
        print(
            f"long / short: trace tokens "
            f"{mean(r['trace_tokens'] for r in lg) / mean(r['trace_tokens'] for r in sh):.2f}x, "
            f"CPU per step {mean(r['cpu_seconds_per_step'] for r in lg) / mean(r['cpu_seconds_per_step'] for r in sh):.2f}x, "
            f"CPU per run {mean(r['cpu_seconds'] for r in lg) / mean(r['cpu_seconds'] for r in sh):.2f}x"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arms", default="long,short", help="comma-separated: long, short")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (model init, batch order)")
    p.add_argument("--jobs", type=int, default=1, help="(arm, seed) runs at once, one thread each")
    for style in ("long", "short"):
        d = DEMO_SFT[style]
        p.add_argument(f"--{style}-steps", type=int, default=d.steps)
        p.add_argument(f"--{style}-lr", type=float, default=d.lr)
        p.add_argument(f"--{style}-batch", type=int, default=d.batch, help="sequences per step")
        p.add_argument(f"--{style}-decay", type=float, default=d.decay, help="decay share")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--train-size", type=int, default=20_000)
    p.add_argument("--test-size", type=int, default=500)
    p.add_argument("--samples", type=int, default=2, help="sampled completions per test problem")
    p.add_argument("--max-new", type=int, default=256)
    p.add_argument("--eval-every", type=int, default=0, help="steps between curve points (0: none)")
    p.add_argument("--curve-problems", type=int, default=200)
    p.add_argument("--trl-steps", type=int, default=0, help="also time TRL's SFTTrainer (steps)")
    p.add_argument("--json", help="write every result to this JSON file")
    args = p.parse_args()
    torch.set_num_threads(1)

    units = [
        Unit(
            style,
            replace(
                DEMO_SFT[style],
                steps=getattr(args, f"{style}_steps"),
                lr=getattr(args, f"{style}_lr"),
                batch=getattr(args, f"{style}_batch"),
                decay=getattr(args, f"{style}_decay"),
            ),
            int(seed),
        )
        for seed in args.seeds.split(",")
        for style in args.arms.split(",")
    ]
    test = get_benchmark("arith").load(limit=100)
    untrained = evaluate(*fresh_model(0), test, samples=1, max_new=32, seed=0)
    if args.jobs > 1:
        # spawn, not fork: the parent already runs torch and the grader pool's threads.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
            results = list(pool.map(train_unit, units, [args] * len(units)))
    else:
        results = [train_unit(u, args) for u in units]
    print_report(results, untrained)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"args": vars(args), "untrained": asdict(untrained), "runs": results}, f, indent=1
            )


if __name__ == "__main__":
    main()
