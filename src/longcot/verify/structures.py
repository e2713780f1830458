"""Answers made of several values: tuples, intervals, sets, matrices.

Parsed on top of :mod:`evaluate`, so ``(6, 31, -1)`` vs ``(31, 6, -1)`` or a
3×1 ``pmatrix`` is decided without sympy. Order semantics follow
Math-Verify and the MATH conventions:

- ``(a, b)`` / ``[a, b)`` etc.: ordered, and the brackets must match (as a
  point or as an interval, ``(1, 2)`` differs from ``[1, 2]``);
- ``\\{a, b\\}`` and a bare ``a, b`` list: unordered (sets of solutions);
- matrices: same shape, element by element;
- unions of intervals (``(0,9) \\cup (9,36)``): the same intervals in any
  order; ``\\infty`` only as an interval end;
- equations (:func:`compare_equations`): ``a = b`` equals ``c = d`` when
  ``a - b`` is a non-zero constant multiple of ``c - d`` (``2x+4y-3=0`` and
  ``y=-\\frac{1}{2}x+\\frac{3}{4}``), checked at the evaluator's three
  generic points. Math-Verify decides equations by solving them and
  compares complex roots by their real parts only, so ``x^2+5=0`` and
  ``x^2+1=0`` come out equal there; equations the evaluator reads never
  reach it.

:func:`compare` returns None when it cannot decide, and the caller asks
Math-Verify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .evaluate import Expression, Unsupported, close, infinity, parse_expression

Kind = Literal["scalar", "ordered", "set", "matrix", "union"]
_MATRIX_ENVS = ("pmatrix", "bmatrix", "matrix", "vmatrix", "Bmatrix", "array")
_ARRAY_SPEC = re.compile(r"\{[lcr|\s]*\}")  # \begin{array}{cc}: the column spec


@dataclass(frozen=True)
class Structure:
    kind: Kind
    items: tuple[Expression, ...]
    brackets: str = ""  # "()" "[)" ... for ordered; "" otherwise
    shape: tuple[int, int] = (1, 1)
    parts: tuple[Structure, ...] = ()  # the intervals of a union


def _split_top_level(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and text.startswith(sep, i) and sep.startswith("\\"):
            if depth == 0:
                parts.append(text[start:i])
                start = i + len(sep)
            i += len(sep)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _matrix(text: str) -> Structure | None:
    for env in _MATRIX_ENVS:
        begin, end = f"\\begin{{{env}}}", f"\\end{{{env}}}"
        if text.startswith(begin) and text.endswith(end):
            body = text[len(begin) : -len(end)]
            if "\\begin{" in body or "\\end{" in body:
                raise Unsupported("several matrices (a sum or product)")
            if env == "array":
                spec = _ARRAY_SPEC.match(body)
                body = body[spec.end() :] if spec else body
            rows = [r for r in _split_top_level(body, "\\\\") if r]
            cells = [_split_top_level(r, "&") for r in rows]
            if not cells or len({len(r) for r in cells}) != 1:
                raise Unsupported("ragged matrix")
            items = tuple(parse_expression(c) for row in cells for c in row)
            return Structure("matrix", items, shape=(len(cells), len(cells[0])))
    return None


def _item(text: str) -> Expression:
    if text in ("\\infty", "+\\infty", "-\\infty"):
        return infinity(-1 if text.startswith("-") else 1)
    return parse_expression(text)


def parse_structure(text: str) -> Structure:
    """Parse a normalised answer; raise :class:`Unsupported` outside the subset."""
    text = text.strip()
    if not text:
        raise Unsupported("empty")
    pieces = _split_top_level(text, "\\cup")
    if len(pieces) > 1:
        parts = tuple(parse_structure(p) for p in pieces)
        if any(p.kind != "ordered" or len(p.items) != 2 for p in parts):
            raise Unsupported("union of something other than intervals")
        items = tuple(i for p in parts for i in p.items)
        return Structure("union", items, parts=parts)
    if text[:1] in "([" and text[-1:] in ")]" and text[1:].lstrip().startswith("\\begin{"):
        text = text[
            1:-1
        ].strip()  # "\left[\begin{array}...\end{array}\right]": brackets of a matrix
    if text.startswith("\\begin{"):
        matrix = _matrix(text)
        if matrix is None:
            raise Unsupported("unknown environment")
        return matrix
    if text.startswith("\\{") and text.endswith("\\}"):
        parts = _split_top_level(text[2:-2], ",")
        return Structure("set", tuple(parse_expression(p) for p in parts))
    if text[0] in "([" and text[-1] in ")]":
        parts = _split_top_level(text[1:-1], ",")
        if len(parts) > 1 and all(parts):
            items = tuple(_item(p) for p in parts)
            return Structure("ordered", items, brackets=text[0] + text[-1])
    parts = _split_top_level(text, ",")
    if len(parts) > 1:
        if not all(parts):
            raise Unsupported("empty list item")
        return Structure("set", tuple(parse_expression(p) for p in parts))
    return Structure("scalar", (parse_expression(text),))


def _same_values(a: Expression, b: Expression) -> bool | None:
    if a.variables != b.variables:
        if a.variables and b.variables:
            return None  # x vs y: leave renamings and equations to sympy
        # A constant equals a variable expression only if the latter is
        # constant; if it varies between points, they differ.
        varying = a if a.variables else b
        values = varying.values()
        if not all(close(values[0], v) for v in values[1:]):
            return False
        return None
    va, vb = a.values(), b.values()
    return all(close(x, y) for x, y in zip(va, vb, strict=True))


def _unordered_equal(a: tuple[Expression, ...], b: tuple[Expression, ...]) -> bool | None:
    # Sets: every element of each side matches some element of the other.
    def covered(xs, ys) -> bool | None:
        for x in xs:
            results = [_same_values(x, y) for y in ys]
            if True in results:
                continue
            if None in results:
                return None
            return False
        return True

    first = covered(a, b)
    if first is not True:
        return first
    return covered(b, a)


def compare(gold: Structure, pred: Structure) -> bool | None:
    """True/False when decided, None when only a symbolic comparison can tell."""
    if gold.kind != pred.kind:
        if "scalar" in (gold.kind, pred.kind):
            scalar, multi = (gold, pred) if gold.kind == "scalar" else (pred, gold)
            if multi.kind == "set":
                # "75, 75" is the set {75}, which Math-Verify equates with 75.
                first = multi.items[0]
                if all(_same_values(first, other) is True for other in multi.items[1:]):
                    return _same_values(scalar.items[0], first)
            # A number never equals a tuple, an interval or two distinct values.
            return False if len(multi.items) > 1 else None
        return None
    if gold.kind == "scalar":
        return _same_values(gold.items[0], pred.items[0])
    if gold.kind == "set":
        return _unordered_equal(gold.items, pred.items)
    if gold.kind == "union":
        # Equal when the same intervals appear in any order; other splits of
        # the same set ((0,2]∪(2,4) vs (0,4)) are left to sympy.
        if len(gold.parts) != len(pred.parts):
            return None
        unmatched = list(pred.parts)
        for part in gold.parts:
            match = next((q for q in unmatched if compare(part, q) is True), None)
            if match is None:
                return None
            unmatched.remove(match)
        return True
    if gold.kind == "matrix" and gold.shape != pred.shape:
        return False
    if gold.kind == "ordered":
        if len(gold.items) != len(pred.items):
            return False
        if gold.brackets != pred.brackets:
            return None  # "(1,2)" point vs "[1,2]" interval: let sympy say
    results = [_same_values(g, p) for g, p in zip(gold.items, pred.items, strict=True)]
    if False in results:
        return False
    return None if None in results else True


def equation_sides(text: str) -> tuple[str, str] | None:
    """``(lhs, rhs)`` of a normalised equation, or None if ``text`` is not one.

    A chain ``x = 5+5+1 = 11`` keeps its first and last sides when it starts
    with a variable (an assignment, as Math-Verify reads it); any other chain,
    or an equation mixed with ``<`` / ``\\leq`` ..., is not decided here.
    """
    parts = _split_top_level(text, "=")
    if len(parts) < 2 or not all(parts):
        return None
    if any(op in text for op in ("<", ">", "\\leq", "\\geq", "\\ne", "\\approx")):
        return None
    if len(parts) > 2 and not re.fullmatch(r"[A-Za-z](?:_\{?\w+\}?)?", parts[0]):
        return None
    return parts[0], parts[-1]


def _difference(sides: tuple[str, str]) -> Expression:
    lhs, rhs = parse_expression(sides[0]), parse_expression(sides[1])
    return Expression(("sub", lhs.tree, rhs.tree), lhs.variables | rhs.variables)


def compare_equations(gold: str, pred: str) -> bool | None:
    """Whether two normalised equations are the same up to a non-zero factor; None if undecided.

    Raises :class:`Unsupported` when a side is outside the evaluator's subset.
    """
    gold_sides, pred_sides = equation_sides(gold), equation_sides(pred)
    if gold_sides is None or pred_sides is None:
        return None
    g, p = _difference(gold_sides), _difference(pred_sides)
    if g.variables != p.variables or not g.variables:
        return None  # renamed variables, or no variable at all: let sympy say
    vg, vp = g.values(), p.values()
    g_zero = all(close(v, 0) for v in vg)
    p_zero = all(close(v, 0) for v in vp)
    if g_zero or p_zero:
        return g_zero and p_zero  # an identity equals only an identity
    k = max(range(len(vp)), key=lambda i: abs(vp[i]))
    ratio = vg[k] / vp[k]
    return all(close(a, ratio * b) for a, b in zip(vg, vp, strict=True))
