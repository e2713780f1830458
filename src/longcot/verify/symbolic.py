"""Symbolic comparison through Math-Verify, run only inside grader workers.

Math-Verify parses LaTeX and plain expressions without ``eval`` (its
expression path admits only digits and arithmetic symbols, DESIGN.md §5) and
compares with sympy. Its own timeouts use ``signal.alarm``, which fails off the
main thread and cannot interrupt C-level arithmetic, so we switch them off
(``None``) and rely on the parent process killing the worker instead
(``longcot.verify.pool``).

Gold answers repeat (k samples per problem, the same prompt across RL steps),
so their parses are cached per worker.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

# Math-Verify logs a warning on every call with timeouts disabled; we disable
# them on purpose (see module docstring).
logging.getLogger("math_verify").setLevel(logging.ERROR)

_EXTRACTION = (LatexExtractionConfig(), ExprExtractionConfig())

# Longer answers are compared as normalised strings only: a sympy parse of a
# 1 MB string would only burn the time limit. The longest MATH-train answer
# is 159 characters.
MAX_SYMBOLIC_CHARS = 1000


def _parse(text: str) -> list[Any]:
    # ``$...$`` makes Math-Verify read the whole string as one LaTeX answer.
    return parse(f"${text}$", extraction_config=list(_EXTRACTION), parsing_timeout=None)


@lru_cache(maxsize=4096)
def parse_gold(text: str) -> tuple[Any, ...]:
    return tuple(_parse(text))


def parse_pred(text: str) -> list[Any]:
    return _parse(text)


def symbolic_equal(gold: tuple[Any, ...] | list[Any], pred: list[Any]) -> bool:
    """Math-Verify's verdict; gold and prediction by keyword (it is not symmetric)."""
    return verify(gold=list(gold), target=pred, timeout_seconds=None)


def _has_several_items(text: str) -> bool:
    """Whether a normalised answer lists several values: ``(a, b)``, ``\\{a, b\\}``, ``a, b``."""
    from .structures import _split_top_level

    t = text.strip()
    if t.startswith("\\{") and t.endswith("\\}"):
        t = t[2:-2]
    elif t[:1] in "([" and t[-1:] in ")]":
        t = t[1:-1]
    return len(_split_top_level(t, ",")) > 1


def faithful(text: str, parsed: tuple[Any, ...] | list[Any]) -> bool:
    """Whether Math-Verify's parse covers the whole answer ``text`` (normalised).

    Its LaTeX parser stops at what it cannot read and keeps the rest: ``(x**2, 1)``
    parses as ``1`` and ``x**2 + 1 = 0`` as ``0``, and two different answers
    then compare equal. A list of values must parse as a tuple, set, interval
    or matrix, and an equation as a relation; otherwise the parse is refused.
    """
    import sympy
    from sympy.core.relational import Relational
    from sympy.logic.boolalg import BooleanFunction

    first = parsed[0]
    if isinstance(first, str):
        return True  # Math-Verify's own string fallback: compared as text
    if _has_several_items(text):
        return isinstance(first, sympy.Tuple | sympy.Set | sympy.MatrixBase | list | tuple)
    if "=" in text:
        return isinstance(first, Relational | BooleanFunction | sympy.Set)
    return True


def to_float(text: str) -> float | None:
    """Numeric value of an expression such as ``\\sqrt{2}/2`` or ``3\\pi``, or None."""
    import sympy

    for item in parse_pred(text):
        if isinstance(item, sympy.Basic) and not item.free_symbols:
            try:
                value = complex(item.evalf(30))
            except (TypeError, ValueError, ArithmeticError):
                continue
            if value.imag == 0:
                return value.real
    return None
