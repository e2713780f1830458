"""Speed of the dense repetition penalty against a pure-Python baseline, same run.

The paper's batch is 512 responses of up to 14,336 tokens (§4.5, 16K
context). Responses are random token ids with pasted copies of earlier spans
(the loops degenerate policies fall into), plus a few fully degenerate ones
(one token repeated, a short period), which are the slowest inputs for any
method that must confirm its matches.

    .venv/bin/python benchmarks/repetition_speed.py               # full batch
    .venv/bin/python benchmarks/repetition_speed.py --responses 64  # quick look

Prints tokens/s for ``longcot.rewards.repetition_penalty`` and for
``repetition_penalty_reference`` (a set of n-gram tuples, the obvious Python
implementation), and their ratio. The baseline runs on the first
``--baseline-responses`` responses only, to keep the run short; both are
checked to give identical arrays there. Target: >= 5 M tokens/s on one core.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from longcot.rewards import repetition_penalty, repetition_penalty_reference


def make_batch(responses: int, length: int, vocab: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    batch = []
    for i in range(responses):
        if i % 64 == 1:
            ids = np.full(length, 42, dtype=np.int64)  # one token forever
        elif i % 64 == 2:
            ids = np.tile(rng.integers(0, vocab, 7), length // 7 + 1)[:length]  # period 7
        else:
            ids = rng.integers(0, vocab, length)
            for _ in range(30):  # ~30 pasted spans of 40..400 tokens
                size = int(rng.integers(40, 400))
                src, dst = rng.integers(0, length - size, 2)
                ids[dst : dst + size] = ids[src : src + size].copy()
        batch.append(ids)
    return batch


def timed(fn, batch) -> tuple[float, list]:
    start = time.perf_counter()
    out = [fn(ids) for ids in batch]
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--responses", type=int, default=512)
    ap.add_argument("--length", type=int, default=14336, help="tokens per response")
    ap.add_argument("--ngram", type=int, default=40)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--baseline-responses", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3, help="best of N timings of the fast path")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    batch = make_batch(args.responses, args.length, args.vocab, args.seed)
    tokens = args.responses * args.length

    def fast(ids):
        return repetition_penalty(ids, ngram=args.ngram)

    def slow(ids):
        return repetition_penalty_reference(ids.tolist(), ngram=args.ngram)

    fast(batch[0])  # warm caches (powers of the hash base)
    fast_s = min(timed(fast, batch)[0] for _ in range(args.repeats))
    sub = batch[: args.baseline_responses]
    sub_tokens = sum(len(ids) for ids in sub)
    slow_s, slow_out = timed(slow, sub)
    fast_sub_s, fast_out = timed(fast, sub)
    for a, b in zip(fast_out, slow_out, strict=True):
        if a.tolist() != b:
            raise SystemExit("MISMATCH between fast and reference outputs")
    repeated = sum(int((out < 0).sum()) for out in fast_out) / sub_tokens

    fast_tps = tokens / fast_s
    slow_tps = sub_tokens / slow_s
    print(f"batch: {args.responses} x {args.length} tokens, n={args.ngram}, vocab {args.vocab}")
    print(f"repeated-token fraction (baseline subset): {repeated:.3f}")
    print(
        f"longcot repetition_penalty : {fast_tps / 1e6:8.2f} M tokens/s ({fast_s:.3f} s for the batch)"
    )
    print(
        f"pure-Python reference      : {slow_tps / 1e6:8.2f} M tokens/s ({args.baseline_responses} responses)"
    )
    print(f"speed-up, same subset      : {slow_s / fast_sub_s:8.1f}x")
    verdict = "met" if fast_tps >= 5e6 else "NOT met"
    print(f"target >= 5 M tokens/s     : {verdict}")


if __name__ == "__main__":
    main()
