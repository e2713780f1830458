"""Synthetic tasks registered like benchmarks: named by get_benchmark, no files, no network."""

from __future__ import annotations

import json
import pickle

import pytest

from longcot.benchmarks import DATA_ENV, get_benchmark
from longcot.benchmarks import benchmark as benchmark_module
from longcot.tasks.arithmetic import ArithConfig, split_of
from longcot.tasks.synthetic import SYNTHETIC, ArithmeticBenchmark, solution
from longcot.tasks.writers import audit

REQUIRED = ("name", "task", "default_samples", "load", "prompt", "score")


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """No hub, and a LONGCOT_DATA that holds nothing: generation must not read either."""

    def _refuse(*args, **kwargs):
        raise AssertionError("a synthetic task went to the hub")

    monkeypatch.setattr(benchmark_module, "load_hub_rows", _refuse)
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "empty"))


class TestRegistry:
    @pytest.mark.parametrize(
        "name, split, size", [("arith", "test", 500), ("arith_train", "train", 20_000)]
    )
    def test_named_like_a_benchmark(self, name, split, size):
        bench = get_benchmark(name)
        assert bench is SYNTHETIC[name]
        assert all(hasattr(bench, attr) for attr in REQUIRED)
        assert (bench.name, bench.split, bench.size, bench.task) == (name, split, size, "math")
        assert bench.default_samples == 4

    def test_unknown_name_lists_the_synthetic_tasks(self):
        with pytest.raises(ValueError, match="synthetic tasks: arith, arith_train"):
            get_benchmark("arithmetic")

    def test_picklable(self):
        bench = pickle.loads(pickle.dumps(get_benchmark("arith")))
        assert bench == get_benchmark("arith")
        assert bench.load(limit=3) == get_benchmark("arith").load(limit=3)


class TestLoad:
    def test_generated_in_memory_whatever_the_source(self, tmp_path):
        bench = get_benchmark("arith")
        examples = bench.load()
        assert len(examples) == 500
        # eval passes its --data-dir along; nothing is read from it.
        assert bench.load(tmp_path / "does-not-exist", limit=10) == examples[:10]

    def test_ids_unique_and_limit_is_a_prefix(self):
        examples = get_benchmark("arith").load()
        assert len({e.id for e in examples}) == len(examples)
        assert examples[0].id == "arith/0"
        assert get_benchmark("arith").load(limit=0) == []

    def test_train_and_test_never_share_a_problem(self):
        test = {e.question for e in get_benchmark("arith").load()}
        train = {e.question for e in get_benchmark("arith_train").load()}
        assert len(test) == 500 and len(train) == 20_000
        assert not test & train
        assert all(split_of(q, ArithConfig()) == "test" for q in test)

    def test_examples_carry_both_solutions_and_a_graded_gold(self):
        bench = get_benchmark("arith")
        for ex in bench.load(limit=50):
            assert 3 <= ex.meta["ops"] <= 5
            assert ex.meta["statement"].startswith(f"Evaluate {ex.question} ")
            for style in ("short", "long"):
                assert bench.score(ex, solution(ex, style)).status == "correct"
            assert audit(solution(ex, "long")).answer == int(ex.gold)
            # Examples dump to JSON as they are (curation writes them to JSONL).
            json.dumps(ex.meta)

    def test_unknown_solution_style(self):
        ex = get_benchmark("arith").load(limit=1)[0]
        with pytest.raises(ValueError, match="must be one of"):
            solution(ex, "medium")

    @pytest.mark.parametrize("limit", [-1, 1.5, True])
    def test_bad_limit(self, limit):
        with pytest.raises(ValueError, match="limit"):
            get_benchmark("arith").load(limit=limit)

    def test_options_make_another_task(self):
        harder = get_benchmark("arith").with_options(
            config=ArithConfig(min_ops=6, max_ops=7), size=20
        )
        assert all(ex.meta["ops"] in (6, 7) for ex in harder.load())
        assert harder.name == "arith" and get_benchmark("arith").size == 500
        with pytest.raises(ValueError, match="size"):
            ArithmeticBenchmark(name="x", split="test", size=0)


class TestPromptAndScore:
    def test_default_and_plain_are_the_bare_chain(self):
        bench = get_benchmark("arith")
        ex = bench.load(limit=1)[0]
        assert bench.prompt(ex) == [{"role": "user", "content": ex.question}]
        assert bench.prompt(ex, "plain") == ex.question

    def test_other_templates_get_the_sentence(self):
        bench = get_benchmark("arith")
        ex = bench.load(limit=1)[0]
        [message] = bench.prompt(ex, "demystify")
        assert message["content"].startswith(ex.meta["statement"])
        assert "\\boxed{...}" in message["content"]

    def test_score_grades_right_wrong_and_missing(self):
        bench = get_benchmark("arith")
        ex = bench.load(limit=1)[0]
        wrong = str((int(ex.gold) + 1) % 10)
        assert bench.score(ex, f"\\boxed{{{ex.gold}}}").correct
        assert bench.score(ex, f"\\boxed{{{wrong}}}").status == "incorrect"
        assert bench.score(ex, "Wait, I cannot tell.").status == "no_answer"


@pytest.mark.slow
def test_longcot_eval_names_the_task(tmp_path, monkeypatch):
    """``longcot eval --benchmarks arith`` from a folder with no data: generated, graded."""
    from longcot.cli import main
    from longcot.tasks.demo_model import build_demo_model

    model = build_demo_model(tmp_path / "model")
    monkeypatch.chdir(tmp_path)
    argv = [
        "eval", "--model", str(model), "--benchmarks", "arith", "--limit", "3",
        "--samples", "2", "--max-new-tokens", "8", "--output", str(tmp_path / "out"),
        "--backend-option", "device=cpu", "--backend-option", "threads=1",
        "--grade-workers", "1", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    rows = [
        json.loads(line) for line in (tmp_path / "out" / "arith.jsonl").read_text().splitlines()
    ]
    examples = get_benchmark("arith").load(limit=3)
    assert sorted((r["id"], r["sample"]) for r in rows) == [
        (ex.id, s) for ex in examples for s in range(2)
    ]
    for r in rows:
        assert r["prompt"] == [{"role": "user", "content": _question(examples, r["id"])}]
        assert r["gold"] in [ex.gold for ex in examples]
        assert r["verdict"]["status"] in {"correct", "incorrect", "no_answer"}


def _question(examples, example_id: str) -> str:
    return next(ex.question for ex in examples if ex.id == example_id)
