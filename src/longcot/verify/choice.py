"""Multiple-choice letters (MMLU-Pro: A–J).

The official MMLU-Pro scorer looks for "answer is (X)", then "Answer: X",
then the last standalone capital letter. We ask for ``\\boxed{X}`` (DESIGN.md
§3). ``extract="auto"`` reads, in order of how explicit they are:

1. ``boxed``: ``\\boxed{C}``, ``\\boxed{(C)}``, ``\\boxed{C. 0.0032 ft}``;
2. ``answer tag``: ``<answer>C</answer>``;
3. ``answer phrase``: "the answer is (C)", "The correct option is (A)",
   "Answer: **C**", "答案：C", "la réponse est C" (:mod:`cues`), with a few
   filler words allowed ("the answer is for sure D");
4. ``bare answer``: the response is only a letter ("C", "**C**", "(C).");
5. ``leading letter``: the response opens with one ("B) Pumps blood",
   "D. it can't be A or B", "B。不是 A");
6. ``emphasis``: the last bold letter ("I think **B** is correct");
7. ``last letter``: the last standalone capital A–J, skipping the English
   words "A" and "I" ("A good idea", "I think").

Rules 5–7 never take a letter the response rejects: a letter after "not",
"can't be", "isn't", "rather than", "不是" … (and the letters listed with it:
"it can't be A or B" rejects both) is not an answer. ``extract="strict"``
keeps rules 1 and 3 with the English phrases only.
"""

from __future__ import annotations

import re

from .cues import CUE, last_match
from .extract import Extraction, ExtractPolicy, check_policy, last_boxed
from .normalize import strip_math_delimiters
from .verdict import Verdict, with_rule

LETTERS = "ABCDEFGHIJ"
CHOICE_RULES: tuple[str, ...] = (
    "boxed",
    "answer tag",
    "answer phrase",
    "bare answer",
    "leading letter",
    "emphasis",
    "last letter",
)
"""Every choice extraction rule, in the order ``auto`` tries them."""

# Inside a box: "C", "(C)", "\text{C}", "\textbf{(C)}", "C. 0.0032 ft", "C) foo".
_BOXED_LETTER = re.compile(
    r"^(?:\\text(?:bf)?\{)?\s*\(?\s*([A-J])\s*\)?\s*\}?(?:$|[.:)\s]|\\)", re.IGNORECASE
)
# "the answer is (C)", "The correct answer is: **C**", "Answer: C", "answer: (c)".
_STRICT_PHRASE_LETTER = re.compile(
    r"answer(?:\s+is)?\s*[:\s]\s*[*_]*\s*\\?\(?\s*(?:option\s+)?\$?\\?(?:text\{|boxed\{)?\(?([A-J])\)?(?![A-Za-z])",
    re.IGNORECASE,
)
# After a cue: optional fillers, "option"/"choice", emphasis, brackets, then the letter.
_AFTER_CUE = re.compile(
    r"\s*(?:(?:for\s+sure|definitely|clearly|probably|most\s+likely|option|choice|选项)\s*)*"
    r"[*_]*\s*\\?[(\[]?\s*\$?\\?(?:text(?:bf)?\{|boxed\{)?\s*(?:\(([a-j])\)|[(\[]?([A-J]))(?![A-Za-z])"
)
_TAG_LETTER = re.compile(r"<answer>\s*[*_(\[]*\s*([A-J])\s*[)\]*_.]*\s*</answer>", re.IGNORECASE)
_BARE = re.compile(r"[*_\s(\[$]*(?:\\text(?:bf)?\{)?\(?([A-J])\)?\}?[*_\s)\].$]*")
_LEADING = re.compile(r"\s*[*_]*\(?([A-J])(?:[).:：。、,]|\s|(?=[^\x00-\x7F])|$)")
_EMPHASIS = re.compile(
    r"(?:\*\*|__)\s*\(?([A-J])\)?[.:]?\s*(?:\*\*|__)|\\textbf\{\s*\(?([A-J])\)?\s*\}"
)
_STANDALONE = re.compile(r"(?<![A-Za-z0-9'’])([A-J])(?![A-Za-z0-9'’])")
# "not A", "can't be A or B", "isn't (C)", "rather than D", "不是 A", "non A", "pas A".
_REJECTION = re.compile(
    r"(?=[ncriep不])(?:\bnot|n['’]t(?:\s+be)?|\bcannot\s+be|\brather\s+than|\binstead\s+of|\bexcept|\bnor|不是|\bnon|\bpas)"
    r"\s*(?:option\s+|choice\s+|answer\s+)?"
    r"(?P<letters>\(?[A-J]\)?(?:\s*(?:,|/|\bor\b|\band\b|\bnor\b)\s*\(?[A-J]\)?)*)(?![A-Za-z])",
    re.IGNORECASE,
)


