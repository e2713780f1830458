"""Table-driven tests of MATH-style answer equivalence (``task="math"``).

Each row is ``(gold, response, expected_status)``; rows are grouped by what
they test, with a comment where the reason is not obvious. Grading runs in
process (``grade_local``) so the table stays fast; the worker pool has its
own tests in test_verify_pool.py.
"""

from __future__ import annotations

import pytest

from longcot.verify import grade_local


def status(gold, response, **kw) -> str:
    return grade_local(response, gold, task="math", **kw).status


def boxed(s: str) -> str:
    return f"Some reasoning. Therefore the answer is $\\boxed{{{s}}}$."


NUMBERS = [
    ("5", "5", "correct"),
    ("5", "5.0", "correct"),
    ("5", "6", "incorrect"),
    ("-9", "-9", "correct"),
    ("-9", "9", "incorrect"),
    ("1000", "1,000", "correct"),  # thousands separator
    ("10,\\!080", "10080", "correct"),  # MATH's LaTeX thousands separator
    ("24{,}000", "24000", "correct"),
    ("(100,101)", "(100, 101)", "correct"),  # a pair, not one hundred thousand...
    ("81, 256", "256, 81", "correct"),  # ...and a list of solutions, unordered
    (".35625", "0.35625", "correct"),
    (".35625", "\\frac{57}{160}", "correct"),
    ("\\$5.00", "5", "correct"),  # currency
    ("2.5\\times10^{-3}", "0.0025", "correct"),  # scientific notation
]
FRACTIONS = [
    ("\\frac{1}{2}", "0.5", "correct"),
    ("\\frac{1}{2}", "1/2", "correct"),
    ("\\dfrac{17}{50}", "\\frac{17}{50}", "correct"),
    ("\\frac 59", "\\frac{5}{9}", "correct"),
    ("\\frac{14}{3}", "4\\frac{2}{3}", "correct"),  # mixed number
    ("137 \\frac{1}{2}", "137.5", "correct"),
    ("\\frac{1}{3}", "0.333", "incorrect"),  # too coarse an approximation
    ("-\\frac{5}{3}", "\\frac{-5}{3}", "correct"),
    ("\\frac{9}{256}", "\\frac{9}{265}", "incorrect"),
]
PERCENT = [
    ("10\\%", "10", "correct"),
    ("10\\%", "0.1", "correct"),  # a percent may be read as a fraction
    ("0.1", "10\\%", "correct"),
    ("25\\%", "30\\%", "incorrect"),
]
RADICALS_AND_PI = [
    ("\\sqrt{51}", "\\sqrt{51}", "correct"),
    ("\\frac{\\sqrt{21}}{5}", "\\sqrt{21}/5", "correct"),
    ("\\frac{\\sqrt{21}}{5}", "\\frac{\\sqrt{84}}{10}", "correct"),
    ("2\\sqrt{2}", "\\sqrt{8}", "correct"),
    ("2\\sqrt{2}", "2.8284271", "correct"),
    ("\\sqrt{3}", "\\sqrt{2}", "incorrect"),
    ("288 \\pi", "288\\pi", "correct"),
    ("\\frac{20000}{\\pi}", "20000/\\pi", "correct"),
    ("12\\pi", "12", "incorrect"),
    ("6 - 5i", "6-5i", "correct"),
    ("6 - 5i", "6+5i", "incorrect"),
]
EXPRESSIONS = [
    ("x^2+7x+10", "(x+2)(x+5)", "correct"),
    ("x^2+7x+10", "(x+2)(x+4)", "incorrect"),
    ("p - q", "-q + p", "correct"),
    ("x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)", "correct"),
    ("\\frac{11+9a}{20}", "\\frac{11}{20}+\\frac{9a}{20}", "correct"),
    ("2k+2", "2(k+1)", "correct"),
    ("203", "x^2+1", "incorrect"),  # a number vs a non-constant expression
]
EQUATIONS = [
    ("x=5", "5", "correct"),
    ("5", "x = 5", "correct"),
    ("y = 2x + 3", "y=2x+3", "correct"),
    ("5x - 7y + 11z + 4 = 0", "5x-7y+11z+4=0", "correct"),
]
INTERVALS_SETS_TUPLES = [
    ("[-2,7)", "[-2, 7)", "correct"),
    ("[-2,7)", "[-2,7]", "incorrect"),  # closed vs half-open
    ("(0,9) \\cup (9,36)", "(0,9)\\cup(9,36)", "correct"),
    ("(-\\infty, 0]", "(-\\infty,0]", "correct"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", "correct"),
    ("(6,31,-1)", "(6, 31, -1)", "correct"),
    ("(6,31,-1)", "(31,6,-1)", "incorrect"),  # tuples are ordered
    ("\\{1,2\\}", "\\{2,1\\}", "correct"),  # sets are not
    ("1,-2", "-2, 1", "correct"),  # a bare list of solutions is a set
    ("3 \\pm 2 \\sqrt{2}", "3+2\\sqrt{2}, 3-2\\sqrt{2}", "correct"),
    ("(1,2)", "(1,2,3)", "incorrect"),
    ("4", "(-2,1)", "incorrect"),  # a number never equals a pair
    ("23", "(2,\\infty)", "incorrect"),  # ...nor an interval
    ("(0,9) \\cup (9,36)", "(9,36) \\cup (0,9)", "correct"),  # union order is free
    ("(0,9) \\cup (9,36)", "(0,9) \\cup (9,37)", "incorrect"),
    ("(-\\infty, 0]", "(-\\infty, 0)", "incorrect"),
    ("x \\in [-2,7]", "[-2, 7]", "correct"),
    ("75^\\circ", "75^\\circ, 75^\\circ", "correct"),  # the set {75, 75} is {75}
    ("75", "75, 76", "incorrect"),
]
MATRICES = [
    (
        "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}",
        "\\begin{pmatrix}-2\\\\-14\\\\-7\\end{pmatrix}",
        "correct",
    ),
    (
        "\\begin{pmatrix} 16/49 \\\\ 48/49 \\end{pmatrix}",
        "\\begin{pmatrix} \\frac{16}{49} \\\\ \\frac{48}{49} \\end{pmatrix}",
        "correct",
    ),
    ("\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 2 & 1 \\end{pmatrix}", "incorrect"),
    (
        "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}",
        "\\begin{pmatrix} 1 & 2 \\end{pmatrix}",
        "incorrect",
    ),
]
TEXT_UNITS_DEGREES = [
    ("\\text{Evelyn}", "\\text{Evelyn}", "correct"),
    ("\\text{Evelyn}", "Evelyn", "correct"),
    ("\\text{east}", "\\text{west}", "incorrect"),
    ("\\text{tea}", "\\text{eat}", "incorrect"),  # anagrams are not products of variables
    ("\\text{(C)}", "C", "correct"),
    ("\\text{(C)}", "(C)", "correct"),
    ("5", "5\\text{ cm}", "correct"),
    ("864 \\mbox{ inches}^2", "864", "correct"),
    ("90^\\circ", "90", "correct"),
    ("106^\\circ", "106°", "correct"),
    ("30", "30^{\\circ}", "correct"),
]


@pytest.mark.parametrize(
    "gold,pred,expected",
    NUMBERS
    + FRACTIONS
    + PERCENT
    + RADICALS_AND_PI
    + EXPRESSIONS
    + EQUATIONS
    + INTERVALS_SETS_TUPLES
    + MATRICES
    + TEXT_UNITS_DEGREES,
)
def test_math_equivalence(gold, pred, expected):
    assert status(gold, boxed(pred)) == expected


@pytest.mark.parametrize(
    "response,expected_extracted",
    [
        ("so $x = \\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),
        ("\\boxed{1} then \\boxed{2}", "2"),  # the last box wins
        ("\\fbox{7}", "7"),
        ("\\boxed 5.", "5"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),  # escaped braces do not close the box
        ("The final answer is $\\frac{1}{2}$. I hope it is correct.", "\\frac{1}{2}"),
        ("The answer is: 12", "12"),
        ("Answer: 0.5", "0.5"),
        ("So the answer is $m+n=2$, which is the same as $m+n=2$.", "m+n=2"),
    ],
)
def test_extraction(response, expected_extracted):
    assert grade_local(response, "0").extracted == expected_extracted


def test_no_answer_when_nothing_to_extract():
    v = grade_local("I think it's about five or so", "5")
    assert v.status == "no_answer" and v.extracted is None


def test_unbalanced_box_falls_back_to_an_earlier_one():
    assert grade_local("\\boxed{5} and then \\boxed{6", "5").status == "correct"


@pytest.mark.parametrize("gold", [None, "", "   "])
def test_missing_gold_is_bad_gold(gold):
    assert status(gold, boxed("5")) == "bad_gold"


class TestReasoningBlocks:
    """DESIGN.md §3: the answer comes after </think>; an unclosed block has none."""

    def test_closed_block_grades_the_text_after_it(self):
        response = "<think>maybe \\boxed{4}</think> The answer is \\boxed{5}."
        assert status("5", response) == "correct"
        assert status("4", response) == "incorrect"

    def test_unclosed_block_is_no_answer_even_with_a_box_inside(self):
        v = grade_local("<think>so the answer is \\boxed{5} wait let me", "5")
        assert v.status == "no_answer"
        assert "never closed" in v.reason

    def test_no_markers_grades_whole_response(self):
        assert status("5", "\\boxed{5}") == "correct"

    def test_prompt_opened_block_requires_close(self):
        # R1-style templates put <think> in the prompt: the response starts inside it.
        assert status("5", "\\boxed{5}", require_think_close=True) == "no_answer"
        assert status("5", "hmm</think>\\boxed{5}", require_think_close=True) == "correct"

    def test_custom_markers_and_disabled_markers(self):
        markers = ("<|begin_of_thought|>", "<|end_of_thought|>")
        response = "<|begin_of_thought|>\\boxed{4}<|end_of_thought|>\\boxed{5}"
        assert status("5", response, think_markers=markers) == "correct"
        assert status("5", "<think>\\boxed{5}", think_markers=None) == "correct"


def test_unknown_task_names_the_known_ones():
    with pytest.raises(ValueError, match="known tasks"):
        grade_local("\\boxed{1}", "1", task="nope")


def test_user_task_by_module_path():
    v = grade_local("\\boxed{1}", "1", task="longcot.verify.tasks:_grade_math")
    assert v.correct
