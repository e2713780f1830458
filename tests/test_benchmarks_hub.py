"""longcot.benchmarks: loading from the Hugging Face hub, without a network.

The hub is replaced by a fake ``datasets.load_dataset`` that returns rows in
the hub's own layout, so the adapters that turn them into the local layout are
tested offline. The real offline error is checked in a subprocess with
``HF_HUB_OFFLINE=1`` (huggingface_hub reads that variable once, at import).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import datasets  # a hard dependency (pyproject.toml): a broken install must fail, not skip
import pytest

from longcot.benchmarks import (
    BENCHMARKS,
    DATA_ENV,
    BenchmarkDataError,
    BenchmarkUnavailableError,
)
from longcot.benchmarks.hub import mmlu_pro_1k_subset
from longcot.benchmarks.readers import read_records


@pytest.fixture(autouse=True)
def _no_local_source(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)


@pytest.fixture
def fake_hub(monkeypatch):
    """Serve given rows from ``datasets.load_dataset`` and record the calls."""
    calls: list[tuple] = []
    served: dict[str, list[dict]] = {}

    def load_dataset(path, name=None, *, split=None, **kwargs):
        calls.append((path, name, split))
        return datasets.Dataset.from_list(served[path])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return served, calls


def test_offline_without_local_copy_says_what_to_do(tmp_path):
    code = textwrap.dedent(
        """
        from longcot.benchmarks import BENCHMARKS, BenchmarkUnavailableError
        try:
            BENCHMARKS["math500"].load()
        except BenchmarkUnavailableError as e:
            print("ERROR:", e)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    env["HF_HUB_OFFLINE"] = "1"
    # An empty cache, so nothing downloaded earlier on this machine can answer.
    env["HF_HOME"] = str(tmp_path / "hf-home")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    message = result.stdout
    assert "ERROR:" in message
    assert "HuggingFaceH4/MATH-500" in message
    assert "LONGCOT_DATA" in message  # how to point at a local copy
    assert "math500/test.jsonl" in message  # the layout it expects


def test_hub_failure_is_wrapped_with_the_local_hint(monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'TIGER-Lab/TheoremQA' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(BenchmarkUnavailableError, match="LONGCOT_DATA") as info:
        BENCHMARKS["theoremqa"].load()
    assert isinstance(info.value.__cause__, ConnectionError)
    assert isinstance(info.value, OSError)


def test_math500_from_hub_uses_the_same_layout(fake_hub, benchmarks_dir):
    served, calls = fake_hub
    rows = [r for _, r in read_records(benchmarks_dir / "math500" / "test.jsonl", limit=4)]
    served["HuggingFaceH4/MATH-500"] = rows
    examples = BENCHMARKS["math500"].load(limit=3)
    assert calls == [("HuggingFaceH4/MATH-500", None, "test")]
    assert [e.id for e in examples] == [r["unique_id"] for r in rows[:3]]
    assert examples == BENCHMARKS["math500"].load(benchmarks_dir, limit=3)


def test_theoremqa_hub_answers_are_typed_again(fake_hub):
    served, _ = fake_hub
    # The hub copy stores str(Answer), has no id, and keeps the picture inline.
    served["TIGER-Lab/TheoremQA"] = [
        {"Question": "q0", "Answer": "11760", "Answer_type": "integer", "Picture": None},
        {"Question": "q1", "Answer": "True", "Answer_type": "bool", "Picture": None},
        {
            "Question": "q2",
            "Answer": "[1, 2, 3]",
            "Answer_type": "list of integer",
            "Picture": None,
        },
        {
            "Question": "q3",
            "Answer": "[0.5, 1e-05]",
            "Answer_type": "list of float",
            "Picture": None,
        },
        {"Question": "q4", "Answer": "0.25", "Answer_type": "float", "Picture": None},
        {"Question": "q5", "Answer": "(c)", "Answer_type": "option", "Picture": None},
    ]
    examples = BENCHMARKS["theoremqa"].load()
    assert [e.gold for e in examples] == [11760, True, [1, 2, 3], [0.5, 1e-05], 0.25, "(c)"]
    assert [type(e.gold) for e in examples[:2]] == [int, bool]
    assert [e.id for e in examples] == [f"hub/{i}" for i in range(6)]
    assert not any(e.meta["needs_picture"] for e in examples)


def test_theoremqa_hub_answer_that_does_not_parse_names_the_row(fake_hub):
    served, _ = fake_hub
    served["TIGER-Lab/TheoremQA"] = [
        {"Question": "q0", "Answer": "3", "Answer_type": "integer", "Picture": None},
        {"Question": "q1", "Answer": "three", "Answer_type": "integer", "Picture": None},
    ]
    with pytest.raises(BenchmarkDataError, match=r"hub:TIGER-Lab/TheoremQA, record 1 \(0-based\)"):
        BENCHMARKS["theoremqa"].load()


def test_math_train_hub_answer_is_the_last_box(fake_hub):
    served, calls = fake_hub
    served["DigitalLearningGmbH/MATH-lighteval"] = [
        {
            "problem": "p",
            "level": "Level 1",
            "type": "Algebra",
            "solution": "so $\\boxed{\\frac{1}{2}}$",
        },
        {"problem": "p", "level": "Level 2", "type": "Algebra", "solution": "no box here"},
    ]
    examples = BENCHMARKS["math_train"].load()
    assert calls == [("DigitalLearningGmbH/MATH-lighteval", None, "train")]
    assert [(e.id, e.gold) for e in examples] == [("hub/0", "\\frac{1}{2}"), ("hub/1", None)]


def test_mmlu_pro_1k_recipe_reproduces_the_staged_subset(benchmarks_dir):
    # No hub copy of MMLU-Pro-1k exists; the hub path draws it from the full
    # split with the authors' recipe. On the staged full split it must give
    # the staged 1k file, row for row.
    full = [r for _, r in read_records(benchmarks_dir / "mmlu_pro" / "test-00000-of-00001.parquet")]
    staged = [r for _, r in read_records(benchmarks_dir / "mmlu_pro" / "mmlu-pro-1k.jsonl")]
    subset = mmlu_pro_1k_subset(full)
    assert [r["question_id"] for r in subset] == [r["question_id"] for r in staged]
    assert subset == staged


def test_mmlu_pro_1k_from_hub_is_drawn_from_the_full_split(fake_hub, benchmarks_dir):
    served, calls = fake_hub
    parquet = benchmarks_dir / "mmlu_pro" / "test-00000-of-00001.parquet"
    served["TIGER-Lab/MMLU-Pro"] = [r for _, r in read_records(parquet)]
    from_hub = BENCHMARKS["mmlu_pro_1k"].load(limit=5)
    assert calls == [("TIGER-Lab/MMLU-Pro", None, "test")]
    assert from_hub == BENCHMARKS["mmlu_pro_1k"].load(benchmarks_dir, limit=5)


def test_mmlu_pro_1k_recipe_refuses_a_partial_split():
    rows = [{"src": "a", "question_id": i} for i in range(100)]
    with pytest.raises(ValueError, match="full MMLU-Pro test split"):
        mmlu_pro_1k_subset(rows)
