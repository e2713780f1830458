"""longcot against peers' own grading tests (rows in peer_grading_cases.py).

Two checks, both on every transcribed row:

- agreement: longcot's verdict (``correct`` or not) equals the peer's expected
  value clearly more often than plain Math-Verify's (``parse`` + ``verify``,
  gold and prediction by keyword) does, and longcot is never ``correct``
  where the peer expects wrong (no false positive);
- the rows longcot disagrees on are exactly :data:`KNOWN_DISAGREEMENTS`, each
  with the reason, so a regression or an improvement shows up here.

Measured when written (265 rows): longcot agrees on 261, plain Math-Verify
0.9.0 on 211; ``benchmarks/verify_peer_agreement.py`` prints the split by kind.
"""

from __future__ import annotations

import logging

import pytest
from math_verify import parse, verify

from longcot.verify import grade_local
from peer_grading_cases import CASES, PeerCase

# Decimal commas: in MATH answers a comma between digits separates values
# ("-2,1" is two solutions), so longcot does not read "1000,99" as 1000.99.
KNOWN_DISAGREEMENTS = {
    ("1000.99", "1000,99"),
    ("1,22", "1.22"),
    ("2.74", "Soucis : 2,74 $ a.."),
    ("0,111", "0.111"),
}


def longcot_correct(case: PeerCase) -> bool:
    return grade_local(case.response, case.gold, task=case.task, **case.options).correct


def math_verify_correct(case: PeerCase) -> bool:
    """Plain Math-Verify as a user calls it: the reference in ``$…$`` unless it has delimiters."""
    gold = str(case.gold)
    delimited = any(d in gold for d in ("$", "\\(", "\\[", "\\boxed"))
    try:
        gold_parsed = parse(gold if delimited else f"${gold}$")
        return bool(verify(gold=gold_parsed, target=parse(case.response)))
    except Exception:  # Math-Verify raising is a "not correct" for a user
        return False


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[PeerCase, bool, bool]]:
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    return [(c, longcot_correct(c), math_verify_correct(c)) for c in CASES]


def test_rows_cover_every_kind_of_the_issue():
    kinds = {c.kind for c in CASES}
    assert {
        "bare answer",
        "free-form final",
        "several boxes",
        "choice",
        "other language",
        "relation",
        "equation",
        "matrix",
        "units",
        "mixed number",
        "gsm8k",
    } <= kinds
    assert len(CASES) >= 250
    assert (
        sum(not c.expected for c in CASES) >= 40
    )  # enough expected-wrong rows to catch a false positive


def test_longcot_agrees_with_peers_clearly_more_often_than_plain_math_verify(verdicts):
    n = len(verdicts)
    ours = sum(lc == c.expected for c, lc, _ in verdicts)
    theirs = sum(mv == c.expected for c, _, mv in verdicts)
    assert ours >= 0.97 * n, f"longcot agrees on {ours}/{n}"
    assert ours - theirs >= 0.15 * n, f"longcot {ours}/{n} vs plain Math-Verify {theirs}/{n}"


def test_no_false_positive_on_peer_rows(verdicts):
    false_positives = [
        (c.source, c.gold, c.response) for c, lc, _ in verdicts if lc and not c.expected
    ]
    assert false_positives == []


def test_disagreements_are_the_known_ones(verdicts):
    disagreements = {(str(c.gold), c.response) for c, lc, _ in verdicts if lc != c.expected}
    assert disagreements == KNOWN_DISAGREEMENTS
