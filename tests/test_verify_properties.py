"""Property tests: different answers never grade ``correct``, in LaTeX or Python syntax.

Issue 12's false positive: Math-Verify read ``(x**2, 1)`` as ``1`` and
``x**2 + 1 = 0`` as ``0`` (and solved ``x^2+5=0`` and ``x^2+1=0`` to "equal"
complex roots), so different answers graded "symbolically equal". Here
hypothesis draws pairs of different polynomials (integer coefficients,
degree <= 3) and renders them as LaTeX (``3x^{2} - x + 5``) or Python
(``3*x**2 - x + 5``), alone, inside tuples and as equations. Each property has
a positive twin (the same answer in the other syntax grades ``correct``), so
a grader that refused everything would fail here too.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from longcot.verify import grade_local

coefficients = st.lists(st.integers(-9, 9), min_size=1, max_size=4).filter(
    lambda cs: any(cs)  # not the zero polynomial
)
SETTINGS = settings(max_examples=120, deadline=None)


def _trim(cs: list[int]) -> tuple[int, ...]:
    cs = list(cs)
    while len(cs) > 1 and cs[-1] == 0:
        cs.pop()
    return tuple(cs)


def latex(cs: list[int]) -> str:
    """``cs[k]`` is the coefficient of x^k: [5, -1, 3] -> "3x^{2} - x + 5"."""
    return _render(cs, lambda k: "" if k == 0 else "x" if k == 1 else f"x^{{{k}}}", "")


def python(cs: list[int]) -> str:
    """[5, -1, 3] -> "3*x**2 - x + 5"."""
    return _render(cs, lambda k: "" if k == 0 else "x" if k == 1 else f"x**{k}", "*")


def _render(cs: list[int], power, times: str) -> str:
    terms = []
    for k in range(len(cs) - 1, -1, -1):
        c = cs[k]
        if c == 0:
            continue
        sign = "-" if c < 0 else "+"
        body = str(abs(c)) if k == 0 or abs(c) != 1 else ""
        if k and body:
            body += times
        terms.append((sign, body + power(k)))
    first_sign, first = terms[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, term in terms[1:]:
        text += f" {sign} {term}"
    return text


def proportional(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether b = c·a for a rational c ≠ 0 (then a = 0 and b = 0 are the same equation)."""
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    k = next(i for i in range(n) if a[i])
    ratio = Fraction(b[k], a[k])
    return ratio != 0 and all(Fraction(y) == ratio * x for x, y in zip(a, b, strict=True))


def status(gold: str, answer: str) -> str:
    return grade_local(f"The answer is $\\boxed{{{answer}}}$.", gold).status


RENDERINGS = st.sampled_from([(latex, latex), (latex, python), (python, latex), (python, python)])


@SETTINGS
@given(coefficients, coefficients, RENDERINGS)
def test_different_polynomials_never_grade_correct(p, q, forms):
    p, q = _trim(p), _trim(q)
    if p == q:
        return
    gold_form, pred_form = forms
    assert status(gold_form(list(p)), pred_form(list(q))) != "correct"


@SETTINGS
@given(coefficients, coefficients, st.integers(-5, 5), RENDERINGS)
def test_different_tuples_never_grade_correct(p, q, tail, forms):
    p, q = _trim(p), _trim(q)
    if p == q:
        return
    gold_form, pred_form = forms
    gold = f"({gold_form(list(p))}, {tail})"
    pred = f"({pred_form(list(q))}, {tail})"
    assert status(gold, pred) != "correct"


@SETTINGS
@given(coefficients, coefficients, RENDERINGS, st.booleans())
def test_different_equations_never_grade_correct(p, q, forms, sympy_style):
    p, q = _trim(p), _trim(q)
    if len(p) < 2 or len(q) < 2 or proportional(p, q):
        return  # no variable, or the same equation scaled
    gold_form, pred_form = forms

    def equation(form, cs):
        return f"Eq({form(list(cs))}, 0)" if sympy_style else f"{form(list(cs))} = 0"

    assert status(equation(gold_form, p), equation(pred_form, q)) != "correct"


@SETTINGS
@given(coefficients, RENDERINGS, st.integers(-5, 5))
def test_the_same_answer_in_either_syntax_grades_correct(p, forms, tail):
    # The positive twin: none of the properties above holds by refusing everything.
    gold_form, pred_form = forms
    cs = list(_trim(p))
    assert status(gold_form(cs), pred_form(cs)) == "correct"
    assert status(f"({gold_form(cs)}, {tail})", f"({pred_form(cs)}, {tail})") == "correct"
    if len(cs) >= 2:
        doubled = [2 * c for c in cs]
        assert status(f"{gold_form(cs)} = 0", f"Eq({pred_form(doubled)}, 0)") == "correct"


def test_the_issue_examples_of_the_false_positive():
    assert status("(x**3, 1)", "(x**2, 1)") == "incorrect"
    assert status("Eq(x**2 + 5, 0)", "Eq(x**2 + 1, 0)") == "incorrect"
    assert status("x^2+5=0", "x^2+1=0") == "incorrect"
    assert status("(x^{3}, 1)", "(x**3, 1)") == "correct"
