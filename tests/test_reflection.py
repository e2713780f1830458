"""Reflection keyword statistics (paper §6): words, word boundaries, branching, coding."""

from __future__ import annotations

import json

import pytest

from longcot.reflection import (
    FEATURES,
    keyword_counts,
    reflection_from_jsonl,
    reflection_stats,
)


@pytest.mark.parametrize(
    "text,feature,count",
    [
        ("Wait, that is wrong. WAIT. wait", "wait", 3),  # any case
        ("I await the waiter while waiting", "wait", 0),  # whole words only
        ("Let me recheck. Re-check? rechecking", "recheck", 1),
        ("retry; Retry! retrying", "retry", 2),
        ("However, 3. however", "however", 2),
        ("Alternatively, x. or alternatively y", "alternatively", 2),
        # branching is "alternatively," only: a new branch, not a word inside a sentence
        ("Alternatively, x. or alternatively y", "branching", 1),
        ("ALTERNATIVELY, a. Alternatively , b", "branching", 1),
    ],
)
def test_keyword_counts(text, feature, count):
    assert keyword_counts(text)[feature] == count


@pytest.mark.parametrize(
    "text,coding",
    [
        ("Let me check:\n```python\nprint(2 + 2)\n```\nSo 4.", 1),
        ("  ```py\nx = 1\n```", 1),  # indented fence, short tag
        ("```Python3\nx = 1", 1),  # cut off at the cap: still code it chose to write
        ("```\nx = 1\n```", 0),  # no language tag
        ("```latex\nx\n```", 0),
        ("```pythonic\nx\n```", 0),
        ("I could write ```python inline", 0),  # not a fence at the start of a line
        ("no code", 0),
    ],
)
def test_coding_is_a_fenced_python_block(text, coding):
    assert keyword_counts(text)["coding"] == coding


def test_rates_and_means_over_responses():
    stats = reflection_stats(["wait wait", "Wait, however", "nothing"])
    assert stats["responses"] == 3
    assert stats["wait"] == {"rate": pytest.approx(2 / 3), "mean": pytest.approx(1.0)}
    assert stats["however"] == {"rate": pytest.approx(1 / 3), "mean": pytest.approx(1 / 3)}
    assert stats["retry"] == {"rate": 0.0, "mean": 0.0}
    assert set(stats) == {"responses", *FEATURES}


def test_empty_input_gives_zero_rates_not_nan():
    stats = reflection_stats([])
    assert stats["responses"] == 0 and stats["wait"]["rate"] == 0.0
    json.dumps(stats, allow_nan=False)


def test_from_jsonl(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        json.dumps({"response": "Wait."}) + "\n\n" + json.dumps({"response": "ok"}) + "\n"
    )
    assert reflection_from_jsonl(path)["wait"]["rate"] == 0.5
    path.write_text(json.dumps({"text": "Wait."}) + "\n")
    with pytest.raises(ValueError, match=r"r.jsonl:1: no string field 'response'"):
        reflection_from_jsonl(path)
