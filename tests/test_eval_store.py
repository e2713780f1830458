"""The output folder: appends, a killed run's half line, corruption, config mismatch."""

from __future__ import annotations

import json

import pytest

from longcot.evaluate import ConfigMismatchError, EvalConfig, ResultsFileError, ResultStore


def _rows(*keys):
    return [{"benchmark": "math500", "id": i, "sample": s, "response": "r"} for i, s in keys]


def test_append_and_read(tmp_path):
    store = ResultStore(tmp_path)
    store.append("math500", _rows(("a", 0), ("a", 1)))
    store.append("math500", _rows(("b", 0)))
    assert store.done("math500") == {("a", 0), ("a", 1), ("b", 0)}
    assert store.read("aime24") == []


def test_half_written_last_line_is_dropped_and_cut_from_the_file(tmp_path):
    store = ResultStore(tmp_path)
    store.append("math500", _rows(("a", 0)))
    path = store.results_path("math500")
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"benchmark": "math500", "id": "b", "sam')  # killed mid-write
    assert [r["id"] for r in store.read("math500")] == ["a"]
    assert path.read_bytes() == whole  # rewritten without the fragment
    store.append("math500", _rows(("b", 0)))
    assert store.done("math500") == {("a", 0), ("b", 0)}  # appends start on a clean line


def test_whole_last_line_without_newline_is_kept(tmp_path):
    store = ResultStore(tmp_path)
    path = store.results_path("math500")
    path.write_text(json.dumps(_rows(("a", 0))[0]))
    assert store.done("math500") == {("a", 0)}
    store.append("math500", _rows(("b", 0)))
    assert store.done("math500") == {("a", 0), ("b", 0)}


def test_corruption_before_the_end_is_an_error_naming_the_line(tmp_path):
    store = ResultStore(tmp_path)
    path = store.results_path("math500")
    good = json.dumps(_rows(("a", 0))[0])
    path.write_text(f"{good}\nnot json\n{good}\n")
    with pytest.raises(ResultsFileError, match=r"math500\.jsonl:2"):
        store.read("math500")


def test_duplicates_keep_the_first_line(tmp_path, caplog):
    store = ResultStore(tmp_path)
    first, second = _rows(("a", 0), ("a", 0))
    second["response"] = "other"
    store.append("math500", [first, second])
    assert [r["response"] for r in store.read("math500")] == ["r"]
    assert "duplicate sample" in caplog.text


def test_config_mismatch_names_every_differing_field(tmp_path):
    store = ResultStore(tmp_path)
    store.check_config(EvalConfig(model="a", output=str(tmp_path)))
    with pytest.raises(ConfigMismatchError) as info:
        store.check_config(
            EvalConfig(model="b", output=str(tmp_path), temperature=1.0, seed=0, limit=5)
        )
    assert set(info.value.differences) == {"model", "temperature"}
    message = str(info.value)
    assert "model: 'a'" in message and "'b' now" in message and "temperature: 0.7" in message


def test_more_problems_or_samples_may_extend_a_run(tmp_path):
    store = ResultStore(tmp_path)
    store.check_config(EvalConfig(model="a", output=str(tmp_path), limit=2, samples=2))
    store.check_config(EvalConfig(model="a", output=str(tmp_path), limit=5, samples=4))
    assert store.stored_config().limit == 5  # the folder records the latest invocation


def test_rewrite_is_atomic_and_replaces(tmp_path):
    store = ResultStore(tmp_path)
    store.append("math500", _rows(("a", 0), ("b", 0)))
    store.rewrite("math500", _rows(("b", 0)))
    assert store.done("math500") == {("b", 0)}
    assert [p.name for p in tmp_path.iterdir()] == ["math500.jsonl"]  # no temp files left


def test_user_benchmark_names_make_safe_file_names(tmp_path):
    assert ResultStore(tmp_path).results_path("my.pkg:BENCH").name == "my.pkg_BENCH.jsonl"
