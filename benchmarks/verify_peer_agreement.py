"""Agreement with peers' own grading tests: longcot vs plain Math-Verify, by kind.

Reads the rows transcribed in tests/peer_grading_cases.py (Math-Verify,
lighteval, NeMo-Skills, AReaL, TRL, verl, NeMo-RL, rLLM, SkyThought test
files, each row with the peer's expected verdict) and grades each three ways
in the same run:

1. plain Math-Verify: ``verify(gold=parse(gold), target=parse(response))``,
   the reference wrapped in ``$…$`` unless it has delimiters;
2. longcot with ``extract="strict"`` (box or English phrase only);
3. longcot with ``extract="auto"`` (the default).

Prints, per kind and in total, how many verdicts agree with the peer's, and
every false positive (graded correct where the peer expects wrong).

    .venv/bin/python benchmarks/verify_peer_agreement.py
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from pathlib import Path

from math_verify import parse, verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from longcot.verify import grade_local
from peer_grading_cases import CASES, PeerCase


def math_verify_correct(case: PeerCase) -> bool:
    gold = str(case.gold)
    delimited = any(d in gold for d in ("$", "\\(", "\\[", "\\boxed"))
    try:
        return bool(
            verify(gold=parse(gold if delimited else f"${gold}$"), target=parse(case.response))
        )
    except Exception:
        return False


def longcot_correct(case: PeerCase, extract: str) -> bool:
    options = {**case.options}
    options.setdefault("extract", extract)
    return grade_local(case.response, case.gold, task=case.task, **options).correct


def main() -> None:
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    graders = {
        "plain Math-Verify": math_verify_correct,
        "longcot strict": lambda c: longcot_correct(c, "strict"),
        "longcot auto": lambda c: longcot_correct(c, "auto"),
    }
    agree: dict[str, dict[str, int]] = {name: defaultdict(int) for name in graders}
    false_positives: dict[str, list[PeerCase]] = {name: [] for name in graders}
    count: dict[str, int] = defaultdict(int)
    for case in CASES:
        count[case.kind] += 1
        for name, grader in graders.items():
            got = grader(case)
            agree[name][case.kind] += got == case.expected
            if got and not case.expected:
                false_positives[name].append(case)

    width = max(len(k) for k in count) + 2
    print(f"{len(CASES)} peer rows; cells: verdicts agreeing with the peer's expected value\n")
    print(f"{'kind':{width}}{'rows':>6}" + "".join(f"{name:>20}" for name in graders))
    for kind in sorted(count):
        cells = "".join(f"{agree[name][kind]:>20}" for name in graders)
        print(f"{kind:{width}}{count[kind]:>6}{cells}")
    totals = {name: sum(agree[name].values()) for name in graders}
    print(f"{'total':{width}}{len(CASES):>6}" + "".join(f"{totals[n]:>20}" for n in graders))
    print(
        f"{'false positives':{width}}{'':>6}"
        + "".join(f"{len(false_positives[n]):>20}" for n in graders)
    )
    for name, cases in false_positives.items():
        for c in cases[:10]:
            print(
                f"  {name} false positive: gold {c.gold!r} response {c.response[:60]!r} ({c.source})"
            )


if __name__ == "__main__":
    main()
