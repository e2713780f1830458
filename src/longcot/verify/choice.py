"""Multiple-choice letters (MMLU-Pro: A–J).

The official MMLU-Pro scorer looks for "answer is (X)", then "Answer: X",
then the last standalone capital letter. We ask for ``\\boxed{X}`` (DESIGN.md
§3) and accept, in order of how explicit they are: the last box, the last
"answer is (X)" / "answer: X" phrase. A bare letter anywhere in the text is
not accepted: "A" is also an English word, so that fallback grades prose.
"""

from __future__ import annotations

import re

from .extract import last_boxed
from .normalize import strip_math_delimiters
from .verdict import Verdict

LETTERS = "ABCDEFGHIJ"

# Inside a box: "C", "(C)", "\text{C}", "\textbf{(C)}", "C. 0.0032 ft", "C) foo".
_BOXED_LETTER = re.compile(
    r"^(?:\\text(?:bf)?\{)?\s*\(?\s*([A-J])\s*\)?\s*\}?(?:$|[.:)\s]|\\)", re.IGNORECASE
)
# "the answer is (C)", "The correct answer is: **C**", "Answer: C", "answer: (c)".
_PHRASE_LETTER = re.compile(
    r"answer(?:\s+is)?\s*[:\s]\s*[*_]*\s*\\?\(?\s*(?:option\s+)?\$?\\?(?:text\{|boxed\{)?\(?([A-J])\)?(?![A-Za-z])",
    re.IGNORECASE,
)


def extract_choice(text: str) -> str | None:
    """The chosen letter (upper case), or None."""
    boxed = last_boxed(text)
    if boxed is not None:
        m = _BOXED_LETTER.match(strip_math_delimiters(boxed))
        if m:
            return m.group(1).upper()
    last = None
    for m in _PHRASE_LETTER.finditer(text):
        last = m
    return last.group(1).upper() if last else None


def grade_choice(region: str, gold) -> Verdict:
    gold_letter = str(gold).strip().strip("()").upper() if gold is not None else ""
    if len(gold_letter) != 1 or gold_letter not in LETTERS:
        return Verdict("bad_gold", None, f"reference {gold!r} is not a letter A-J")
    letter = extract_choice(region)
    if letter is None:
        return Verdict("no_answer", None, "no choice letter found")
    if letter == gold_letter:
        return Verdict("correct", letter, "letters equal")
    return Verdict("incorrect", letter, "letters differ")
