"""Shared fixtures. Models are built locally (no hub access on CI machines)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# One OpenMP thread for torch in the whole suite (set before torch is
# imported): the tiny models gain nothing from a second thread, and on a
# 2-core machine whose other core runs grader workers, a second OpenMP thread
# stalls every op (measured here: 1.9 s instead of 0.1 s a decode step).
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = ROOT.parent / "shared" / "data" / "benchmarks"


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    """The benchmark copies beside the checkout (``../shared/data/benchmarks``)."""
    path = Path(os.environ.get("LONGCOT_DATA", SHARED_BENCHMARKS))
    if not path.is_dir():
        pytest.skip(
            f"benchmark data not found at {path}: set LONGCOT_DATA or place ../shared beside the checkout"
        )
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny randomly initialised Qwen2 model + locally trained tokenizer, built once per session."""
    from longcot.tasks.tiny import build_tiny_model

    out = tmp_path_factory.mktemp("tiny-model")
    build_tiny_model(out, seed=0)
    return out
