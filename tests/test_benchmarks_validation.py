"""longcot.benchmarks: a malformed record fails with the file and its line.

Each case writes a small file in ``tmp_path`` whose first records are valid
and whose bad record sits further down, so the reported position is checked,
not just the presence of an error.
"""

from __future__ import annotations

import json

import pytest

from longcot.benchmarks import BENCHMARKS, BenchmarkDataError

MATH500_OK = {
    "unique_id": "test/algebra/1.json",
    "problem": "What is $1+1$?",
    "solution": "$\\boxed{2}$",
    "answer": "2",
    "subject": "Algebra",
    "level": 1,
}
AIME_OK = {"id": 60, "problem": "Find x.", "solution": "s", "answer": "025", "url": "u"}
MMLU_OK = {
    "question_id": 1,
    "question": "Pick one.",
    "options": ["w", "x", "y", "z"],
    "answer": "B",
    "answer_index": 1,
    "category": "math",
    "src": "s",
}
MATH_TRAIN_OK = {
    "unique_id": "train/algebra/0.json",
    "problem": "p",
    "level": "Level 5",
    "type": "Algebra",
    "solution": "s",
    "answer": "0",
}
THEOREMQA_OK = {
    "Question": "How many?",
    "Answer": 3,
    "Answer_type": "integer",
    "Picture": None,
    "id": "t/0.json",
}


def _jsonl(tmp_path, name, records):
    """Write ``records`` (dicts or raw strings) one per line; return the path."""
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def _second(ok, **changes):
    """A copy of ``ok`` with another id and ``changes`` (None deletes a key)."""
    record = dict(ok)
    for key in ("unique_id", "id", "question_id"):
        if key in record:
            record[key] = f"{record[key]}-2" if isinstance(record[key], str) else record[key] + 1
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return record


MISSING = None  # marks a field to delete in _second

JSONL_CASES = [
    # (benchmark, ok record, bad second record, expected problem text)
    ("math500", MATH500_OK, _second(MATH500_OK, answer=MISSING), "missing field 'answer'"),
    ("math500", MATH500_OK, _second(MATH500_OK, answer=2), "'answer' must be a string"),
    ("math500", MATH500_OK, _second(MATH500_OK, answer="  "), "'answer' is empty"),
    ("math500", MATH500_OK, _second(MATH500_OK, level="5"), "'level' must be an integer"),
    ("math500", MATH500_OK, _second(MATH500_OK, level=True), "'level' must be an integer"),
    ("math500", MATH500_OK, _second(MATH500_OK, level=7), "'level' must be 1-5"),
    ("aime24", AIME_OK, _second(AIME_OK, answer="1000"), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, answer=1000), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, answer=-3), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, answer="12.5"), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, answer="\\frac{1}{2}"), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, answer=True), "integer 0-999"),
    ("aime24", AIME_OK, _second(AIME_OK, problem=MISSING), "missing field 'problem'"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, answer="E"), "one of the 4 option letters ABCD"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, answer="K"), "option letters"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, answer="b"), "option letters"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, answer="AB"), "option letters"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, options="w, x"), "'options' must be a list"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, options=["w", ""]), "'options' must be a list"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, options=list("abcdefghijk")), "2-10"),
    ("mmlu_pro_1k", MMLU_OK, _second(MMLU_OK, category=MISSING), "missing field 'category'"),
    ("math_train", MATH_TRAIN_OK, _second(MATH_TRAIN_OK, answer=MISSING), "missing field 'answer'"),
    ("math_train", MATH_TRAIN_OK, _second(MATH_TRAIN_OK, answer=5), "'answer' must be a string"),
]


