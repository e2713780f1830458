"""Load test of ``longcot serve-reward`` on loopback, with an in-process baseline.

Starts the reward server in this process on 127.0.0.1 (a free port; nothing
else is ever contacted), then runs ``--clients`` concurrent clients that each
send ``--requests`` OpenRLHF-style requests of ``--batch`` MATH-500 responses
(the reference solutions, a quarter of them paired with another problem's
answer so both grading paths run). The server counts tokens with a tiny
tokenizer built locally (``longcot.tasks.tiny``), as it would with
``--tokenizer``.

    .venv/bin/python benchmarks/reward_server_load.py                # 50 x 20 x 16
    .venv/bin/python benchmarks/reward_server_load.py --clients 8 --requests 5

Prints requests/s, p50/p99 latency, errors and dropped requests (target: 0 and
0), and the ratio to the baseline: the same batches scored by calling
``score_queries`` directly in one thread, no HTTP (``--baseline-batches`` of
them). ``--time-limit`` bounds the run: clients stop sending past it, and
requests not sent are reported, not hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from longcot.adapters.common import load_tokenizer
from longcot.adapters.openrlhf import score_queries
from longcot.adapters.openrlhf_server import create_app
from longcot.benchmarks import get_benchmark
from longcot.rewards import RewardSpec
from longcot.tasks.tiny import build_tiny_model

ROOT = Path(__file__).resolve().parents[1]


def make_batches(data: str, n_batches: int, batch: int, seed: int) -> list[dict]:
    examples = get_benchmark("math500").load(data)
    rng = random.Random(seed)
    prompt_tpl = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"
    out = []
    for _ in range(n_batches):
        picks = rng.sample(examples, batch)
        prompts = [prompt_tpl.format(q=ex.question) for ex in picks]
        queries = [
            p + ex.meta["solution"] + "<|im_end|>" for p, ex in zip(prompts, picks, strict=True)
        ]
        labels = [ex.gold if rng.random() < 0.75 else rng.choice(examples).gold for ex in picks]
        out.append({"query": queries, "prompts": prompts, "labels": labels})
    return out


def start_server(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # loopback only, port chosen by the OS
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("server failed to start")
        time.sleep(0.02)
    return server, thread, f"http://{host}:{port}"


async def run_clients(url: str, batches: list[dict], clients: int, requests: int, deadline: float):
    latencies: list[float] = []
    errors: list[str] = []
    not_sent = 0

    async def client(k: int, http: httpx.AsyncClient) -> None:
        nonlocal not_sent
        for j in range(requests):
            if time.monotonic() > deadline:
                not_sent += requests - j
                return
            payload = batches[(k * requests + j) % len(batches)]
            start = time.perf_counter()
            try:
                r = await http.post("/get_reward", json=payload)
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}: {r.text[:120]}")
                elif len(r.json()["rewards"]) != len(payload["query"]):
                    errors.append("wrong number of rewards")
                else:
                    latencies.append(time.perf_counter() - start)
            except httpx.HTTPError as e:
                errors.append(f"{type(e).__name__}: {e}")

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    return latencies, errors, not_sent


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20, help="requests per client")
    ap.add_argument("--batch", type=int, default=16, help="responses per request")
    ap.add_argument("--max-concurrency", type=int, default=4, help="server: batches graded at once")
    ap.add_argument("--baseline-batches", type=int, default=40)
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds; stop sending after")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "benchmarks"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    total = args.clients * args.requests
    batches = make_batches(args.data, min(total, 200), args.batch, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = load_tokenizer(str(build_tiny_model(Path(tmp) / "tiny", seed=0)))
    spec = RewardSpec.from_yaml(ROOT / "recipes" / "rewards_paper.yaml")

    # Baseline: the same scoring called directly, one batch at a time (also warms the grader pool).
    score_queries(spec, **_kw(batches[0]), tokenizer=tokenizer)
    start = time.perf_counter()
    for b in batches[: args.baseline_batches]:
        score_queries(spec, **_kw(b), tokenizer=tokenizer)
    base_s = time.perf_counter() - start
    base_rps = min(args.baseline_batches, len(batches)) / base_s

    app = create_app(
        spec, tokenizer=tokenizer, max_concurrency=args.max_concurrency, max_pending=args.clients
    )
    server, thread, url = start_server(app)
    try:
        start = time.perf_counter()
        deadline = time.monotonic() + args.time_limit
        latencies, errors, not_sent = asyncio.run(
            run_clients(url, batches, args.clients, args.requests, deadline)
        )
        wall = time.perf_counter() - start
    finally:
        server.should_exit = True
        thread.join(timeout=30)

    done = len(latencies)
    q = statistics.quantiles(latencies, n=100) if done >= 2 else [float("nan")] * 99
    rps = done / wall
    print(
        f"load: {args.clients} clients x {args.requests} requests x {args.batch} MATH-500 responses, loopback"
    )
    print(
        f"answered {done}/{total} in {wall:.1f} s; errors {len(errors)}; not sent (time limit) {not_sent}"
    )
    print(f"server      : {rps:7.2f} requests/s ({rps * args.batch:7.1f} responses/s)")
    print(f"latency     : p50 {q[49] * 1e3:7.0f} ms, p99 {q[98] * 1e3:7.0f} ms")
    print(
        f"baseline    : {base_rps:7.2f} batches/s (score_queries in-process, one thread, no HTTP)"
    )
    print(f"ratio       : {rps / base_rps:7.2f}x server vs baseline")
    for e in errors[:5]:
        print("  error:", e)
    ok = not errors and not not_sent and done == total
    print("target 0 errors, nothing dropped:", "met" if ok else "NOT met")


def _kw(batch: dict) -> dict:
    return {"queries": batch["query"], "prompts": batch["prompts"], "labels": batch["labels"]}


if __name__ == "__main__":
    main()
