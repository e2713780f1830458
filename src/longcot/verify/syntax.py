"""Python and sympy syntax in answers: translate what is faithful, refuse the rest.

Models trained on code write answers such as ``(x**2, 1)`` or
``Eq(x**2 + 1, 0)``. Math-Verify's LaTeX parser reads only part of them
(``(x**2, 1)`` parses as ``1``, ``x**2 + 1 = 0`` as ``0``), so different
answers compared "symbolically equal": a false positive that RL learns to
exploit. Here, before any comparison:

- ``a**b`` becomes ``a^{b}`` (the exponent is the number, name or bracketed
  group after ``**``), which every tier reads as written;
- ``Eq(a, b)``, ``Ne``, ``Lt``, ``Le``, ``Gt``, ``Ge`` become ``a = b``,
  ``a \\ne b``, ``a < b``, ``a \\leq b``, ``a > b``, ``a \\geq b``;
- any other call that looks like code, a capitalised name (sympy's
  ``Rational(1, 2)``, ``Matrix([[1]])``, ``FiniteSet(1, 2)``) or a Python
  callable (``print``, ``symbols``, ``simplify``, ...), is refused: the answer
  is compared as written, as a normalised string, and is ``incorrect`` unless
  the strings match. Lower-case letters before a bracket stay math:
  ``xy(x+y)`` is a product, ``f(x)`` and ``sqrt(2)`` are functions.

Nothing here evaluates text; it only rewrites characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL = re.compile(r"(?<![A-Za-z0-9_\\])([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_RELATIONS = {"Eq": "=", "Ne": "\\ne", "Lt": "<", "Le": "\\leq", "Gt": ">", "Ge": "\\geq"}
PYTHON_CALLABLES = frozenset(
    [
        "print",
        "lambda",
        "eval",
        "exec",
        "open",
        "input",
        "symbols",
        "symbol",
        "simplify",
        "solve",
        "expand",
        "factor",
        "sympify",
        "nsimplify",
        "range",
        "list",
        "dict",
        "set",
        "tuple",
        "int",
        "float",
        "str",
        "pow",
        "round",
        "sum",
        "len",
        "sorted",
    ]
)
"""Lower-case names that are code, not math, when called."""
_EXPONENT = re.compile(r"\s*(-?\s*(?:\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True, slots=True)
class Rewritten:
    """An answer with Python syntax translated; ``refused`` says why it cannot be, if so."""

    text: str
    refused: str | None = None


def _close_paren(text: str, open_index: int) -> int | None:
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


def _split_args(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(body):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return [p.strip() for p in parts]


def _powers(text: str) -> str | None:
    """``a**b`` -> ``a^{b}``; None when an exponent cannot be delimited."""
    out, i = [], 0
    while True:
        at = text.find("**", i)
        if at == -1:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:at])
        j = at + 2
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "(":
            close = _close_paren(text, j)
            if close is None:
                return None
            exponent, i = text[j + 1 : close], close + 1
        else:
            m = _EXPONENT.match(text, j)
            if not m:
                return None
            exponent, i = m.group(1).replace(" ", ""), m.end()
        out.append(f"^{{{exponent}}}")


def _is_code(name: str) -> bool:
    if name in _RELATIONS or name in PYTHON_CALLABLES or "_" in name:
        return True
    return len(name) >= 2 and name[0].isupper() and any(c.islower() for c in name)


def _relations(text: str) -> tuple[str, str | None]:
    """Translate relation calls innermost-last; report the first non-math call."""
    while True:
        call = next((m for m in _CALL.finditer(text) if _is_code(m.group(1))), None)
        if call is None:
            return text, None
        name = call.group(1)
        if name not in _RELATIONS:
            return text, f"{name}(...) is Python/sympy syntax"
        close = _close_paren(text, call.end() - 1)
        args = _split_args(text[call.end() : close]) if close is not None else []
        if len(args) != 2 or not all(args):
            return text, f"{name}(...) does not have two arguments"
        relation = f"{args[0]} {_RELATIONS[name]} {args[1]}"
        text = text[: call.start()] + relation + text[close + 1 :]


def rewrite_python_syntax(text: str) -> Rewritten:
    """Translate ``**`` and relation calls to LaTeX, or say why the answer must be read as written.

    >>> rewrite_python_syntax("(x**2, 1)")
    Rewritten(text='(x^{2}, 1)', refused=None)
    >>> rewrite_python_syntax("Eq(x**2 + 1, 0)")
    Rewritten(text='x^{2} + 1 = 0', refused=None)
    >>> rewrite_python_syntax("Rational(1, 2)").refused
    'Rational(...) is Python/sympy syntax'
    """
    if "**" not in text and "(" not in text:
        return Rewritten(text)
    out = text
    if "**" in out:
        powered = _powers(out)
        if powered is None:
            return Rewritten(text, "a ** exponent that cannot be delimited")
        out = powered
    if "(" in out:
        out, refused = _relations(out)
        if refused is not None:
            return Rewritten(text, refused)
    return Rewritten(out)
