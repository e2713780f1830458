"""End to end with the tiny local model on CPU: the command line, reproducibility, resume.

The tiny model is random, so every response is noise cut off at the cap; these
tests check the pipeline (files, fields, counts, identical samples), not scores.
"""

from __future__ import annotations

import json

import pytest

from longcot import cli
from longcot.evaluate import EvalConfig, run_eval
from longcot.evaluate.config import PAPER_BENCHMARKS

pytestmark = pytest.mark.slow

MAX_NEW = 8
# One thread: on a shared 2-core machine two OpenMP threads stall whenever the
# other core is busy (a 16-row tiny-model call took 5.1 s with 2 threads and
# 1.0 s with 1, measured here). The setting is process-wide, so it is restored.
OPTIONS = {"device": "cpu", "threads": 1}


@pytest.fixture(scope="module", autouse=True)
def _restore_torch_threads():
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_backend(tiny_model_dir):
    from longcot.generate import load_backend

    backend = load_backend("hf", str(tiny_model_dir), **OPTIONS)
    yield backend
    backend.close()


def _read(folder, bench):
    return [json.loads(line) for line in (folder / f"{bench}.jsonl").read_text().splitlines()]


def _responses(folder):
    return {
        (bench, line["id"], line["sample"]): line["response"]
        for bench in PAPER_BENCHMARKS
        for line in _read(folder, bench)
    }


def _config(tiny_model_dir, benchmarks_dir, output, **kw):
    return EvalConfig(
        model=str(tiny_model_dir),
        output=str(output),
        limit=2,
        samples=2,
        max_new_tokens=MAX_NEW,
        data_dir=str(benchmarks_dir),
        backend_options=OPTIONS,
        grade_workers=1,
        **kw,
    )


@pytest.fixture(scope="module")
def cli_run(tiny_model_dir, benchmarks_dir, tmp_path_factory):
    """``longcot eval`` on 2 problems x 2 samples of each paper benchmark."""
    out = tmp_path_factory.mktemp("cli") / "eval"
    argv = [
        "eval",
        "--model",
        str(tiny_model_dir),
        "--benchmarks",
        ",".join(PAPER_BENCHMARKS),
        "--limit",
        "2",
        "--samples",
        "2",
        "--max-new-tokens",
        str(MAX_NEW),
        "--data-dir",
        str(benchmarks_dir),
        "--output",
        str(out),
        "--backend-option",
        "device=cpu",
        "--backend-option",
        "threads=1",
        "--grade-workers",
        "1",
        "--no-progress",
    ]
    assert cli.main(argv) == 0
    return out


def test_cli_end_to_end(cli_run, capsys):
    for bench in PAPER_BENCHMARKS:
        lines = _read(cli_run, bench)
        assert len(lines) == 4
        assert len({(line["id"], line["sample"]) for line in lines}) == 4
        for line in lines:
            assert 1 <= line["completion_tokens"] <= MAX_NEW
            assert line["truncated"] == (line["finish_reason"] == "length")
            assert line["verdict"]["status"] in {"correct", "incorrect", "no_answer"}
            assert line["prompt_tokens"] > 0 and isinstance(line["prompt"], list)
    summary = json.loads((cli_run / "summary.json").read_text())
    assert list(summary["benchmarks"]) == list(PAPER_BENCHMARKS)
    assert all(b["samples"] == 4 and b["complete"] for b in summary["benchmarks"].values())
    assert (cli_run / "summary.md").read_text().startswith("# Evaluation of")


def test_same_seed_gives_the_same_samples(
    cli_run, tiny_backend, tiny_model_dir, benchmarks_dir, tmp_path
):
    # A different process-level batch (the CLI loaded its own model) and the same seed.
    run_eval(_config(tiny_model_dir, benchmarks_dir, tmp_path / "again"), backend=tiny_backend)
    assert _responses(tmp_path / "again") == _responses(cli_run)


def test_another_seed_gives_other_samples(
    cli_run, tiny_backend, tiny_model_dir, benchmarks_dir, tmp_path
):
    run_eval(_config(tiny_model_dir, benchmarks_dir, tmp_path / "s1", seed=1), backend=tiny_backend)
    assert _responses(tmp_path / "s1") != _responses(cli_run)


class _Interrupted(Exception):
    pass


class _Wrapper:
    """Passes calls to the real backend, counts prompts, and can die on a given call."""

    name = "wrapper"

    def __init__(self, inner, die_on_call=None):
        self.inner, self.die_on_call = inner, die_on_call
        self.tokenizer = inner.tokenizer
        self.prompts = 0
        self.calls = 0

    def generate(self, prompts, params):
        self.calls += 1
        if self.calls == self.die_on_call:
            raise _Interrupted
        self.prompts += len(prompts)
        return self.inner.generate(prompts, params)

    def close(self):
        pass


def test_interrupted_run_resumes_to_the_same_samples(
    cli_run, tiny_backend, tiny_model_dir, benchmarks_dir, tmp_path
):
    # 4 completions per call = 2 problems x 2 samples: one benchmark per call, 4 calls.
    config = _config(tiny_model_dir, benchmarks_dir, tmp_path / "resumed", chunk_completions=4)
    with pytest.raises(_Interrupted):
        run_eval(config, backend=_Wrapper(tiny_backend, die_on_call=3))
    kept = sum(len(_read(tmp_path / "resumed", b)) for b in ("math500", "aime24"))
    assert kept == 8

    second = _Wrapper(tiny_backend)
    result = run_eval(config, backend=second)
    assert second.prompts == 4  # theoremqa and mmlu_pro_1k only
    assert (result.generated, result.skipped) == (8, 8)
    assert _responses(tmp_path / "resumed") == _responses(cli_run)
