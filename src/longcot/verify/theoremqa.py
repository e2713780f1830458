"""TheoremQA's typed answers: integer, float, bool, lists, options.

Comparison rules follow the official scorer (TIGER-AI-Lab/TheoremQA,
``utils.compare_answer_with_groundtruth``) so published numbers stay
comparable, without its ``eval`` of model text:

- integer: the prediction rounded to the nearest integer equals the gold;
- float: within a relative tolerance of 4 % of the gold (``within_eps``);
- list of integer / float: same length, and the sorted lists agree element
  by element under the rules above (the official scorer sorts both);
- bool: true/false, yes/no, correct/incorrect;
- option: the letter of "(a)".."(f)".
"""

from __future__ import annotations

import math
import re

from .normalize import normalize_math, strip_math_delimiters
from .numbers import parse_number
from .symbolic import MAX_SYMBOLIC_CHARS, to_float
from .verdict import Verdict

ANSWER_TYPES = ("integer", "float", "bool", "list of integer", "list of float", "option")
FLOAT_REL_TOL = 0.04  # official within_eps: |pred - gt| <= 0.04 * |gt|

_TRUE = {"true", "yes", "correct", "t", "y"}
_FALSE = {"false", "no", "incorrect", "f", "n"}
_TEXT_WRAP = re.compile(r"\\text(?:bf)?\{([^{}]*)\}")
_OPTION = re.compile(r"^\(?\s*([a-fA-F])\s*\)?(?:$|[.:\s])")


def _number_value(text: str) -> float | None:
    """A prediction's numeric value: plain number first, then sympy evaluation."""
    norm = normalize_math(text)
    num = parse_number(norm)
    if num is not None:
        value = float(num.value)
        return value / 100 if num.percent else value
    if len(text) > MAX_SYMBOLIC_CHARS:
        return None
    return to_float(strip_math_delimiters(text))


def _percent_aware_values(text: str) -> list[float]:
    """Candidate readings: "25%" may mean 0.25 or 25 (TheoremQA golds use both)."""
    value = _number_value(text)
    if value is None:
        return []
    if "%" in text:
        return [value, value * 100]
    return [value]


def _number_matches(pred: float, gold: float, integer: bool) -> bool:
    if math.isnan(pred) or math.isinf(pred):
        return False
    if integer:
        return round(pred) == gold
    return abs(pred - gold) <= FLOAT_REL_TOL * abs(gold)


def _split_list(text: str) -> list[str] | None:
    s = strip_math_delimiters(text).replace("\\left", "").replace("\\right", "")
    s = s.strip()
    if s[:1] in "[(" and s[-1:] in "])":
        s = s[1:-1]
    elif s.startswith("\\{") and s.endswith("\\}"):
        s = s[2:-2]
    parts = [p.strip() for p in s.split(",")]
    return parts if all(parts) else None


def _grade_bool(pred: str, gold) -> Verdict:
    gold_value = gold if isinstance(gold, bool) else str(gold).strip().lower() in _TRUE
    word = _TEXT_WRAP.sub(r"\1", strip_math_delimiters(pred)).strip().strip(".*").lower()
    if word in _TRUE:
        value = True
    elif word in _FALSE:
        value = False
    else:
        return Verdict("incorrect", pred, "answer is not true/false")
    return Verdict("correct" if value == gold_value else "incorrect", pred, "booleans compared")


def _grade_option(pred: str, gold) -> Verdict:
    gold_letter = str(gold).strip().strip("()").lower()
    m = _OPTION.match(_TEXT_WRAP.sub(r"\1", strip_math_delimiters(pred)).strip())
    if not m:
        return Verdict("incorrect", pred, "answer is not an option letter")
    same = m.group(1).lower() == gold_letter
    return Verdict("correct" if same else "incorrect", pred, "options compared")


def _grade_number(pred: str, gold, integer: bool) -> Verdict:
    candidates = _percent_aware_values(pred)
    if not candidates:
        return Verdict("incorrect", pred, "answer is not a number")
    ok = any(_number_matches(c, float(gold), integer) for c in candidates)
    rule = "rounded integers" if integer else f"within {FLOAT_REL_TOL:.0%}"
    return Verdict("correct" if ok else "incorrect", pred, f"numbers compared ({rule})")


def _grade_list(pred: str, gold, integer: bool) -> Verdict:
    parts = _split_list(pred)
    if parts is None:
        return Verdict("incorrect", pred, "answer is not a list")
    if len(parts) != len(gold):
        return Verdict("incorrect", pred, f"list has {len(parts)} items, reference {len(gold)}")
    values = [_number_value(p) for p in parts]
    if any(v is None for v in values):
        return Verdict("incorrect", pred, "list item is not a number")
    ok = all(
        _number_matches(p, float(g), integer)
        for p, g in zip(sorted(values), sorted(gold), strict=True)
    )
    return Verdict("correct" if ok else "incorrect", pred, "sorted lists compared")


def grade_theoremqa(pred: str, gold, answer_type: str | None) -> Verdict:
    """Compare an extracted answer with a typed TheoremQA reference."""
    if answer_type not in ANSWER_TYPES:
        return Verdict(
            "bad_gold", pred, f"answer_type {answer_type!r} is not one of {ANSWER_TYPES}"
        )
    if gold is None:
        return Verdict("bad_gold", pred, "reference answer is missing")
    if answer_type == "bool":
        return _grade_bool(pred, gold)
    if answer_type == "option":
        return _grade_option(pred, gold)
    if answer_type.startswith("list"):
        if not isinstance(gold, list | tuple):
            return Verdict("bad_gold", pred, f"{answer_type} reference is not a list: {gold!r}")
        return _grade_list(pred, gold, integer=answer_type == "list of integer")
    if not isinstance(gold, int | float) or isinstance(gold, bool):
        try:
            gold = float(gold)
        except (TypeError, ValueError):
            return Verdict("bad_gold", pred, f"{answer_type} reference is not a number: {gold!r}")
    return _grade_number(pred, gold, integer=answer_type == "integer")
