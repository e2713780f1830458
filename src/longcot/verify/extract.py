"""Find the final answer in a response, by one explicit policy.

``extract="auto"`` (the default of ``grade``, ``longcot grade`` and ``eval``)
tries these rules in order and reports the first that finds an answer; each
sits where it does because it is a more explicit signal than the ones below:

1. ``boxed``: the last ``\\boxed{…}`` / ``\\fbox{…}`` (brace-matched, so
   ``\\boxed{\\frac{1}{2}}`` survives; ``\\boxed 5`` works too); ``boxes`` when
   the boxes before it are joined to it only by "and", commas or spacing
   (``\\boxed{(2, 2)} \\text{ and } \\boxed{(6, 2)}``): together they are the
   answer, read as the list ``(2, 2), (6, 2)``;
2. ``answer tag``: the last ``<answer>…</answer>``;
3. ``answer phrase``: the last answer cue ("the final answer is", "the correct
   option is", "Answer:", "答案：", "la réponse est", … see :mod:`cues`);
   the value runs to the end of its sentence; when it is prose, the first
   number or math span in it;
4. ``gsm8k ####``: the last ``#### 42`` (GSM8K's answer line);
5. ``bare answer``, 6. ``final equation rhs``, 7. ``last math span``,
   8. ``last number``: free-form finals (:mod:`freeform`).

``extract="strict"`` keeps the original behaviour, for RL recipes that want a
format incentive: only the last box (rule ``boxed``) or the English phrases
"final answer is", "the answer is", "Answer:" (rule ``answer phrase``).

The rule names are stable (:data:`RULES`): ``Verdict.reason`` ends with
``(extracted by: <rule>)``. Every scan is linear in the response length and
uses no recursion, so a 1 MB response or 10,000 nested braces cost
milliseconds, not a stack overflow.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple, get_args

from .cues import PHRASE, STRICT_PHRASE, last_match
from .freeform import extract_freeform, first_span_or_number, is_answer_like, strip_answer

ExtractPolicy = Literal["auto", "strict"]
"""How much of a response may hold its final answer (see the module docstring)."""

EXTRACT_POLICIES: tuple[str, ...] = get_args(ExtractPolicy)

RULES: tuple[str, ...] = (
    "boxed",
    "boxes",
    "answer tag",
    "answer phrase",
    "gsm8k ####",
    "bare answer",
    "final equation rhs",
    "last math span",
    "last number",
)
"""Every math extraction rule, in the order ``auto`` tries them."""

STRICT_RULES: tuple[str, ...] = ("boxed", "answer phrase")

_BOX_COMMANDS = ("\\boxed", "\\fbox")
# What may sit between boxes that together form one answer: spacing, commas,
# math delimiters, "and"/"or" (bare or in \text{}). Anything else ("then",
# "so y =") means the later box replaces the earlier one.
_BOX_JOINER = re.compile(
    r"(?:\s|[,;&~]|\$|\\[()\[\]]|\\(?:quad|qquad|[,;:!])|\b(?:and|or)\b"
    r"|\\(?:text|mathrm|textnormal)\s*\{\s*(?:and|or|,)?\s*\})*"
)
MAX_JOINED_BOXES = 32
"""Boxes read as one answer at most; bounds the work on a response full of boxes."""
MAX_JOINER_CHARS = 40
"""Longest text between two boxes that can still join them ("\\quad \\text{and} \\quad" is 22)."""

_GSM8K = re.compile(r"####\s*(?P<value>[^\n]+)")


class Extraction(NamedTuple):
    """An extracted answer and the rule that found it (both None when nothing was found)."""

    answer: str | None
    rule: str | None


def check_policy(extract: str) -> None:
    """Raise a ValueError naming the policies unless ``extract`` is one of them."""
    if extract not in EXTRACT_POLICIES:
        raise ValueError(f"extract must be one of {EXTRACT_POLICIES}, got {extract!r}")


def _match_brace(text: str, open_index: int) -> int | None:
    """Index of the ``}`` matching the ``{`` at ``open_index``, or None if unbalanced.

    Escaped braces (``\\{`` / ``\\}``, LaTeX set notation) are literal characters
    and do not count towards depth.
    """
    depth = 0
    i = open_index
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "{}":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _brace_pairs(text: str) -> dict[int, int]:
    """Every ``{`` index mapped to its matching ``}``, in one pass (escaped braces skipped)."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "{}":
            i += 2
            continue
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            pairs[stack.pop()] = i
        i += 1
    return pairs


_BARE_ARGUMENT = re.compile(r"[^\s$,;]+")


class _Boxes:
    """The boxes of one text, read from the end.

    A balanced box costs a scan of its own argument. The first unbalanced one
    makes the scanner pair every brace of the text once, so a response of
    50,000 unclosed ``\\boxed{`` costs one pass, not 50,000.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._pairs: dict[int, int] | None = None
        # Last position of each command before the current search limit. The
        # limit only decreases, so each command's text is searched once overall.
        self._found = {cmd: len(text) for cmd in _BOX_COMMANDS}

    def _previous(self, before: int) -> int:
        for cmd, at in self._found.items():
            if at == -1 or at + len(cmd) <= before:
                continue
            self._found[cmd] = self.text.rfind(cmd, 0, before)
        return max(at if at + len(cmd) <= before else -1 for cmd, at in self._found.items())

    def _close(self, open_index: int) -> int | None:
        if self._pairs is None:
            close = _match_brace(self.text, open_index)
            if close is not None:
                return close
            self._pairs = _brace_pairs(self.text)
        return self._pairs.get(open_index)

    def _at(self, start: int) -> tuple[int, str] | None:
        """``(end, content)`` of the box command at ``start``, or None if malformed."""
        text = self.text
        cmd = "\\boxed" if text.startswith("\\boxed", start) else "\\fbox"
        j = start + len(cmd)
        while j < len(text) and text[j] == " ":  # spaces between command and argument
            j += 1
        if j < len(text) and text[j] == "{":
            close = self._close(j)
            if close is not None:
                return close + 1, text[j + 1 : close].strip()
        elif j > start + len(cmd) and j < len(text):
            # "\boxed 5": the argument is the next token (up to space, $ or punctuation).
            m = _BARE_ARGUMENT.match(text, j)
            if m:
                return m.end(), m.group(0).rstrip(".")
        return None

    def last_before(self, before: int) -> tuple[int, int, str] | None:
        """``(start, end, content)`` of the last well-formed box starting before ``before``."""
        start = self._previous(before)
        while start != -1:
            found = self._at(start)
            if found is not None:
                return start, found[0], found[1]
            start = self._previous(start)  # malformed (unbalanced): try the previous one
        return None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed``/``\\fbox`` in ``text``, or None.

    >>> last_boxed(r"so $x = \\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> last_boxed(r"\\boxed 5.")
    '5'
    """
    box = _Boxes(text).last_before(len(text))
    return None if box is None else box[2]


def boxed_answer(text: str) -> Extraction:
    """The last box, joined with the boxes right before it when only "and"/commas separate them.

    >>> boxed_answer(r"\\boxed{1},\\boxed{2},\\boxed{3}")
    Extraction(answer='1, 2, 3', rule='boxes')
    >>> boxed_answer(r"\\boxed{1} then \\boxed{2}")
    Extraction(answer='2', rule='boxed')
    """
    boxes = _Boxes(text)
    box = boxes.last_before(len(text))
    if box is None:
        return Extraction(None, None)
    contents = [box[2]]
    start = box[0]
    while len(contents) < MAX_JOINED_BOXES:
        previous = boxes.last_before(start)
        if previous is None:
            break
        joiner = text[previous[1] : start]
        if len(joiner) > MAX_JOINER_CHARS or not _BOX_JOINER.fullmatch(joiner):
            break
        contents.append(previous[2])
        start = previous[0]
    distinct = list(dict.fromkeys(c for c in reversed(contents) if c))
    if len(distinct) <= 1:
        return Extraction(box[2], "boxed")
    return Extraction(", ".join(distinct), "boxes")


def clean_value(value: str) -> str:
    """The answer at the start of a phrase's value: "is $m+n=2$, which is ..." -> ``m+n=2``."""
    value = value.strip().strip("*_ ")
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if value.startswith(left) and not (left == "$" and value.startswith("$$")):
            close = value.find(right, len(left))
            if close > len(left):
                return strip_answer(value[len(left) : close])
    # End of sentence: "is 5. Therefore ..." -> "5"; keep decimals like "0.5".
    m = re.match(r"(.*?)(?:\.\s|\.$|。|$)", value)
    if m and m.group(1):
        value = m.group(1)
    value = strip_answer(value)
    # "(35 + 70 = 105)": a worked sum in parentheses; the comparison reads its rhs.
    if value.startswith("(") and value.endswith(")") and "=" in value:
        value = value[1:-1].strip()
    return value


def answer_tag(text: str) -> str | None:
    """Content of the last ``<answer>…</answer>`` (any letter case), or None.

    Found from the end with ``rfind`` (a lazy regex would be quadratic on a
    response full of unclosed ``<answer>``).
    """
    lower = text.lower()
    close = lower.rfind("</answer>")
    if close == -1:
        return None
    start = lower.rfind("<answer>", 0, close)
    return None if start == -1 else text[start + len("<answer>") : close]


def _phrase(text: str, pattern: re.Pattern[str], *, prose: bool) -> str | None:
    last = last_match(pattern, text)
    if last is None:
        return None
    value = clean_value(last.group("value"))
    if prose and value and not is_answer_like(value):
        value = first_span_or_number(last.group("value")) or value
    return value or None


def answer_phrase(text: str) -> str | None:
    """Value after the last English "final answer is" / "the answer is" / "Answer:" phrase."""
    return _phrase(text, STRICT_PHRASE, prose=False)


def _auto_rules(text: str, *, tags: bool = True) -> Extraction:
    boxed = boxed_answer(text)
    if boxed.answer is not None:
        return boxed
    if tags:
        inner = answer_tag(text)
        if inner is not None and inner.strip():
            found = _auto_rules(inner, tags=False).answer
            return Extraction(found if found is not None else strip_answer(inner), "answer tag")
    phrase = _phrase(text, PHRASE, prose=True)
    if phrase is not None:
        return Extraction(phrase, "answer phrase")
    gsm8k = last_match(_GSM8K, text)
    if gsm8k is not None:
        value = clean_value(gsm8k.group("value"))
        if value:
            return Extraction(value, "gsm8k ####")
    freeform = extract_freeform(text)
    if freeform is not None:
        return Extraction(*freeform)
    return Extraction(None, None)


def extract_final_answer(text: str, extract: ExtractPolicy = "auto") -> Extraction:
    """The final answer of a (post-reasoning) response and the rule that found it.

    >>> extract_final_answer("So the answer is $m+n=2$, which is neat.")
    Extraction(answer='m+n=2', rule='answer phrase')
    >>> extract_final_answer("There are\\n$\\\\binom{5}{2} = 10$")
    Extraction(answer='10', rule='final equation rhs')
    >>> extract_final_answer("My reply is 0.75.", "strict")
    Extraction(answer=None, rule=None)
    """
    check_policy(extract)
    if extract == "strict":
        boxed = last_boxed(text)
        if boxed is not None:
            return Extraction(boxed, "boxed")
        phrase = answer_phrase(text)
        if phrase is not None:
            return Extraction(phrase, "answer phrase")
        return Extraction(None, None)
    return _auto_rules(text)