_NAMING_WINDOW = len("answer  (")  # "option A", "answer (A)": the words that name a letter


def _rejected(text: str) -> set[int]:
    """Positions of the letters the response rules out."""
    positions: set[int] = set()
    for m in _REJECTION.finditer(text):
        for letter in re.finditer(r"[A-Ja-j]", m.group("letters")):
            positions.add(m.start("letters") + letter.start())
    return positions


def _is_english_word(text: str, m: re.Match[str]) -> bool:
    """ "A" and "I" before a lower-case word or an apostrophe are English, not options.

    Unless bracketed or named as an option: "(A) is right", "option A is right".
    """
    if m.group(1) not in "AI" or re.match(r"\s+[a-z]|['’]", text[m.end(1) :]) is None:
        return False
    before = text[max(0, m.start(1) - _NAMING_WINDOW) : m.start(1)]
    return re.search(r"(?:\(|(?:option|choice|answer)\s*)$", before, re.IGNORECASE) is None


def _phrase_letter(text: str) -> str | None:
    last = None
    for cue in CUE.finditer(text):
        m = _AFTER_CUE.match(text, cue.end())
        if m:
            last = m.group(1) or m.group(2)  # "(c)" may be lower case; a bare letter may not
    return last


def _strict(text: str) -> Extraction:
    boxed = last_boxed(text)
    if boxed is not None:
        m = _BOXED_LETTER.match(strip_math_delimiters(boxed))
        if m:
            return Extraction(m.group(1).upper(), "boxed")
    last = last_match(_STRICT_PHRASE_LETTER, text)
    if last is not None:
        return Extraction(last.group(1).upper(), "answer phrase")
    return Extraction(None, None)


def extract_choice_letter(text: str, extract: ExtractPolicy = "auto") -> Extraction:
    """The chosen letter (upper case) and the rule that found it (see the module docstring)."""
    check_policy(extract)
    strict = _strict(text)
    if extract == "strict" or strict.rule == "boxed":
        return strict
    tag = last_match(_TAG_LETTER, text)
    if tag is not None:
        return Extraction(tag.group(1).upper(), "answer tag")
    phrase = _phrase_letter(text)
    if phrase is not None:
        return Extraction(phrase.upper(), "answer phrase")
    bare = _BARE.fullmatch(text.strip())
    if bare:
        return Extraction(bare.group(1), "bare answer")
    rejected = _rejected(text)
    lead = _LEADING.match(text)
    if lead and lead.start(1) not in rejected and not _is_english_word(text, lead):
        return Extraction(lead.group(1), "leading letter")
    for m in reversed(list(_EMPHASIS.finditer(text))):
        group = 1 if m.group(1) else 2
        if m.start(group) not in rejected:
            return Extraction(m.group(group), "emphasis")
    for m in reversed(list(_STANDALONE.finditer(text))):
        if m.start(1) not in rejected and not _is_english_word(text, m):
            return Extraction(m.group(1), "last letter")
    return Extraction(None, None)


def extract_choice(text: str) -> str | None:
    """The chosen letter (upper case), or None, by the ``auto`` policy."""
    return extract_choice_letter(text).answer


def grade_choice(region: str, gold, extract: ExtractPolicy = "auto") -> Verdict:
    gold_letter = str(gold).strip().strip("()").upper() if gold is not None else ""
    if len(gold_letter) != 1 or gold_letter not in LETTERS:
        return Verdict("bad_gold", None, f"reference {gold!r} is not a letter A-J")
    letter, rule = extract_choice_letter(region, extract)
    if letter is None:
        return Verdict("no_answer", None, f"no choice letter found ({extract} extraction)")
    same = letter == gold_letter
    reason = "letters equal" if same else "letters differ"
    return with_rule(Verdict("correct" if same else "incorrect", letter, reason), rule)
