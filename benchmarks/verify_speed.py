"""Verifier throughput: longcot.verify.grade_many vs a plain Math-Verify loop.

Grades every MATH-500 reference solution against its own answer, and the
same number of mismatched pairs (solution i against answer i+1), twice in the
same run:

1. baseline: a plain loop of ``math_verify.parse`` / ``verify`` with their
   default settings, as TRL's accuracy reward and most scripts call them;
2. ``grade_many`` on 2 worker processes (started and warmed before timing).

Prints items/s for both, the ratio, and agreement on every item where the
baseline is right (truth: matched pairs are equal; a mismatched pair is equal
only if Math-Verify says its two answer strings are).

The two are timed ``--repeats`` times, interleaved, and each keeps its best
time: on a machine whose load changes from second to second (several people
share this one's two cores), one run of each can land on a busy and a quiet
moment. Every run is printed, and every run is cold: Math-Verify's parse
caches are cleared before each baseline run and the grader pool is replaced
(started and warmed, untimed) before each of ours, since a repeat of the same
items would otherwise be served from caches that real, unique responses
never hit.

Each run also records CPU seconds: the loop's own, and the grader's (the
parent's plus every worker's, read from ``/proc``). Their ratio does not
depend on what else the machine runs, so it tells a slower grader from a
busier machine; the wall-clock ratio is the one the target is set on.

    .venv/bin/python benchmarks/verify_speed.py [--data DIR] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from math_verify import parse, verify
from math_verify import parser as mv_parser

from longcot.verify import GraderPool, grade_many, grading, shared_pool

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "benchmarks"


def load_pairs(data: Path) -> tuple[list[dict], list[bool]]:
    rows = [json.loads(line) for line in (data / "math500" / "test.jsonl").open()]
    items, truth = [], []
    for r in rows:
        items.append({"response": r["solution"], "gold": r["answer"]})
        truth.append(True)
    for i, r in enumerate(rows):
        other = rows[(i + 1) % len(rows)]["answer"]
        items.append({"response": r["solution"], "gold": other})
        truth.append(verify(gold=parse(f"${other}$"), target=parse(f"${r['answer']}$")))
    return items, truth


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the given processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def plain_loop(items: list[dict]) -> list[bool]:
    return [verify(gold=parse(f"${it['gold']}$"), target=parse(it["response"])) for it in items]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("LONGCOT_DATA", DEFAULT_DATA)))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved timed runs of each")
    args = ap.parse_args()
    logging.getLogger("math_verify").setLevel(logging.ERROR)

    items, truth = load_pairs(args.data)
    print(
        f"{len(items)} items: {len(items) // 2} matched + {len(items) // 2} mismatched MATH-500 pairs"
    )

    base_times, our_times, base_cpu, our_cpu = [], [], [], []
    for run in range(args.repeats):
        mv_parser.parse_latex_cached.cache_clear()
        mv_parser.parse_expr_cached.cache_clear()
        t0, c0 = time.perf_counter(), time.process_time()
        baseline = plain_loop(items)
        base_times.append(time.perf_counter() - t0)
        base_cpu.append(time.process_time() - c0)

        grading._close_shared()  # a fresh pool: cold caches in the workers
        t0 = time.perf_counter()
        pool: GraderPool = shared_pool(args.workers)
        warm_up = [{"response": "\\boxed{x+1}", "gold": "1+x"}] * (4 * args.workers)
        grade_many(warm_up, workers=args.workers)
        t_start = time.perf_counter() - t0

        pids = pool.pids()
        t0, c0, w0 = time.perf_counter(), time.process_time(), cpu_seconds(pids)
        verdicts = grade_many(items, workers=args.workers)
        our_times.append(time.perf_counter() - t0)
        our_cpu.append(time.process_time() - c0 + cpu_seconds(pids) - w0)
        print(
            f"run {run + 1}: plain loop {base_times[-1]:.2f}s ({base_cpu[-1]:.2f} CPU s), "
            f"grade_many {our_times[-1]:.2f}s ({our_cpu[-1]:.2f} CPU s): "
            f"{base_times[-1] / our_times[-1]:.1f}x wall, {base_cpu[-1] / our_cpu[-1]:.1f}x CPU"
        )
    t_base, t_ours = min(base_times), min(our_times)

    ours = [v.correct for v in verdicts]
    base_right = [i for i, (b, t) in enumerate(zip(baseline, truth, strict=True)) if b == t]
    disagree = [i for i in base_right if ours[i] != baseline[i]]
    ours_right = sum(o == t for o, t in zip(ours, truth, strict=True))

    rate_base, rate_ours = len(items) / t_base, len(items) / t_ours
    print(f"{'':28}{'items/s':>10}{'seconds':>10}{'right':>8}")
    print(f"{'plain Math-Verify loop':28}{rate_base:>10.0f}{t_base:>10.2f}{len(base_right):>8}")
    print(
        f"{f'grade_many, {pool.size} workers':28}{rate_ours:>10.0f}{t_ours:>10.2f}{ours_right:>8}"
    )
    print(
        f"speed-up: {rate_ours / rate_base:.1f}x, best of {args.repeats} runs each "
        f"(pool start-up, not timed: {t_start:.1f}s)"
    )
    print(
        f"CPU seconds, best of {args.repeats}: plain loop {min(base_cpu):.2f}, "
        f"grader (parent + workers) {min(our_cpu):.2f}: {min(base_cpu) / min(our_cpu):.1f}x less"
    )
    print(
        f"agreement where the plain loop is right: {len(base_right) - len(disagree)}/{len(base_right)}"
    )
    for i in disagree[:10]:
        print("  disagree:", items[i]["gold"], "|", verdicts[i])
    statuses = {}
    for v in verdicts:
        statuses[v.reason] = statuses.get(v.reason, 0) + 1
    print(
        "decided by:",
        ", ".join(f"{k} {n}" for k, n in sorted(statuses.items(), key=lambda x: -x[1])),
    )


if __name__ == "__main__":
    main()