@pytest.mark.parametrize("name, ok, bad, problem", JSONL_CASES)
def test_bad_field_names_file_line_and_field(tmp_path, name, ok, bad, problem):
    # Line 1 valid, line 2 blank (skipped but counted), line 3 the bad record.
    path = _jsonl(tmp_path, BENCHMARKS[name].local_files[0], [ok, "", bad])
    with pytest.raises(BenchmarkDataError) as info:
        BENCHMARKS[name].load(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line 3: ")
    assert problem in message
    assert (info.value.line, info.value.source) == (3, str(path))


@pytest.mark.parametrize(
    "line, problem",
    [
        ('{"unique_id": "x", "problem": ', "invalid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"unique_id": "x", "answer": NaN}', "invalid JSON"),
    ],
)
def test_unparseable_line(tmp_path, line, problem):
    path = _jsonl(tmp_path, "test.jsonl", [MATH500_OK, line])
    with pytest.raises(BenchmarkDataError, match=rf", line 2: {problem}"):
        BENCHMARKS["math500"].load(path)


def test_duplicate_id_names_both_lines(tmp_path):
    path = _jsonl(tmp_path, "test.jsonl", [MATH500_OK, MATH500_OK])
    with pytest.raises(BenchmarkDataError, match=r"line 2: duplicate id .* \(first at line 1\)"):
        BENCHMARKS["math500"].load(path)


def test_valid_edge_values_load(tmp_path):
    aime = _jsonl(
        tmp_path,
        "aime.jsonl",
        [AIME_OK, _second(AIME_OK, answer=0), _second(AIME_OK, id=99, answer="999")],
    )
    assert [e.gold for e in BENCHMARKS["aime24"].load(aime)] == [25, 0, 999]
    train = _jsonl(tmp_path, "train.jsonl", [{**MATH_TRAIN_OK, "answer": None}])
    assert BENCHMARKS["math_train"].load(train)[0].gold is None
    mmlu = BENCHMARKS["mmlu_pro_1k"].load(_jsonl(tmp_path, "m.jsonl", [MMLU_OK]))[0]
    assert (mmlu.id, mmlu.gold, mmlu.meta["options"]) == ("1", "B", ["w", "x", "y", "z"])


# -- TheoremQA: one JSON array, so positions are record indices ---------------------

THEOREMQA_CASES = [
    ({"Answer_type": "complex number"}, "unknown Answer_type 'complex number'"),
    ({"Answer_type": None}, "'Answer_type' must be a string"),
    ({"Answer": "3"}, "does not fit Answer_type 'integer'"),
    ({"Answer": 3.5}, "does not fit Answer_type 'integer'"),
    ({"Answer": True}, "does not fit Answer_type 'integer'"),
    ({"Answer": 1, "Answer_type": "bool"}, "does not fit Answer_type 'bool'"),
    ({"Answer": "0.5", "Answer_type": "float"}, "does not fit Answer_type 'float'"),
    ({"Answer": [1, 2.5], "Answer_type": "list of integer"}, "does not fit"),
    ({"Answer": [], "Answer_type": "list of float"}, "does not fit"),
    ({"Answer": "c", "Answer_type": "option"}, "does not fit Answer_type 'option'"),
    ({"Picture": 7}, "'Picture' must be a path or null"),
    ({"Question": ""}, "'Question' is empty"),
]


@pytest.mark.parametrize("changes, problem", THEOREMQA_CASES)
def test_theoremqa_bad_record_names_its_index(tmp_path, changes, problem):
    records = [
        THEOREMQA_OK,
        {**THEOREMQA_OK, "id": "t/1.json"},
        {**THEOREMQA_OK, "id": "t/2.json", **changes},
    ]
    path = tmp_path / "theoremqa_test.json"
    path.write_text(json.dumps(records, indent=1))
    with pytest.raises(BenchmarkDataError) as info:
        BENCHMARKS["theoremqa"].load(path)
    assert str(info.value).startswith(f"{path}, record 2 (0-based): ")
    assert problem in str(info.value)
    assert info.value.record == 2


def test_theoremqa_valid_types_keep_their_values(tmp_path):
    records = [
        {**THEOREMQA_OK, "id": "a", "Answer": 2.0, "Answer_type": "float"},
        {**THEOREMQA_OK, "id": "b", "Answer": False, "Answer_type": "bool"},
        {**THEOREMQA_OK, "id": "c", "Answer": [1, 2], "Answer_type": "list of integer"},
        {
            **THEOREMQA_OK,
            "id": "d",
            "Answer": "(b)",
            "Answer_type": "option",
            "Picture": "images/x.png",
        },
    ]
    path = tmp_path / "theoremqa_test.json"
    path.write_text(json.dumps(records))
    examples = BENCHMARKS["theoremqa"].load(path)
    assert [e.gold for e in examples] == [2.0, False, [1, 2], "(b)"]
    assert [e.meta["needs_picture"] for e in examples] == [False, False, False, True]
    assert examples[3].meta["picture"] == "images/x.png"


def test_theoremqa_broken_json_names_the_line(tmp_path):
    path = tmp_path / "theoremqa_test.json"
    text = json.dumps([THEOREMQA_OK, THEOREMQA_OK], indent=1)
    path.write_text(text.replace('"Answer_type"', "Answer_type", 1))  # unquoted key
    line = text[: text.index('"Answer_type"')].count("\n") + 1
    with pytest.raises(BenchmarkDataError, match=rf", line {line}: invalid JSON"):
        BENCHMARKS["theoremqa"].load(path)


def test_theoremqa_file_that_is_not_a_list(tmp_path):
    path = tmp_path / "theoremqa_test.json"
    path.write_text(json.dumps(THEOREMQA_OK))
    with pytest.raises(BenchmarkDataError, match="expected a JSON array"):
        BENCHMARKS["theoremqa"].load(path)


# -- parquet and unknown formats ------------------------------------------------------


def test_parquet_bad_row_names_its_index(tmp_path):
    import pyarrow as pa  # comes with datasets, a hard dependency
    import pyarrow.parquet as pq

    rows = [MMLU_OK, _second(MMLU_OK), _second(_second(MMLU_OK), answer="J")]
    path = tmp_path / "test-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(BenchmarkDataError, match=r"record 2 \(0-based\): field 'answer'"):
        BENCHMARKS["mmlu_pro"].load(path)
    assert [e.gold for e in BENCHMARKS["mmlu_pro"].load(path, limit=2)] == ["B", "B"]


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "test.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(BenchmarkDataError, match="unreadable parquet"):
        BENCHMARKS["mmlu_pro"].load(path)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("a,b\n")
    with pytest.raises(BenchmarkDataError, match=r"unsupported file type '\.csv'"):
        BENCHMARKS["math500"].load(path)
