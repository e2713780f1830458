"""A safe numeric evaluator for a small LaTeX arithmetic subset.

This is the second fast path of math grading (after exact numbers): answers
such as ``3\\sqrt{13}``, ``\\frac{20000}{\\pi}``, ``(6, 31, -1)``,
``x^2+7x+10`` or a ``pmatrix`` of numbers are evaluated to complex floats in
microseconds. Expressions with variables are compared at fixed pseudo-random
points (polynomial identity testing: two different expressions agreeing at
several generic points is vanishingly unlikely), so most pairs never reach
sympy, whose parse alone costs ~1.5 ms.

Anything outside the subset (``\\cup``, ``\\infty``, ``\\pm``, subscripts,
equations, text) makes :func:`parse_structure` return None, and the caller
falls back to Math-Verify. The parser is a bounded recursive descent over a
token list: no ``eval``, depth capped at ``MAX_DEPTH``, length capped by the
caller, and overflowing arithmetic raises instead of hanging.
"""

from __future__ import annotations

import cmath
import re
from dataclasses import dataclass

MAX_DEPTH = 64
MAX_CHARS = 400
REL_TOL = 1e-6
# Generic evaluation points for variables: irrational-looking, away from the
# integers and small fractions where different expressions often coincide.
# Three points: two expressions must agree at all of them, and an equation's
# two sides must stay in one ratio at all of them (``structures``), which a
# single point cannot test.
_POINTS = (
    (0.5772156649, 1.3247179572, 0.7390851332),
    (1.6180339887, 0.3678794412, 2.2360679775),
    (1.2020569032, 2.6854520011, 0.4142135624),
)
# Bounds on ``a ** b`` before computing it: an exponent above MAX_EXPONENT, or
# a base above MAX_POWER_BASE raised past MAX_EXPONENT_OF_LARGE_BASE, would
# overflow a float or take seconds as a complex power, and no MATH-style
# answer needs it (the largest exponent in a MATH-train answer is 4,950); such
# answers go to the symbolic tier, whose time limit the worker pool enforces.
MAX_EXPONENT = 10_000
MAX_POWER_BASE = 1e6
MAX_EXPONENT_OF_LARGE_BASE = 100

_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|\\[a-zA-Z]+|\\[{}]|[a-zA-Z]|[-+*/^(){}\[\],&]|\\\\)")
_FUNCS = {
    "\\sin": cmath.sin,
    "\\cos": cmath.cos,
    "\\tan": cmath.tan,
    "\\cot": lambda z: 1 / cmath.tan(z),
    "\\sec": lambda z: 1 / cmath.cos(z),
    "\\csc": lambda z: 1 / cmath.sin(z),
    "\\ln": cmath.log,
    "\\log": cmath.log,
    "\\exp": cmath.exp,
    "\\arcsin": cmath.asin,
    "\\arccos": cmath.acos,
    "\\arctan": cmath.atan,
}
_GREEK = {
    "\\alpha",
    "\\beta",
    "\\gamma",
    "\\theta",
    "\\phi",
    "\\varphi",
    "\\lambda",
    "\\mu",
    "\\omega",
    "\\sigma",
    "\\rho",
    "\\tau",
}
_MULT = {"*", "\\cdot", "\\times"}
_DIV = {"/", "\\div"}


class Unsupported(Exception):
    """The text is outside the evaluator's subset; use the symbolic path."""


# AST nodes are tuples: ("num", complex) | ("var", name) | ("neg", a)
# | ("add"|"sub"|"mul"|"div"|"pow", a, b) | ("fn", name, a) | ("sqrt", a, n)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.toks = tokens
        self.pos = 0
        self.depth = 0
        self.variables: set[str] = set()

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise Unsupported(f"expected {expected!r}, got {tok!r}")
        self.pos += 1
        return tok

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported("nesting too deep")

    def expr(self) -> tuple:
        self._enter()
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = ("add" if op == "+" else "sub", node, self.term())
        self.depth -= 1
        return node

    def term(self) -> tuple:
        node = self.unary()
        while True:
            tok = self.peek()
            if tok in _MULT:
                self.take()
                node = ("mul", node, self.unary())
            elif tok in _DIV:
                self.take()
                node = ("div", node, self.unary())
            elif tok is not None and self._starts_factor(tok):
                node = ("mul", node, self.power())  # implicit: 2x, 3\sqrt{2}, 2(x+1)
            else:
                return node

    @staticmethod
    def _starts_factor(tok: str) -> bool:
        return (
            tok[0].isdigit()
            or tok[0] == "."
            or tok.isalpha()
            or tok in ("(", "{", "\\pi", "\\frac", "\\sqrt")
            or tok in _FUNCS
            or tok in _GREEK
        )

    def unary(self) -> tuple:
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> tuple:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            if self.peek() == "{":
                exponent = self.group()
            else:
                tok = self.take()
                if tok[0].isdigit() and len(tok) > 1 and "." not in tok:
                    # x^23 in LaTeX is x^2 followed by 3.
                    self.toks.insert(self.pos, tok[1:])
                    tok = tok[0]
                exponent = self._single(tok)
            return ("pow", base, exponent)
        return base

    def group(self) -> tuple:
        self.take("{")
        node = self.expr()
        self.take("}")
        return node

    def _single(self, tok: str) -> tuple:
        if tok[0].isdigit() or tok[0] == ".":
            return ("num", complex(float(tok)))
        if tok.isalpha() and len(tok) == 1:
            return self._letter(tok)
        if tok == "\\pi":
            return ("num", complex(cmath.pi))
        if tok in _GREEK:
            self.variables.add(tok)
            return ("var", tok)
        raise Unsupported(f"token {tok!r}")

    def _letter(self, tok: str) -> tuple:
        if tok == "i":
            return ("num", 1j)
        self.variables.add(tok)
        return ("var", tok)

    def atom(self) -> tuple:
        self._enter()
        tok = self.take()
        if tok == "(":
            node = self.expr()
            self.take(")")
        elif tok == "{":
            self.pos -= 1
            node = self.group()
        elif tok == "\\frac":
            node = ("div", self.group(), self.group())
        elif tok == "\\sqrt":
            index = ("num", 2 + 0j)
            if self.peek() == "[":
                self.take("[")
                index = self.expr()
                self.take("]")
            node = ("sqrt", self.group(), index)
        elif tok in _FUNCS:
            if self.peek() == "^":  # \sin^2 x
                raise Unsupported("powers of functions")
            node = ("fn", tok, self.power())
        else:
            node = self._single(tok)
        self.depth -= 1
        return node


