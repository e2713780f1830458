"""Free-form finals: answers a response states without a box or an answer phrase.

The last four rules of ``extract="auto"`` (see :mod:`extract`), each reading
what peers' graders read when a model just writes its answer:

- ``bare answer``: the response is itself only an answer (``-15``,
  ``7,425,000``, ``\\frac{10}{9}``, ``[0,1)``, ``x = 3``);
- ``final equation rhs``: the last line ends an equation (``$\\binom{5}{2} =
  10$``, ``3 * 4 = 13``); the answer is the right-hand side of its last ``=``;
- ``last math span``: the last ``$…$`` / ``\\(…\\)`` / ``\\[…\\]`` / ``$$…$$``
  whose content reads as an answer (inline spans never cross a line, as in
  Math-Verify);
- ``last number``: the last number (integer, decimal, ``a/b``,
  ``\\frac{a}{b}``, mixed ``4 4/9``, percentage) anywhere in the response. When
  a number follows the last math span ("The largest $n$ is 34."), the number
  is the answer, not the span.

"Reads as an answer" (:func:`is_answer_like`) means: one line of at most
:data:`MAX_ANSWER_CHARS` characters with no prose, i.e. no word of two or more
letters outside LaTeX commands and ``\\text{}`` beyond math words (``sin``,
``or``, …); a single ASCII word ("Evelyn", "odd"); or a number and one unit
word ("5 cm").

All scans are single regex passes or linear loops: a 1 MB response costs
milliseconds.
"""

from __future__ import annotations

import re

MAX_ANSWER_CHARS = 200
"""Longest text read as a bare answer or a right-hand side. The longest MATH-train
answer is 159 characters; longer text is prose or a derivation."""

_MATH_WORDS = frozenset(
    [
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "log",
        "ln",
        "lg",
        "exp",
        "sqrt",
        "pi",
        "inf",
        "infty",
        "mod",
        "bmod",
        "pmod",
        "det",
        "gcd",
        "lcm",
        "max",
        "min",
        "deg",
        "or",
        "and",
    ]
)
_TEXT_GROUP = re.compile(
    r"\\(?:text|textbf|textit|textnormal|mathrm|mathbf|mbox|operatorname)\s*\{[^{}]*\}"
)
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}(?:\{[lcr|\s]*\})?")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_VARIABLE = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?")
_WORD = re.compile(r"[^\W\d_]{2,}")  # unicode letters: CJK and Arabic words count
_NUMBER_AND_UNIT = re.compile(r"[-+]?[\d.,/]*\d\s+[A-Za-z]{1,12}\.?")
_SINGLE_WORD = re.compile(r"[A-Za-z]+")
_EMPHASIS = re.compile(r"^(\*\*|__|\*)(.+)\1$")

# Math delimiters: (open, close, may cross lines). Display spans may cross
# lines; inline spans stay on one line, as in Math-Verify.
_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False), ("$", "$", False))
_OPENERS = re.compile(r"\$\$|\\\[|\\\(|(?<!\\)\$")  # "\$" is an escaped dollar sign
# Numbers, most specific first: \frac{a}{b}, a mixed number, grouped thousands
# or plain digits with an optional /b and %, and .5. No letter or digit may
# precede (ASCII only: "有5页" still yields 5).
_NUMBERS = re.compile(
    r"(?=[\\\d.-])"  # every number starts so: lets the engine skip other positions
    r"(?:\\[dt]?frac\s*\{\s*-?\d+(?:\.\d+)?\s*\}\s*\{\s*\d+(?:\.\d+)?\s*\}"
    r"|(?<![A-Za-z0-9_.])-?\d+ \d+/\d+(?![\d/])"
    r"|(?<![A-Za-z0-9_.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?/\s?\d+(?:\.\d+)?)?(?:\s?\\?%)?"
    r"|(?<![A-Za-z0-9_.])-?\.\d+(?:\s?\\?%)?)"
)
_TRAILING = ".,;:!?。，；：！？ \t"


def strip_answer(text: str) -> str:
    """Trim what surrounds an answer: spaces, end punctuation, emphasis, delimiters."""
    s = text.strip().rstrip(_TRAILING)
    m = _EMPHASIS.match(s)
    if m:
        s = m.group(2).strip().rstrip(_TRAILING)
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            s = s[len(left) : len(s) - len(right)].strip().rstrip(_TRAILING)
    return s


