"""A reward a random tiny model can learn in a few RL steps (for the trainer's learning tests).

``brace``: a response is "correct" when it contains ``{``. The trainer tests
stop responses at the first "e" (so they finish instead of hitting the token
cap, which the classic reward scores 0); the tiny random Qwen2 then writes a
brace in about 9 % of samples at temperature 1 (measured), and RL drives that
to ~100 % within 8 steps at lr 1e-2.
"""

from __future__ import annotations

from longcot.verify import Verdict


def brace(region: str, gold, answer_type) -> Verdict:
    del gold, answer_type
    if "{" in region:
        return Verdict("correct", "{", "contains a brace")
    return Verdict("incorrect", region[:10], "no brace")