def _eval(node: tuple, env: dict[str, complex]) -> complex:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        return env[node[1]]
    if kind == "neg":
        return -_eval(node[1], env)
    if kind == "fn":
        return _FUNCS[node[1]](_eval(node[2], env))
    if kind == "sqrt":
        radicand, index = _eval(node[1], env), _eval(node[2], env)
        if index == 2:
            return cmath.sqrt(radicand)
        if radicand.imag == 0 and radicand.real < 0 and index.imag == 0 and index.real % 2 == 1:
            return -((-radicand.real) ** (1 / index.real))  # real odd root
        return radicand ** (1 / index)
    a, b = _eval(node[1], env), _eval(node[2], env)
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "div":
        return a / b
    if abs(b) > MAX_EXPONENT or (abs(a) > MAX_POWER_BASE and abs(b) > MAX_EXPONENT_OF_LARGE_BASE):
        raise Unsupported("power too large to evaluate")
    return a**b


@dataclass(frozen=True)
class Expression:
    """A parsed scalar expression and the variables it uses."""

    tree: tuple
    variables: frozenset[str]

    def values(self) -> tuple[complex, ...]:
        """Value at each evaluation point (one value when there are no variables)."""
        names = sorted(self.variables)
        if len(names) > len(_POINTS[0]):
            raise Unsupported("too many variables")
        points = _POINTS if names else _POINTS[:1]
        try:
            return tuple(_eval(self.tree, dict(zip(names, p, strict=False))) for p in points)
        except (ZeroDivisionError, OverflowError, ValueError) as e:
            raise Unsupported(str(e)) from e


def _mixed_numbers(tokens: list[str]) -> list[str]:
    """``15\\frac{39}{40}`` is the mixed number 15 + 39/40 (MATH's convention), not a product."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        window = tokens[i : i + 8]
        if (
            len(window) == 8
            and window[0].isdigit()
            and window[1:3] == ["\\frac", "{"]
            and window[3].isdigit()
            and window[4:6] == ["}", "{"]
            and window[6].isdigit()
            and window[7] == "}"
            and (not out or out[-1] not in ("^", "_", "}"))
        ):
            out += ["(", window[0], "+", *window[1:], ")"]
            i += 8
        else:
            out.append(tokens[i])
            i += 1
    return out


def parse_expression(text: str) -> Expression:
    """Parse one scalar expression; raise :class:`Unsupported` outside the subset."""
    if len(text) > MAX_CHARS:
        raise Unsupported("too long")
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise Unsupported(f"unexpected character {text[pos]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    tokens = _mixed_numbers(tokens)
    for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if len(a) == len(b) == len(c) == 1 and (a + b + c).isalpha():
            # "east", "tea": a word, not a product of variables (anagrams would
            # otherwise compare equal).
            raise Unsupported("looks like a word")
    parser = _Parser(tokens)
    tree = parser.expr()
    if parser.peek() is not None:
        raise Unsupported(f"trailing token {parser.peek()!r}")
    return Expression(tree, frozenset(parser.variables))


def close(a: complex, b: complex, rel_tol: float = REL_TOL) -> bool:
    if cmath.isinf(a) or cmath.isinf(b):  # interval ends: inf - inf is nan
        return a == b
    return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))


def infinity(sign: int) -> Expression:
    """``\\infty`` / ``-\\infty`` as an interval end (only there: no arithmetic on it)."""
    return Expression(("num", complex(sign * float("inf"), 0.0)), frozenset())
