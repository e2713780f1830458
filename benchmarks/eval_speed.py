"""Generation speed on CPU: the ``hf`` backend versus plain ``model.generate``, same run.

Workload (issue 9): K=4 samples for each of 64 MATH-500 prompts (chat template,
the benchmark's default prompt), 128 new tokens, temperature 0.7, top-p 0.95,
for the tiny random model and for smollm2-135m-instruct. Methods:

- ``hf backend``: ``longcot.generate.HFBackend`` over all prompts;
- ``one at a time``: ``model.generate`` on one sequence per call;
- ``batched generate``: ``model.generate`` on 16 left-padded prompts per call with
  ``num_return_sequences=K`` (64 sequences a call), the plain batching baseline.

Baselines that would take minutes run on the first prompts only (tokens/s is a
rate; ``--single-prompts`` / ``--batched-prompts`` set how many), and the hf
backend is run again on exactly the batched baseline's prompts, so that ratio
compares the same sequences. Tokens counted: every generated token, including
the end-of-sequence token, for every method.

    .venv/bin/python benchmarks/eval_speed.py                    # both models, ~15 min on 1 core
    .venv/bin/python benchmarks/eval_speed.py --models tiny --threads 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from longcot.generate.hf import HFBackend
from longcot.generate.types import SamplingParams

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "benchmarks"
# Per model: prompts for the one-at-a-time and for the batched baseline. SmolLM2
# one sequence at a time runs ~10 tokens/s on one core: 2 prompts x 4 x 128 is ~100 s.
SUBSETS = {"tiny": (16, 64), "smollm2-135m-instruct": (2, 16)}


@dataclass
class Result:
    method: str
    prompts: int
    tokens: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.tokens / self.seconds


def load_prompts(data_dir: Path, count: int) -> list:
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark("math500")
    return [bench.prompt(ex) for ex in bench.load(data_dir, limit=count)]


def _generated_tokens(new_tokens: torch.Tensor, eos_ids: set[int]) -> int:
    """Tokens generated per row (B, T): up to and including the first end-of-sequence."""
    total = 0
    for row in new_tokens.tolist():
        ends = [i for i, t in enumerate(row) if t in eos_ids]
        total += ends[0] + 1 if ends else len(row)
    return total


def _encode(tokenizer, prompts: list) -> list[list[int]]:
    from longcot.generate.prompts import encode

    return [encode(tokenizer, p) for p in prompts]


def _sampling_kwargs(args) -> dict:
    # top_k=0: transformers defaults top_k to 50, which the hf backend does not apply.
    return dict(
        do_sample=True,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=0,
        max_new_tokens=args.max_new_tokens,
    )


def one_at_a_time(backend: HFBackend, prompts: list, args) -> Result:
    model, eos = backend.model, set(backend.eos_ids)
    torch.manual_seed(0)
    tokens, start = 0, time.perf_counter()
    with torch.inference_mode():
        for ids in _encode(backend.tokenizer, prompts):
            input_ids = torch.tensor([ids])
            for _ in range(args.samples):
                out = model.generate(
                    input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    pad_token_id=backend.pad_id,
                    **_sampling_kwargs(args),
                )
                tokens += _generated_tokens(out[:, len(ids) :], eos)
    return Result(
        "one at a time (model.generate)", len(prompts), tokens, time.perf_counter() - start
    )


def batched_generate(backend: HFBackend, prompts: list, args) -> Result:
    model, tok, eos = backend.model, backend.tokenizer, set(backend.eos_ids)
    torch.manual_seed(0)
    tokens, start = 0, time.perf_counter()
    encoded = _encode(tok, prompts)
    with torch.inference_mode():
        for first in range(0, len(encoded), args.batch_prompts):
            chunk = encoded[first : first + args.batch_prompts]
            longest = max(map(len, chunk))
            input_ids = torch.full((len(chunk), longest), backend.pad_id)
            mask = torch.zeros_like(input_ids)
            for i, ids in enumerate(chunk):  # left padding, as generate expects
                input_ids[i, longest - len(ids) :] = torch.tensor(ids)
                mask[i, longest - len(ids) :] = 1
            out = model.generate(
                input_ids,
                attention_mask=mask,
                pad_token_id=backend.pad_id,
                num_return_sequences=args.samples,
                **_sampling_kwargs(args),
            )
            tokens += _generated_tokens(out[:, longest:], eos)
    label = f"batched generate ({args.batch_prompts} prompts x {args.samples})"
    return Result(label, len(prompts), tokens, time.perf_counter() - start)


def hf_backend(backend: HFBackend, prompts: list, args) -> Result:
    params = SamplingParams(
        n=args.samples,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_new_tokens,
        seed=0,
    )
    start = time.perf_counter()
    outs = backend.generate(prompts, params)
    seconds = time.perf_counter() - start
    # Count the end-of-sequence token too, as for model.generate.
    tokens = sum(c.completion_tokens + (c.finish_reason == "stop") for o in outs for c in o)
    return Result("hf backend", len(prompts), tokens, seconds)


def run_model(name: str, args, prompts: list) -> list[Result]:
    if name == "tiny":
        from longcot.tasks.tiny import build_tiny_model

        path = build_tiny_model(Path(tempfile.mkdtemp(prefix="tiny-")), seed=0)
    else:
        path = name
    backend = HFBackend(path, dtype=args.dtype, max_batch_rows=args.hf_batch_rows)
    backend.generate(prompts[:2], SamplingParams(n=2, max_new_tokens=4))  # warm-up
    single, batched = SUBSETS.get(name, (2, 16))
    single = args.single_prompts or single
    batched = min(args.batched_prompts or batched, len(prompts))
    results = [hf_backend(backend, prompts, args)]
    print(f"  {results[-1].method}: {results[-1].rate:.1f} tokens/s", flush=True)
    if batched < len(prompts):
        results.append(hf_backend(backend, prompts[:batched], args))
        results[-1].method = f"hf backend, first {batched} prompts"
        print(f"  {results[-1].method}: {results[-1].rate:.1f} tokens/s", flush=True)
    results.append(batched_generate(backend, prompts[:batched], args))
    print(f"  {results[-1].method}: {results[-1].rate:.1f} tokens/s", flush=True)
    results.append(one_at_a_time(backend, prompts[:single], args))
    print(f"  {results[-1].method}: {results[-1].rate:.1f} tokens/s", flush=True)
    backend.close()
    return results


def report(name: str, results: list[Result]) -> None:
    single = next(r for r in results if r.method.startswith("one at a time"))
    batched = next(r for r in results if r.method.startswith("batched generate"))
    print(f"\n{name}")
    print(
        f"{'method':44} {'prompts':>7} {'tokens':>7} {'s':>7} {'tok/s':>8} {'x 1-at-a-time':>14} {'x batched':>10}"
    )
    for r in results:
        print(
            f"{r.method:44} {r.prompts:7d} {r.tokens:7d} {r.seconds:7.1f} {r.rate:8.1f} "
            f"{r.rate / single.rate:14.2f} {r.rate / batched.rate:10.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny,smollm2-135m-instruct")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1, as DESIGN §5)"
    )
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--hf-batch-rows", type=int, default=None, help="hf backend rows per batch")
    parser.add_argument(
        "--batch-prompts", type=int, default=16, help="prompts per batched generate call"
    )
    parser.add_argument("--single-prompts", type=int, default=None)
    parser.add_argument("--batched-prompts", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    prompts = load_prompts(args.data_dir, args.prompts)
    print(
        f"{len(prompts)} MATH-500 prompts x {args.samples} samples x {args.max_new_tokens} new tokens, "
        f"T={args.temperature}, top-p={args.top_p}, {args.threads} thread(s), {args.dtype}"
    )
    all_results = {}
    for name in args.models.split(","):
        print(f"{name} ...", flush=True)
        all_results[name] = run_model(name, args, prompts)
    for name, results in all_results.items():
        report(name, results)


if __name__ == "__main__":
    main()
