"""Equivalence of MATH-style answers: string, then numeric, then symbolic.

The cheap tiers decide most items (MATH-500: about two answers in three are
plain numbers); only what they cannot decide pays for a sympy parse. Before
any tier:

- a reference written with boxes (``\\boxed{12}``) is read like a response;
- Python/sympy syntax (``x**2``, ``Eq(a, b)``) is translated, or refused and
  compared as written (:mod:`syntax`), so Math-Verify never reads half of it;
- an equation answer ("2 + 3 = 5", "x = 5+5+1 = 11") against a reference
  that is not an equation is read by its last right-hand side, the convention
  Math-Verify and the MATH graders share.

Equations against equations are compared by :func:`structures.compare_equations`;
and Math-Verify's verdict counts only when it read the whole answer: a tuple,
list or equation it parsed as a single number is refused.
"""

from __future__ import annotations

from functools import lru_cache

from .evaluate import Unsupported
from .extract import boxed_answer
from .freeform import last_top_level_equals
from .normalize import normalize_math
from .numbers import numbers_equal, parse_number
from .structures import compare, compare_equations, equation_sides, parse_structure
from .symbolic import MAX_SYMBOLIC_CHARS, faithful, parse_gold, parse_pred, symbolic_equal
from .syntax import rewrite_python_syntax
from .verdict import Verdict

MAX_REPORTED_CHARS = 200
"""An over-long answer is cut to this many characters in its verdict, so one
runaway response cannot bloat a result file."""


def reference_answer(gold: str) -> str:
    """The answer a reference states: its boxes when it has any, else the text itself."""
    if "\\boxed" in gold or "\\fbox" in gold:
        found = boxed_answer(gold).answer
        if found:
            return found
    return gold


def _as_written(pred: str, gold: str, why: str) -> Verdict:
    same = normalize_math(pred) == normalize_math(gold)
    return Verdict("correct" if same else "incorrect", pred, f"compared as written: {why}")


@lru_cache(maxsize=4096)
def _normalize_reference(gold: str, drop_var_assignment: bool = True) -> str:
    # References repeat (k samples per problem, the same prompts across RL steps).
    return normalize_math(gold, drop_var_assignment=drop_var_assignment)


def compare_math(pred: str, gold: str) -> Verdict:
    """Grade an extracted answer ``pred`` against the reference ``gold``."""
    gold_rw, pred_rw = rewrite_python_syntax(reference_answer(gold)), rewrite_python_syntax(pred)
    gold, reported, pred = gold_rw.text, pred, pred_rw.text
    gold_norm = _normalize_reference(gold)
    if not gold_norm:
        return Verdict("bad_gold", reported, "reference answer is empty")
    if gold_rw.refused or pred_rw.refused:
        return _as_written(reported, gold, gold_rw.refused or pred_rw.refused or "")

    pred_norm = normalize_math(pred)
    if not pred_norm:
        return Verdict("incorrect", reported, "extracted answer is empty")
    if pred_norm == gold_norm:
        return Verdict("correct", reported, "normalised strings equal")

    if "=" in gold or "=" in pred:
        gold_eq = _normalize_reference(gold, drop_var_assignment=False)
        pred_eq = normalize_math(pred, drop_var_assignment=False)
        gold_is_equation = equation_sides(gold_eq) is not None
        if gold_is_equation and equation_sides(pred_eq) is not None:
            try:
                decided = compare_equations(gold_eq, pred_eq)
            except Unsupported:
                decided = None
            if decided is not None:
                status = "correct" if decided else "incorrect"
                return Verdict(status, reported, "equations compared")
        elif not gold_is_equation and "=" not in gold_norm:
            at = last_top_level_equals(pred_norm)
            if at is not None and pred_norm[at + 1 :]:
                pred_norm = pred_norm[at + 1 :]  # "2+3=5" against "5": the stated value
                raw_at = last_top_level_equals(pred)
                pred = pred[raw_at + 1 :] if raw_at is not None else pred
                if pred_norm == gold_norm:
                    return Verdict("correct", reported, "normalised strings equal")

    gold_num, pred_num = parse_number(gold_norm), parse_number(pred_norm)
    if gold_num is not None and pred_num is not None:
        if numbers_equal(gold_num, pred_num):
            return Verdict("correct", reported, "numbers equal")
        return Verdict("incorrect", reported, "numbers differ")

    if "\\text" not in gold and "\\text" not in pred:
        try:
            decided = compare(parse_structure(gold_norm), parse_structure(pred_norm))
        except Unsupported:
            decided = None
        if decided is not None:
            status = "correct" if decided else "incorrect"
            return Verdict(status, reported, "evaluated numerically")

    if len(pred) > MAX_SYMBOLIC_CHARS:
        return Verdict(
            "incorrect",
            reported[:MAX_REPORTED_CHARS],
            f"answer longer than {MAX_SYMBOLIC_CHARS} characters",
        )
    gold_parsed = parse_gold(gold)
    if not gold_parsed:
        # A reference sympy cannot read is still comparable as text, which
        # already failed above, so the verdict is "incorrect", not "bad_gold".
        return Verdict("incorrect", reported, "reference not parseable; strings differ")
    if not faithful(gold_norm, gold_parsed):
        return Verdict("incorrect", reported, "reference not read whole by Math-Verify")
    pred_parsed = parse_pred(pred)
    if not pred_parsed:
        return Verdict("incorrect", reported, "answer not parseable")
    if not faithful(pred_norm, pred_parsed):
        return Verdict("incorrect", reported, "answer not read whole by Math-Verify")
    if symbolic_equal(gold_parsed, pred_parsed):
        return Verdict("correct", reported, "symbolically equal")
    return Verdict("incorrect", reported, "symbolically different")
