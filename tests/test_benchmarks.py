"""longcot.benchmarks: the registry, loading the real files, where load() reads from."""

from __future__ import annotations

import logging
import pickle
import sys
import time
from collections import Counter

import pytest

from longcot.benchmarks import (
    BENCHMARKS,
    DATA_ENV,
    THEOREMQA_ANSWER_TYPES,
    Benchmark,
    Example,
    get_benchmark,
)
from longcot.benchmarks import benchmark as benchmark_module
from longcot.benchmarks.parsers import CHOICE_LETTERS, parse_math500

# Record counts of shared/data/benchmarks/README.md.
EXPECTED_COUNTS = {
    "math500": 500,
    "aime24": 30,
    "theoremqa": 800,
    "mmlu_pro_1k": 1000,
    "mmlu_pro": 12032,
    "math_train": 7500,
}


@pytest.fixture(autouse=True)
def _no_ambient_sources(monkeypatch):
    """Each test states its own source: a LONGCOT_DATA set by the caller (the
    conftest fixture reads it) must not change where load() looks."""
    monkeypatch.delenv(DATA_ENV, raising=False)


@pytest.fixture
def no_hub(monkeypatch):
    """Fail the test if load() tries the hub."""

    def _refuse(*args, **kwargs):
        raise AssertionError("load() went to the hub although a local source was given")

    monkeypatch.setattr(benchmark_module, "load_hub_rows", _refuse)


# -- registry -------------------------------------------------------------------