def is_answer_like(text: str) -> bool:
    """Whether ``text`` reads as an answer rather than prose (see the module docstring)."""
    s = text.strip()
    if not s or len(s) > MAX_ANSWER_CHARS or "\n" in s:
        return False
    core = _LATEX_COMMAND.sub(" ", _TEXT_GROUP.sub(" ", _ENVIRONMENT.sub(" ", s)))
    words = [w for w in _WORD.findall(core) if w.lower() not in _MATH_WORDS]
    if not words:
        return True
    if _SINGLE_WORD.fullmatch(s):
        return True
    return _NUMBER_AND_UNIT.fullmatch(s) is not None


def bare_answer(text: str) -> str | None:
    """The whole response, when it is only an answer."""
    s = strip_answer(text)
    return s if s and is_answer_like(s) else None


def last_top_level_equals(text: str) -> int | None:
    """Index of the last ``=`` outside brackets that is not part of ``<=``, ``>=``, ``!=``, ``==``."""
    depth, found = 0, None
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == "=" and depth == 0:
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if before not in "<>!=:" and after != "=":
                found = i
    return found


def equation_rhs(text: str) -> str | None:
    """Right-hand side of the last ``=`` on the response's last line, if it reads as an answer."""
    line = text.rstrip().rsplit("\n", 1)[-1]
    line = strip_answer(line)
    at = last_top_level_equals(line)
    if at is None or not line[:at].strip():
        return None
    rhs = strip_answer(line[at + 1 :])
    return rhs if rhs and is_answer_like(rhs) else None


def math_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of each math span, in order.

    One left-to-right pass: a span's text is consumed, and an opener whose
    closer never comes again is skipped without a search (the last closer of
    each kind is known), so the scan stays linear even for 1 MB of ``\\[``.
    """
    last_close = {close: text.rfind(close) for _, close, _ in _DELIMITERS}
    spans: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = _OPENERS.search(text, pos)
        if m is None:
            return spans
        start = m.start()
        _, closer, multiline = next(d for d in _DELIMITERS if d[0] == m.group(0))
        body = m.end()
        close = text.find(closer, body) if last_close[closer] >= body else -1
        while closer == "$" and close != -1 and text[close - 1] == "\\":
            close = text.find("$", close + 1)  # "\$" inside a span is a dollar sign
        if close == -1 or close == body:
            pos = body
            continue
        content = text[body:close]
        if not multiline and "\n" in content:
            pos = body  # an inline span never crosses a line
            continue
        spans.append((start, close + len(closer), content.strip()))
        pos = close + len(closer)


def numbers(text: str) -> list[tuple[int, str]]:
    """``(start, text)`` of each number, in order."""
    return [(m.start(), m.group(0).strip()) for m in _NUMBERS.finditer(text)]


def last_span_or_number(text: str) -> tuple[str, str] | None:
    """The last answer-like math span, or the last number when one follows it.

    Returns ``(answer, rule)`` with rule ``last math span`` or ``last number``.
    """
    span = next(
        (
            (end, content)
            for _, end, content in reversed(math_spans(text))
            if is_answer_like(content)
        ),
        None,
    )
    found = numbers(text)
    if found and (span is None or found[-1][0] >= span[0]):
        return found[-1][1], "last number"
    if span is not None:
        return strip_answer(span[1]), "last math span"
    return None


def first_span_or_number(text: str) -> str | None:
    """The first answer-like math span or number outside spans, whichever comes first.

    For a cue followed by prose: the answer is what the cue introduces, so the
    first one ("Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois." ->
    220). A span that is only a variable name ("The largest $n$ is 34.")
    names the unknown, not the value, and is skipped.
    """
    spans = [s for s in math_spans(text) if is_answer_like(s[2]) and not _VARIABLE.fullmatch(s[2])]
    candidates = [(start, strip_answer(content)) for start, _, content in spans]
    candidates += [
        (start, number)
        for start, number in numbers(text)
        if not any(a <= start < b for a, b, _ in spans)
    ]
    return min(candidates)[1] if candidates else None


def extract_freeform(text: str) -> tuple[str, str] | None:
    """``(answer, rule)`` by the free-form rules in order, or None."""
    bare = bare_answer(text)
    if bare is not None:
        return bare, "bare answer"
    rhs = equation_rhs(text)
    if rhs is not None:
        return rhs, "final equation rhs"
    return last_span_or_number(text)
