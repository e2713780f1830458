"""Answer cue words: the phrases after which a response states its final answer.

One table for every task, so math answers and choice letters read the same
phrases. English first, then the cue words of the languages lighteval's
multilingual extraction tests use (Chinese, French, Arabic, Hindi) and a few
more that models answer in. Each language's entry is ``(cue, connector)``:
the cue word, then what may join it to the answer ("is", a colon, a copula).

- :data:`STRICT_PHRASE` is the English phrase set ``extract="strict"`` has
  always read ("final answer is", "the answer is", "Answer:"), unchanged so
  RL recipes keep the same format incentive;
- :data:`PHRASE` adds "the correct answer/option/choice is", "my answer is"
  and the other languages, for ``extract="auto"``.

A cue needs its connector: the word "answer" alone ("to answer this, ...")
starts nothing.
"""

from __future__ import annotations

import re

_COLON = r"[:：]"

# English cues and connectors. "final answer" first so that "The final answer
# is 5" does not stop at the shorter "answer is" match.
_EN_CUE = (
    r"(?:final\s+answer|(?:the\s+)?correct\s+(?:answer|option|choice)"
    r"|(?:my|the)\s+(?:final\s+)?(?:answer|choice)|answer)"
)
_EN_CONNECTOR = rf"\s*(?:is|{_COLON}|=)\s*{_COLON}?"

# (cue, connector) per language; connectors are the copula or a colon.
_OTHER_LANGUAGES: tuple[tuple[str, str], ...] = (
    (r"(?:最终答案|正确答案|答案)", rf"\s*(?:{_COLON}|是|为|為)\s*{_COLON}?"),  # Chinese
    (r"(?:答え|正解)", rf"\s*(?:{_COLON}|は)\s*{_COLON}?"),  # Japanese
    (r"(?:정답|답)", rf"\s*(?:{_COLON}|은|는)\s*"),  # Korean
    (
        r"(?:la\s+)?(?:bonne\s+)?r[ée]ponse(?:\s+finale)?",
        rf"\s*(?:est|{_COLON})\s*{_COLON}?",
    ),  # French
    (r"(?:la\s+)?respuesta(?:\s+final)?", rf"\s*(?:es|{_COLON})\s*{_COLON}?"),  # Spanish
    (r"(?:die\s+)?antwort", rf"\s*(?:ist|lautet|{_COLON})\s*{_COLON}?"),  # German
    (r"(?:a\s+)?resposta(?:\s+final)?", rf"\s*(?:é|{_COLON})\s*{_COLON}?"),  # Portuguese
    (r"(?:la\s+)?risposta(?:\s+finale)?", rf"\s*(?:è|{_COLON})\s*{_COLON}?"),  # Italian
    (r"ответ", rf"\s*(?:{_COLON}|—|-)\s*"),  # Russian
    (
        r"(?:الإجابة|الاجابة|الجواب)(?:\s+النهائية)?",
        rf"\s*(?:{_COLON}|هي|هو)\s*{_COLON}?",
    ),  # Arabic
    (r"(?:अंतिम\s+)?उत्तर", rf"\s*(?:{_COLON}|है)\s*{_COLON}?"),  # Hindi
)

# The first letters of every cue: a one-character lookahead lets the regex
# engine skip most positions at once (5x faster on long responses).
_FIRST = "(?=[ftcmalbrdoоاअउ最正答정답])"
_ALL_CUES = (
    _FIRST
    + "(?:"
    + "|".join(
        [f"(?:{_EN_CUE}{_EN_CONNECTOR})"] + [f"(?:{cue}{conn})" for cue, conn in _OTHER_LANGUAGES]
    )
    + ")"
)

STRICT_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<value>[^\n]+)",
    re.IGNORECASE,
)
"""The English phrases of ``extract="strict"``; the value runs to the end of its line."""

PHRASE = re.compile(rf"(?:{_ALL_CUES})\s*(?P<value>[^\n]+)", re.IGNORECASE)
"""Every cue of :data:`PHRASE`'s languages; the value runs to the end of its line."""

CUE = re.compile(rf"(?:{_ALL_CUES})", re.IGNORECASE)
"""The cue and its connector alone, for readers that parse what follows themselves
(choice letters)."""


def last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last non-overlapping match of ``pattern`` in ``text``, or None."""
    last = None
    for m in pattern.finditer(text):
        last = m
    return last