class TestRegistry:
    def test_holds_the_six_benchmarks(self):
        assert set(BENCHMARKS) == set(EXPECTED_COUNTS)
        for name, bench in BENCHMARKS.items():
            assert bench.name == name

    def test_tasks_and_paper_sample_counts(self):
        tasks = {name: b.task for name, b in BENCHMARKS.items()}
        assert tasks == {
            "math500": "math",
            "aime24": "aime",
            "theoremqa": "theoremqa",
            "mmlu_pro_1k": "choice",
            "mmlu_pro": "choice",
            "math_train": "math",
        }
        # Paper §2.5: AIME 16 samples per problem, the others 4.
        assert {n: b.default_samples for n, b in BENCHMARKS.items()} == {
            n: 16 if n == "aime24" else 4 for n in BENCHMARKS
        }

    def test_lookup_by_name(self):
        assert get_benchmark("theoremqa") is BENCHMARKS["theoremqa"]

    def test_miss_lists_known_names(self):
        with pytest.raises(ValueError, match="unknown benchmark 'math-500'") as info:
            get_benchmark("math-500")
        for name in BENCHMARKS:
            assert name in str(info.value)

    def test_escape_hatch_imports_user_benchmark(self, tmp_path, monkeypatch):
        data = tmp_path / "mine.jsonl"
        data.write_text(
            '{"unique_id": "u1", "problem": "1+1?", "answer": "2", "solution": "2",'
            ' "subject": "Algebra", "level": 1}\n'
        )
        (tmp_path / "my_benchmarks.py").write_text(
            "from longcot.benchmarks import Benchmark\n"
            "from longcot.benchmarks.parsers import parse_math500\n"
            "MINE = Benchmark(name='mine', task='math', parse_record=parse_math500,\n"
            "                 local_dir='mine', local_files=('mine.jsonl',),\n"
            "                 hub_id='nobody/mine', hub_split='test')\n"
            "NOT_A_BENCHMARK = 42\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "my_benchmarks", raising=False)
        mine = get_benchmark("my_benchmarks:MINE")
        assert mine.name == "mine"
        assert [e.gold for e in mine.load(tmp_path)] == ["2"]
        with pytest.raises(TypeError, match="not a benchmark"):
            get_benchmark("my_benchmarks:NOT_A_BENCHMARK")
        with pytest.raises(ValueError, match="has no attribute 'MISSING'"):
            get_benchmark("my_benchmarks:MISSING")

    def test_escape_hatch_missing_module(self):
        with pytest.raises(ValueError, match="cannot import module"):
            get_benchmark("no_such_module_for_longcot:BENCH")

    @pytest.mark.parametrize(
        "kwargs, message",
        [({"task": "essay"}, "task must be one of"), ({"default_samples": 0}, "default_samples")],
    )
    def test_benchmark_rejects_bad_definition(self, kwargs, message):
        base = dict(
            name="x",
            task="math",
            parse_record=parse_math500,
            local_dir="x",
            local_files=("x.jsonl",),
            hub_id="nobody/x",
            hub_split="test",
        )
        with pytest.raises(ValueError, match=message):
            Benchmark(**{**base, **kwargs})

    def test_benchmarks_and_examples_pickle(self, benchmarks_dir):
        # Evaluation and RL hand both to worker processes.
        bench = pickle.loads(pickle.dumps(BENCHMARKS["theoremqa"]))
        example = bench.load(benchmarks_dir, limit=1)[0]
        assert pickle.loads(pickle.dumps(example)) == example


# -- the real files ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_loads_every_record_with_unique_ids(name, benchmarks_dir, no_hub):
    examples = BENCHMARKS[name].load(benchmarks_dir)
    assert len(examples) == EXPECTED_COUNTS[name]
    assert len({e.id for e in examples}) == len(examples)
    assert all(isinstance(e, Example) and e.question.strip() for e in examples)


def test_math500_golds_are_latex_strings(benchmarks_dir):
    examples = BENCHMARKS["math500"].load(benchmarks_dir)
    assert all(isinstance(e.gold, str) and e.gold.strip() for e in examples)
    first = examples[0]
    assert first.id == "test/precalculus/807.json"
    assert first.gold == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert first.meta["subject"] == "Precalculus" and first.meta["level"] == 2
    assert "\\boxed{" in first.meta["solution"]


def test_aime_golds_are_integers(benchmarks_dir):
    examples = BENCHMARKS["aime24"].load(benchmarks_dir)
    assert all(type(e.gold) is int and 0 <= e.gold <= 999 for e in examples)
    by_id = {e.id: e.gold for e in examples}
    assert by_id["60"] == 204
    assert by_id["67"] == 25  # stored zero-padded as "025"


def test_theoremqa_types_and_pictures(benchmarks_dir):
    examples = BENCHMARKS["theoremqa"].load(benchmarks_dir)
    # Counts from theoremqa/SOURCES.md.
    assert Counter(e.answer_type for e in examples) == {
        "float": 378,
        "integer": 216,
        "bool": 115,
        "list of integer": 61,
        "option": 18,
        "list of float": 12,
    }
    assert set(THEOREMQA_ANSWER_TYPES) == {e.answer_type for e in examples}
    # The 53 picture items are kept (the paper evaluated all 800) and flagged.
    assert sum(e.meta["needs_picture"] for e in examples) == 53
    first = examples[0]
    assert (first.id, first.gold, first.answer_type) == (
        "jianyu_xu/Lah_number_6.json",
        11760,
        "integer",
    )
    assert all(type(e.gold) is bool for e in examples if e.answer_type == "bool")
    assert all(isinstance(e.gold, list) for e in examples if e.answer_type.startswith("list"))


@pytest.mark.parametrize("name", ["mmlu_pro_1k", "mmlu_pro"])
def test_mmlu_pro_golds_are_letters_within_options(name, benchmarks_dir):
    examples = BENCHMARKS[name].load(benchmarks_dir)
    for e in examples:
        assert e.gold in CHOICE_LETTERS[: len(e.meta["options"])]
        assert e.meta["category"]


def test_mmlu_pro_letter_wins_over_inconsistent_index(benchmarks_dir, caplog):
    # question_id 3983: answer "C" (N—H, the right one), answer_index 1 ("B").
    with caplog.at_level(logging.WARNING, logger="longcot.benchmarks.parsers"):
        examples = BENCHMARKS["mmlu_pro"].load(benchmarks_dir)
    assert {e.id: e.gold for e in examples}["3983"] == "C"
    assert "question_id 3983" in caplog.text


def test_math_train_keeps_items_without_answer(benchmarks_dir):
    examples = BENCHMARKS["math_train"].load(benchmarks_dir)
    assert sorted(e.id for e in examples if e.gold is None) == [
        "train/algebra/24014.json",  # no \boxed{} (null)
        "train/algebra/25040.json",
        "train/number_theory/7115.json",  # an empty \boxed{} ("")
        "train/number_theory/7117.json",
    ]
    assert examples[0].id == "train/algebra/0.json" and examples[0].gold == "0"


def test_mmlu_pro_full_split_loads_fast(benchmarks_dir):
    start = time.perf_counter()
    BENCHMARKS["mmlu_pro"].load(benchmarks_dir)
    elapsed = time.perf_counter() - start
    # About 1.2 s on this 2-core machine (0.5 s of it pyarrow's first read);
    # 10 s leaves room for a loaded CI box while still catching a slow path
    # such as row-by-row pandas iteration.
    assert elapsed < 10, f"loading 12,032 MMLU-Pro rows took {elapsed:.1f} s"


# -- where load() reads from ------------------------------------------------------


class TestSources:
    def test_file_root_folder_and_benchmark_folder_agree(self, benchmarks_dir, no_hub):
        bench = BENCHMARKS["aime24"]
        by_root = bench.load(benchmarks_dir)
        by_dir = bench.load(benchmarks_dir / "aime24")
        by_file = bench.load(str(benchmarks_dir / "aime24" / "test.jsonl"))
        assert by_root == by_dir == by_file

    def test_env_var_names_the_root(self, benchmarks_dir, monkeypatch, no_hub):
        monkeypatch.setenv(DATA_ENV, str(benchmarks_dir))
        assert len(BENCHMARKS["math500"].load()) == 500
        assert BENCHMARKS["math500"].local_path() == benchmarks_dir / "math500" / "test.jsonl"

    def test_argument_beats_env_var(self, benchmarks_dir, tmp_path, monkeypatch, no_hub):
        monkeypatch.setenv(DATA_ENV, str(tmp_path))  # empty: would fail if used
        assert len(BENCHMARKS["aime24"].load(benchmarks_dir)) == 30

    def test_env_var_without_the_file_is_an_error_not_a_download(
        self, tmp_path, monkeypatch, no_hub
    ):
        monkeypatch.setenv(DATA_ENV, str(tmp_path))
        with pytest.raises(FileNotFoundError, match=r"LONGCOT_DATA") as info:
            BENCHMARKS["theoremqa"].load()
        assert str(tmp_path / "theoremqa" / "theoremqa_test.json") in str(info.value)

    def test_missing_source_is_an_error(self, tmp_path, no_hub):
        with pytest.raises(FileNotFoundError, match="no math500 data"):
            BENCHMARKS["math500"].load(tmp_path / "nowhere")

    def test_mmlu_pro_takes_jsonl_when_no_parquet(self, benchmarks_dir, tmp_path, no_hub):
        # The full split may come as the plain JSONL dump instead of parquet.
        lines = (benchmarks_dir / "mmlu_pro" / "mmlu-pro-1k.jsonl").read_text().splitlines()
        (tmp_path / "mmlu_pro").mkdir()
        (tmp_path / "mmlu_pro" / "test.jsonl").write_text("\n".join(lines[:5]) + "\n")
        assert len(BENCHMARKS["mmlu_pro"].load(tmp_path)) == 5


class TestLimit:
    @pytest.mark.parametrize("name", ["math500", "theoremqa", "mmlu_pro"])
    def test_limit_keeps_the_first_examples(self, name, benchmarks_dir):
        bench = BENCHMARKS[name]
        full_head = [e.id for e in bench.load(benchmarks_dir)[:3]]
        assert [e.id for e in bench.load(benchmarks_dir, limit=3)] == full_head

    def test_limit_zero_and_past_the_end(self, benchmarks_dir):
        bench = BENCHMARKS["aime24"]
        assert bench.load(benchmarks_dir, limit=0) == []
        assert len(bench.load(benchmarks_dir, limit=10_000)) == 30

    def test_limit_stops_before_a_bad_record(self, tmp_path):
        good = (
            '{"id": 1, "problem": "p", "answer": "7", "solution": "s", "url": "u"}\n'
            '{"id": 2, "problem": "p", "answer": "7", "solution": "s", "url": "u"}\n'
        )
        (tmp_path / "test.jsonl").write_text(good + "not json\n")
        assert len(BENCHMARKS["aime24"].load(tmp_path, limit=2)) == 2

    @pytest.mark.parametrize("limit", [-1, 1.5, True, "3"])
    def test_bad_limit(self, limit, benchmarks_dir):
        with pytest.raises(ValueError, match="limit"):
            BENCHMARKS["aime24"].load(benchmarks_dir, limit=limit)
