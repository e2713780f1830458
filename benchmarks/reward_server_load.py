"""Load test of ``longcot serve-reward`` on loopback, against in-process scoring in the same run.

Starts ``longcot serve-reward`` as its own process on 127.0.0.1 (a free port;
nothing else is ever contacted), with a tiny tokenizer built locally
(``longcot.tasks.tiny``) and the paper's reward settings, then sends MATH-500
reference solutions (a quarter paired with another problem's answer, so both
grading paths run), in one or both patterns:

- ``openrlhf``: OpenRLHF 0.11's pattern. ``--requests`` (4,096) one-sample
  requests, all started at once, each sent by **OpenRLHF's own client code**
  (``SingleTurnAgentExecutor._fetch_rewards_via_http`` from OpenRLHF 0.11.2,
  installed by ``tests/peers/install.py``): a new connection per request, 5
  tries 1 s apart, ``Retry-After`` ignored, and no reward after the fifth
  failure. Reports lost rewards (target 0), the server's 503s, p50/p99
  latency per sample and responses/s.
- ``batched``: ``--clients`` concurrent clients sending ``--batch``-response
  requests back to back (any HTTP client that batches).

Baseline, same run, same samples: ``score_requests`` called in this process
(no HTTP) in batches of ``--max-batch-items``, and one sample per call (what
grading each OpenRLHF request alone would cost). Prints ratios to both.

    .venv/bin/python benchmarks/reward_server_load.py                       # both patterns
    .venv/bin/python benchmarks/reward_server_load.py --pattern openrlhf --requests 1024
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.progress import Progress

from longcot.adapters.common import load_tokenizer
from longcot.adapters.openrlhf import QueryBatch, score_requests
from longcot.benchmarks import get_benchmark
from longcot.commands.serve_reward import raise_open_file_limit
from longcot.rewards import RewardSpec
from longcot.tasks.tiny import build_tiny_model

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "rewards_paper.yaml"
MAX_LENGTH = 14336  # the paper's generation budget; every solution here finishes (<|im_end|>)
PROMPT = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def make_samples(data: str, n: int, seed: int) -> list[tuple[str, str, str]]:
    """``n`` (query, prompt, label) triples, as OpenRLHF would send them."""
    examples = get_benchmark("math500").load(data)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ex = rng.choice(examples)
        prompt = PROMPT.format(q=ex.question)
        label = ex.gold if rng.random() < 0.75 else rng.choice(examples).gold
        out.append((prompt + ex.meta["solution"] + "<|im_end|>", prompt, label))
    return out


def in_process(spec, tokenizer, samples, batch: int) -> tuple[float, float]:
    """``(wall seconds, CPU seconds)`` to score ``samples`` with ``score_requests``,
    ``batch`` samples a call; CPU counts this process and its grader workers."""
    start, cpu = time.perf_counter(), cpu_seconds(os.getpid())
    for i in range(0, len(samples), batch):
        chunk = samples[i : i + batch]
        calls = [QueryBatch([q], [lab], [p]) for q, p, lab in chunk]
        score_requests(spec, calls, tokenizer=tokenizer)
    return time.perf_counter() - start, cpu_seconds(os.getpid()) - cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    tokenizer_dir: Path, port: int, max_batch_items: int, log: Path
) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-c",
        "from longcot.cli import main; raise SystemExit(main())",
        "serve-reward",
        "--config",
        str(RECIPE),
        "--max-length",
        str(MAX_LENGTH),
        "--tokenizer",
        str(tokenizer_dir),
        "--port",
        str(port),
        "--max-batch-items",
        str(max_batch_items),
    ]
    with open(log, "w") as fh:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve-reward exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve-reward did not start within 180 s")


def openrlhf_client():
    """OpenRLHF 0.11.2's remote reward client (its package from the peer install)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from peers.install import ensure

    sys.path.append(str(ensure()))  # appended: the venv's own packages keep precedence
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    return SingleTurnAgentExecutor


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (grader workers)."""
    import psutil

    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


async def openrlhf_pattern(url: str, samples, executor_cls) -> dict:
    """Every sample as its own request, all at once, through OpenRLHF's client."""
    executor = executor_cls(remote_rm_url=[url])
    latencies: list[float] = []
    lost: list[str] = []

    async def one(sample, progress, task) -> None:
        query, prompt, label = sample
        start = time.perf_counter()
        try:
            (reply,) = await executor._fetch_rewards_via_http([query], [prompt], [label])
            if len(reply["rewards"]) != 1:
                lost.append(f"{len(reply['rewards'])} rewards for one sample")
            else:
                latencies.append(time.perf_counter() - start)
        except Exception as e:  # OpenRLHF records no reward after its 5 tries
            lost.append(f"{type(e).__name__}: {e}")
        progress.advance(task)

    with Progress(transient=True) as progress:
        task = progress.add_task("openrlhf pattern", total=len(samples))
        start = time.perf_counter()
        await asyncio.gather(*(one(s, progress, task) for s in samples))
        wall = time.perf_counter() - start
    return {"latencies": latencies, "lost": lost, "wall": wall}


