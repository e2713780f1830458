"""``longcot sample`` speed on CPU: candidates/s and the share of wall time spent grading, same run.

Workload: the tiny random model (4.2 M parameters, built here) as the teacher,
``--prompts`` arithmetic chains (``arith_train``, chat template) x ``--n``
candidates x ``--max-new-tokens`` tokens, temperature 1.0, the ``hf`` backend
on one torch thread, chunks of 256 candidates, the rule verifier with its
default worker processes. Methods, on one loaded backend:

- ``backend only`` (the baseline): ``backend.generate`` over the same prompts
  in the same chunks: generation alone, nothing graded or written; run before
  and after, and averaged, since other jobs' load drifts;
- ``longcot sample``: ``run_sample`` into a fresh folder: the shared loop
  (generate, grade chunk i while chunk i + 1 generates, append to JSONL) plus
  the by-N derivation, ``sft_n*.jsonl``, ``summary.json``, ``summary.md`` and
  the plot.

Printed: candidates/s of each and their ratio (the cost of grading, writing and
deriving on top of generation), and the grading share: seconds spent inside
the verifier calls (``summary.json`` ``grade_seconds``, which runs in a
second thread beside generation) over the run's wall time. Target: < 5 %.

    .venv/bin/python benchmarks/sample_speed.py                  # ~3 min on 1 core
    .venv/bin/python benchmarks/sample_speed.py --prompts 32 --n 4
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from longcot.config import load_recipe
from longcot.curate import run_sample
from longcot.generate.hf import HFBackend
from longcot.runs import NullProgress
from longcot.tasks.tiny import build_tiny_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--n", type=int, default=8, help="candidates per prompt")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=256, help="candidates per backend call")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = build_tiny_model(tmp / "tiny", seed=0)
        backend = HFBackend(str(model), device="cpu", threads=args.threads)
        recipe = load_recipe(
            None,
            [
                f"model.path={model}",
                "data.source=arith_train",
                f"data.limit={args.prompts}",
                f"rollout.n={args.n}",
                "rollout.temperature=1.0",
                "rollout.top_p=1.0",
                f"rollout.max_new_tokens={args.max_new_tokens}",
                f"curate.chunk_completions={args.chunk}",
                f"run.output={tmp / 'run'}",
                "run.progress=false",
            ],
            command="sample",
        )
        # Warm-up: one small call, and the verifier's worker processes started and
        # used once (as a long run has them), so neither method pays first-call costs.
        from longcot.curate import load_items
        from longcot.generate.types import SamplingParams
        from longcot.verify import grade_many

        backend.generate(["warm up"], SamplingParams(n=2, max_new_tokens=4))
        t0 = time.perf_counter()
        grade_many([{"response": r"\boxed{1}", "gold": "1"}] * 4)
        pool_start = time.perf_counter() - t0

        items = load_items(recipe.data, recipe.curate, task="math")
        prompts = [item.prompt for item in items]
        per_call = max(1, args.chunk // args.n)
        params = SamplingParams(
            n=args.n, temperature=1.0, top_p=1.0, max_new_tokens=args.max_new_tokens, seed=0
        )

        def backend_only() -> tuple[int, float]:
            t0 = time.perf_counter()
            count = 0
            for start in range(0, len(prompts), per_call):
                out = backend.generate(prompts[start : start + per_call], params)
                count += sum(len(group) for group in out)
            return count, time.perf_counter() - t0

        # Baseline before and after, averaged: the machine's load drifts during a run.
        candidates, before = backend_only()
        t0 = time.perf_counter()
        result = run_sample(recipe, backend=backend, progress=NullProgress())
        wall = time.perf_counter() - t0
        _, after = backend_only()
        raw_seconds = (before + after) / 2
        s = result.summary
        backend.close()

    raw_rate = candidates / raw_seconds
    rate = s["generated"] / wall
    share = s["grade_seconds"] / wall
    print(
        f"workload: {args.prompts} prompts x {args.n} candidates x {args.max_new_tokens} tokens, "
        f"tiny model, hf backend, {args.threads} thread(s), chunks of {args.chunk}"
    )
    print(f"{'method':<16} {'candidates':>10} {'seconds':>8} {'candidates/s':>13}")
    print(
        f"{'backend only':<16} {candidates:>10} {raw_seconds:>8.2f} {raw_rate:>13.1f}"
        f"   (runs of {before:.2f} s before and {after:.2f} s after)"
    )
    print(f"{'longcot sample':<16} {s['generated']:>10} {wall:>8.2f} {rate:>13.1f}")
    print(f"ratio longcot sample / backend only: {rate / raw_rate:.2f}x")
    print(
        f"longcot sample's {wall:.2f} s: {s['seconds']:.2f} s in the loop (generate, grade, "
        f"append), {wall - s['seconds']:.2f} s reading prompts and writing datasets, summary, plot"
    )
    print(
        f"grading: {s['grade_seconds']:.2f} s inside the verifier of {wall:.2f} s wall "
        f"= {100 * share:.1f} % (target < 5 %)"
    )
    print(
        f"the verifier's worker processes took {pool_start:.2f} s to start before timing "
        "(longcot sample starts them while the teacher loads)"
    )
    print(f"statuses: {s['status']}")


if __name__ == "__main__":
    main()
