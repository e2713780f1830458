"""Canonical text form of a LaTeX answer, for the cheap string fast path.

Two answers whose normal forms are equal are equal; unequal normal forms prove
nothing and go on to the numeric and symbolic comparisons. So every rule here
must only ever erase differences of *presentation* (spacing, ``\\dfrac`` vs
``\\frac``, a trailing unit), never of value. The rules follow the MATH
benchmark's own conventions (Hendrycks et al. 2021, ``is_equiv``).

No recursion and no backtracking-heavy regexes: inputs can be 1 MB.
"""

from __future__ import annotations

import re

# Spacing and sizing commands that never change a value.
_DROP = (
    "\\left",
    "\\right",
    "\\!",
    "\\,",
    "\\;",
    "\\:",
    "\\quad",
    "\\qquad",
    "\\displaystyle",
    "\\textstyle",
    "\\big",
    "\\Big",
    "\\bigl",
    "\\bigr",
    "\\Bigl",
    "\\Bigr",
    "\\limits",
)
_SYNONYMS = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\geqslant", "\\geq"),
    ("\\leqslant", "\\leq"),
    ("\\le ", "\\leq "),
    ("\\ge ", "\\geq "),
    ("\\neq", "\\ne"),
    # Relations written in ASCII or Unicode: "x >= 5" is "x \geq 5".
    (">=", "\\geq "),
    ("<=", "\\leq "),
    ("!=", "\\ne "),
    ("≥", "\\geq "),
    ("≤", "\\leq "),
    ("≠", "\\ne "),
    ("−", "-"),  # Unicode minus
    ("\\lbrace", "\\{"),
    ("\\rbrace", "\\}"),
    ("\\emptyset", "\\varnothing"),
    ("\\mbox{", "\\text{"),
    ("\\textbf{", "\\text{"),
    ("\\mathrm{", "\\text{"),
    ("\\textrm{", "\\text{"),
    ("\\textnormal{", "\\text{"),
    ("\\operatorname{", "\\text{"),
)
# Degree signs: MATH answers write "30^\circ" and "30" interchangeably.
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree")
# A trailing unit in \text{...}: "5 \text{ cm}", "12\text{ inches}^2". Only
# when something precedes it, so a bare text answer ("\text{Evelyn}") stays.
_TRAILING_TEXT_UNIT = re.compile(r"(?<=\S)\s*\\text\{\s*[A-Za-z][A-Za-z .]*\}(\^\{?\d\}?)?\s*$")
_TEXT_WRAPPER = re.compile(r"\\text\{([^{}]*)\}")
# Thousands separators. "10,\!080" and "24{,}000" are unambiguous LaTeX
# spellings; a plain comma only counts when the whole answer is one grouped
# number ("58,500"), since "(100,101)" is a pair.
_LATEX_THOUSANDS = re.compile(r"(?<=\d)(?:,\\!|\{,\})(?=\d{3})")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")  # \frac12 -> \frac{1}{2}
_FRAC_HALF_SHORT = re.compile(r"\\frac\s*(\d)\s*\{")  # \frac1{72} -> \frac{1}{72}
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d|[a-zA-Z])")  # \sqrt2 -> \sqrt{2}
_VAR_ASSIGN = re.compile(r"^[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(?=[^=])")
_LT_GT = re.compile(r"\\([lg])t(?![a-zA-Z])")  # \lt, \gt
# "≈" / "\approx" (see normalize_math for which side is kept).
_APPROX = re.compile(r"\\approx|≈")
_VARIABLE = re.compile(r"[a-zA-Z](?:_\{?\w+\}?)?")
# "4 4/9" is the mixed number 40/9 (Math-Verify's convention), before spaces go.
_SPACED_MIXED = re.compile(r"^([+-]?)(\d+)\s+(\d+)/(\d+)(\s*%)?$")
# A plain unit word after a number: "5 cm", "125 miles", "45 degrees".
_TRAILING_WORD_UNIT = re.compile(
    r"(?<=\d)\s+(?!(?:pi|sqrt|or|and|mod|i)\b)[A-Za-z]{2,12}(?:\^\{?\d\}?)?$"
)
_END_PUNCTUATION = ".,;"
_VAR_IN = re.compile(r"^[a-zA-Z]\s*\\in\s*")  # "x \in [-2, 7]" -> "[-2, 7]"


def strip_math_delimiters(s: str) -> str:
    s = s.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            s = s[len(left) : len(s) - len(right)].strip()
    return s


def normalize_math(answer: str, *, drop_var_assignment: bool = True) -> str:
    """Presentation-free form of a MATH-style answer.

    >>> normalize_math(r"\\dfrac{1}{2}\\text{ cm}")
    '\\\\frac{1}{2}'
    >>> normalize_math(r"x = 30^\\circ")
    '30'
    """
    # Trailing sentence punctuation outside and inside the delimiters: "$\frac{1}{3}$,".
    s = strip_math_delimiters(answer.strip().rstrip(_END_PUNCTUATION)).rstrip(_END_PUNCTUATION)
    approx = _APPROX.search(s)
    if approx and s[: approx.start()].strip():
        head, tail = s[: approx.start()].strip(), s[approx.end() :].strip()
        # "x \approx 11" states x's value; "\frac{\sqrt{3}}{3} \approx 0.577" is exact first.
        s = tail if _VARIABLE.fullmatch(head) and tail else head
    s = _LATEX_THOUSANDS.sub("", s)  # before "\!" is dropped below
    for token in _DROP:
        s = s.replace(token, "")
    for old, new in _SYNONYMS:
        s = s.replace(old, new)
    s = s.replace("\\$", "").replace("$", "")
    s = _DEGREE.sub("", s)
    # Percent signs stay (as a bare "%"): "10%" vs "0.1" is a numeric question.
    s = s.replace("\\%", "%")
    s = _LT_GT.sub(lambda m: "<" if m.group(1) == "l" else ">", s)
    s = _TRAILING_TEXT_UNIT.sub("", s.strip().rstrip(_END_PUNCTUATION))
    s = _TRAILING_WORD_UNIT.sub("", s)
    mixed = _SPACED_MIXED.match(s.strip())
    if mixed:
        sign, whole, num, den, pct = mixed.groups()
        s = f"{sign}{whole}\\frac{{{num}}}{{{den}}}{'%' if pct else ''}"
    if drop_var_assignment and s.count("=") == 1:
        s = _VAR_ASSIGN.sub("", s)
    s = _VAR_IN.sub("", s)
    s = _TEXT_WRAPPER.sub(r"\1", s)
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF_SHORT.sub(r"\\frac{\1}{", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    if _GROUPED_NUMBER.fullmatch(s.strip()):  # before spaces go: "81, 256" is a list
        s = s.replace(",", "")
    s = s.replace("~", "").replace(" ", "").replace("\n", "")
    s = s.rstrip(_END_PUNCTUATION)
    if s.endswith("\\") and not s.endswith("\\\\"):
        s = s[:-1]  # a lone trailing backslash ("185\") is a typo, not LaTeX
    # "0.5" and ".5" are the same number; keep one spelling.
    if s.startswith("."):
        s = "0" + s
    s = s.replace("{.", "{0.")
    return s
