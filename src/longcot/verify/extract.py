"""Find the final answer in a response.

Order of precedence, each tier chosen because it is the most explicit signal a
model gives at that point (Math-Verify uses the same idea with priorities):

1. the last ``\\boxed{…}`` / ``\\fbox{…}`` (brace-matched, so nested braces
   such as ``\\boxed{\\frac{1}{2}}`` survive), or ``\\boxed 5`` without braces;
2. a closing phrase: "the final answer is …", "the answer is …", "Answer: …"
   (the last one wins; the value runs to the end of its line or sentence).

Every scan is linear in the response length and uses no recursion, so a 1 MB
response or 10,000 nested braces cost milliseconds, not a stack overflow.
"""

from __future__ import annotations

import re

_BOX_COMMANDS = ("\\boxed", "\\fbox")

# "final answer is $x$." / "The answer is: 12" / "Answer: **C**". The value is
# taken up to the end of the line; trailing sentence punctuation is trimmed by
# ``_clean_phrase_value``. "final answer" comes first so that "The final answer
# is 5" does not stop at the shorter "answer is" match.
_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<value>[^\n]+)",
    re.IGNORECASE,
)


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


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed``/``\\fbox`` in ``text``, or None.

    >>> last_boxed(r"so $x = \\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> last_boxed(r"\\boxed 5.")
    '5'
    """
    start = max(text.rfind(cmd) for cmd in _BOX_COMMANDS)
    while start != -1:
        cmd = "\\boxed" if text.startswith("\\boxed", start) else "\\fbox"
        j = start + len(cmd)
        # Skip spaces between the command and its argument.
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            close = _match_brace(text, j)
            if close is not None:
                return text[j + 1 : close].strip()
        elif j > start + len(cmd) and j < len(text):
            # "\boxed 5": the argument is the next token (up to space, $ or punctuation).
            m = re.match(r"[^\s$,;]+", text[j:])
            if m:
                return m.group(0).rstrip(".")
        # Malformed box (unbalanced): try the previous one.
        start = max(text.rfind(cmd, 0, start) for cmd in _BOX_COMMANDS)
    return None


def _clean_phrase_value(value: str) -> str:
    value = value.strip()
    # Markdown emphasis and surrounding math delimiters: "**C**", "$\frac12$".
    value = value.strip("*_ ")
    # "is $m+n=2$, which is ..." -> the math span alone.
    if value.startswith("$") and not value.startswith("$$"):
        close = value.find("$", 1)
        if close > 1:
            return value[1:close].strip()
    # End of sentence: "is 5. Therefore ..." -> "5"; keep decimals like "0.5".
    m = re.match(r"(.*?)(?:\.\s|\.$|$)", value)
    if m and m.group(1):
        value = m.group(1)
    value = value.rstrip(".").strip()
    if value.startswith("$") and value.endswith("$") and len(value) >= 2:
        value = value.strip("$").strip()
    if value.startswith("\\(") and value.endswith("\\)"):
        value = value[2:-2].strip()
    if value.startswith("\\[") and value.endswith("\\]"):
        value = value[2:-2].strip()
    return value


def answer_phrase(text: str) -> str | None:
    """Value after the last "final answer is" / "the answer is" / "Answer:" phrase."""
    last = None
    for m in _PHRASE.finditer(text):
        last = m
    if last is None:
        return None
    value = _clean_phrase_value(last.group("value"))
    return value or None


def extract_final_answer(text: str) -> tuple[str | None, str]:
    """The final answer of a (post-reasoning) response and how it was found.

    Returns ``(answer, source)`` where source is ``"boxed"``, ``"phrase"`` or
    ``"none"``.
    """
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed, "boxed"
    phrase = answer_phrase(text)
    if phrase is not None:
        return phrase, "phrase"
    return None, "none"
