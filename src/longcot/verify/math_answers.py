"""Equivalence of MATH-style answers: string, then numeric, then symbolic.

The cheap tiers decide most items (MATH-500: about two answers in three are
plain numbers); only what they cannot decide pays for a sympy parse.
"""

from __future__ import annotations

from .evaluate import Unsupported
from .normalize import normalize_math
from .numbers import numbers_equal, parse_number
from .structures import compare, parse_structure
from .symbolic import MAX_SYMBOLIC_CHARS, parse_gold, parse_pred, symbolic_equal
from .verdict import Verdict


def compare_math(pred: str, gold: str) -> Verdict:
    """Grade an extracted answer ``pred`` against the reference ``gold``."""
    gold_norm = normalize_math(gold)
    if not gold_norm:
        return Verdict("bad_gold", pred, "reference answer is empty")
    pred_norm = normalize_math(pred)
    if not pred_norm:
        return Verdict("incorrect", pred, "extracted answer is empty")
    if pred_norm == gold_norm:
        return Verdict("correct", pred, "normalised strings equal")

    gold_num, pred_num = parse_number(gold_norm), parse_number(pred_norm)
    if gold_num is not None and pred_num is not None:
        if numbers_equal(gold_num, pred_num):
            return Verdict("correct", pred, "numbers equal")
        return Verdict("incorrect", pred, "numbers differ")

    if "\\text" not in gold and "\\text" not in pred:
        try:
            decided = compare(parse_structure(gold_norm), parse_structure(pred_norm))
        except Unsupported:
            decided = None
        if decided is not None:
            status = "correct" if decided else "incorrect"
            return Verdict(status, pred, "evaluated numerically")

    if len(pred) > MAX_SYMBOLIC_CHARS:
        return Verdict(
            "incorrect", pred[:200], f"answer longer than {MAX_SYMBOLIC_CHARS} characters"
        )
    gold_parsed = parse_gold(gold)
    if not gold_parsed:
        # A reference sympy cannot read is still comparable as text, which
        # already failed above, so the verdict is "incorrect", not "bad_gold".
        return Verdict("incorrect", pred, "reference not parseable; strings differ")
    pred_parsed = parse_pred(pred)
    if not pred_parsed:
        return Verdict("incorrect", pred, "answer not parseable")
    if symbolic_equal(gold_parsed, pred_parsed):
        return Verdict("correct", pred, "symbolically equal")
    return Verdict("incorrect", pred, "symbolically different")
