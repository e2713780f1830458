"""Parse plain numbers without ``eval``: the numeric fast path.

Most answers in MATH, AIME and TheoremQA are integers, decimals, fractions or
percentages. Recognising those with a few anchored regexes and comparing them
as exact ``Fraction``s costs microseconds, against ~1.5 ms for a sympy parse.
Anything not matched returns None and goes on to Math-Verify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_INT = r"[+-]?\d+"
_SCI_E = re.compile(rf"^({_NUM})[eE]({_INT})$")
_SCI_TIMES = re.compile(rf"^({_NUM})(?:\\times|\\cdot|\*|×)10\^\{{?({_INT})\}}?$")
_PLAIN = re.compile(rf"^{_NUM}$")
_LATEX_FRAC = re.compile(rf"^([+-]?)\\frac\{{({_NUM})\}}\{{({_NUM})\}}$")
_SLASH_FRAC = re.compile(rf"^({_NUM})/({_NUM})$")
# "137\frac{1}{2}" is the mixed number 137 + 1/2 in MATH answers.
_MIXED = re.compile(r"^([+-]?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$")
_PERCENT = re.compile(r"^(.*?)\\?%$")
MAX_NUMBER_CHARS = 64
"""Longer text is not tried as a plain number (a 64-digit integer is far beyond any
benchmark answer); it goes on to the evaluator and the symbolic tier."""
MAX_DECIMAL_EXPONENT = 400
"""``1e400`` is parsed; ``1e1000000`` is not (an exact Fraction of it would take seconds)."""
# Absolute tolerance scale for comparing a decimal with a value it approximates
# ("0.3333333" for 1/3): Math-Verify rounds to 6 decimals by default.
REL_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Number:
    """A parsed number: its exact value, and whether it was written with a ``%``."""

    value: Fraction
    percent: bool = False


def _to_fraction(text: str) -> Fraction | None:
    m = _PLAIN.match(text)
    if m:
        return Fraction(text)
    m = _LATEX_FRAC.match(text)
    if m:
        den = Fraction(m.group(3))
        if den == 0:
            return None
        value = Fraction(m.group(2)) / den
        return -value if m.group(1) == "-" else value
    m = _SLASH_FRAC.match(text)
    if m:
        den = Fraction(m.group(2))
        return None if den == 0 else Fraction(m.group(1)) / den
    m = _MIXED.match(text)
    if m:
        if int(m.group(4)) == 0:  # "4 4/0" has no value (and is not 4 or 8)
            return None
        value = int(m.group(2)) + Fraction(int(m.group(3)), int(m.group(4)))
        return -value if m.group(1) == "-" else value
    for pattern in (_SCI_E, _SCI_TIMES):
        m = pattern.match(text)
        if m:
            exponent = int(m.group(2))
            if abs(exponent) > MAX_DECIMAL_EXPONENT:
                return None
            return Fraction(m.group(1)) * Fraction(10) ** exponent
    return None


def parse_number(text: str) -> Number | None:
    """Parse a normalised answer (see ``normalize``) as a number, or return None.

    >>> parse_number("\\\\frac{3}{4}")
    Number(value=Fraction(3, 4), percent=False)
    >>> parse_number("12.5%").value
    Fraction(25, 2)
    """
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    text = text.replace(" ", "").replace(",", "") if _looks_grouped(text) else text.replace(" ", "")
    percent = False
    m = _PERCENT.match(text)
    if m:
        text, percent = m.group(1), True
    value = _to_fraction(text)
    return None if value is None else Number(value, percent)


def _looks_grouped(text: str) -> bool:
    # "12,345" and "1,234,567" are thousands separators; "1,2" is a list.
    return re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text) is not None


def close(a: Fraction, b: Fraction, rel_tol: float = REL_TOL) -> bool:
    """Exact equality, or agreement within ``rel_tol`` (relative, floored at 1)."""
    if a == b:
        return True
    return abs(a - b) <= Fraction(rel_tol) * max(1, abs(a), abs(b))


def numbers_equal(gold: Number, pred: Number, rel_tol: float = REL_TOL) -> bool:
    """Compare two numbers; a percent on either side may be read either way.

    "25%" equals both 25 and 0.25, the convention of MATH and Math-Verify: a
    reference written "25\\%" accepts "25" and "0.25".
    """
    if close(gold.value, pred.value, rel_tol):
        return True
    if gold.percent or pred.percent:
        hundred = Fraction(100)
        if pred.percent and close(gold.value, pred.value / hundred, rel_tol):
            return True
        if gold.percent and close(gold.value / hundred, pred.value, rel_tol):
            return True
    return False