async def batched_pattern(url: str, samples, clients: int, batch: int) -> dict:
    """``clients`` clients, each sending its share in requests of ``batch`` samples."""
    latencies: list[float] = []
    errors: list[str] = []
    chunks = [samples[i : i + batch] for i in range(0, len(samples), batch)]

    async def client(k: int, http: httpx.AsyncClient) -> None:
        for chunk in chunks[k::clients]:
            payload = {
                "query": [q for q, _, _ in chunk],
                "prompts": [p for _, p, _ in chunk],
                "labels": [lab for _, _, lab in chunk],
            }
            start = time.perf_counter()
            try:
                r = await http.post("/get_reward", json=payload)
                if r.status_code != 200 or len(r.json()["rewards"]) != len(chunk):
                    errors.append(f"HTTP {r.status_code}: {r.text[:120]}")
                else:
                    latencies.append(time.perf_counter() - start)
            except httpx.HTTPError as e:
                errors.append(f"{type(e).__name__}: {e}")

    limits = httpx.Limits(max_connections=clients)
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    return {"latencies": latencies, "lost": errors, "wall": time.perf_counter() - start}


def _quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return float("nan"), float("nan")
    q = statistics.quantiles(values, n=100)
    return q[49], q[98]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pattern", choices=["openrlhf", "batched", "both"], default="both")
    ap.add_argument("--requests", type=int, default=4096, help="openrlhf: one-sample requests")
    ap.add_argument("--clients", type=int, default=50, help="batched: concurrent clients")
    ap.add_argument("--batch", type=int, default=16, help="batched: samples per request")
    ap.add_argument("--max-batch-items", type=int, default=256, help="server and baseline batch")
    ap.add_argument(
        "--single-baseline", type=int, default=256, help="samples scored one per call in-process"
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "benchmarks"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    raise_open_file_limit()  # one socket per request, thousands at once
    executor_cls = openrlhf_client() if args.pattern != "batched" else None
    samples = make_samples(args.data, args.requests, args.seed)
    spec = RewardSpec.from_yaml(RECIPE, {"max_length": MAX_LENGTH})
    with tempfile.TemporaryDirectory() as tmp:
        tok_dir = build_tiny_model(Path(tmp) / "tiny", seed=0)
        tokenizer = load_tokenizer(str(tok_dir))

        # Baselines in this process, before the server starts (also warms the grader pool).
        in_process(spec, tokenizer, samples[:64], args.max_batch_items)
        base_s, base_cpu = in_process(spec, tokenizer, samples, args.max_batch_items)
        base_rps = len(samples) / base_s
        single = samples[: args.single_baseline]
        single_s, single_cpu = in_process(spec, tokenizer, single, 1)
        single_rps = len(single) / single_s
        print(f"MATH-500 solutions, {len(samples)} samples, tiny tokenizer, {os.cpu_count()} CPUs")
        print(
            f"in-process  : {base_rps:7.1f} responses/s in batches of {args.max_batch_items} "
            f"({base_cpu / len(samples) * 1e3:.2f} CPU ms each); {single_rps:7.1f} responses/s "
            f"one per call ({single_cpu / len(single) * 1e3:.2f} CPU ms each)"
        )

        port = free_port()
        server = start_server(tok_dir, port, args.max_batch_items, Path(tmp) / "server.log")
        url = f"http://127.0.0.1:{port}"
        patterns = {
            "openrlhf": lambda: openrlhf_pattern(f"{url}/get_reward", samples, executor_cls),
            "batched": lambda: batched_pattern(url, samples, args.clients, args.batch),
        }
        chosen = ["openrlhf", "batched"] if args.pattern == "both" else [args.pattern]
        runs = []
        try:
            for name in chosen:
                before = httpx.get(f"{url}/health", timeout=10).json()
                server_cpu, own_cpu = cpu_seconds(server.pid), time.process_time()
                r = asyncio.run(patterns[name]())
                r["server_cpu"] = cpu_seconds(server.pid) - server_cpu
                r["client_cpu"] = time.process_time() - own_cpu
                after = httpx.get(f"{url}/health", timeout=10).json()
                r["batches"] = after["batches"] - before["batches"]
                r["rejected"] = after["rejected"] - before["rejected"]
                runs.append((name, r))
        finally:
            server.terminate()
            server.wait(timeout=60)
    ok = True
    for name, r in runs:
        expected = len(samples) if name == "openrlhf" else -(-len(samples) // args.batch)
        done = len(r["latencies"])
        p50, p99 = _quantiles(r["latencies"])
        responses = done if name == "openrlhf" else min(done * args.batch, len(samples))
        rps = responses / r["wall"]
        what = (
            f"{len(samples)} concurrent one-sample requests, OpenRLHF 0.11.2's client "
            "(5 tries 1 s apart)"
            if name == "openrlhf"
            else f"{args.clients} clients x {args.batch}-sample requests"
        )
        print(f"\n{name:9s}   : {what}")
        print(
            f"answered    : {done}/{expected} requests in {r['wall']:.1f} s; lost rewards "
            f"{len(r['lost'])}; 503s {r['rejected']}; {responses / max(r['batches'], 1):.0f} "
            "responses a batch"
        )
        print(f"latency     : p50 {p50 * 1e3:7.0f} ms, p99 {p99 * 1e3:7.0f} ms per request")
        print(
            f"throughput  : {rps:7.1f} responses/s = {rps / base_rps:5.2f}x in-process batched, "
            f"{rps / single_rps:5.2f}x in-process one per call"
        )
        print(
            f"CPU         : server + graders {r['server_cpu'] / responses * 1e3:.2f} ms a "
            f"response ({r['server_cpu'] / responses / (base_cpu / len(samples)):.2f}x in-process "
            f"batched), client {r['client_cpu'] / responses * 1e3:.2f} ms; the box had "
            f"{r['wall'] * (os.cpu_count() or 1):.0f} core-seconds, shared with other work"
        )
        for e in r["lost"][:5]:
            print("  lost:", e)
        ok = ok and not r["lost"] and done == expected
    print("target 0 lost rewards:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
