"""What each grading status is worth: the one place that decides it.

The verifier returns a :class:`~longcot.verify.verdict.Verdict` whose status
keeps "wrong" apart from "could not tell". RL needs a number, so this policy
maps each status to an *outcome* the reward understands:

- ``correct`` -> ``"correct"`` and ``incorrect`` -> ``"wrong"``: fixed.
- ``no_answer`` (nothing extracted, e.g. reasoning cut off at the cap):
  ``"no_answer"`` by default, which :class:`~longcot.rewards.cosine.CosineReward`
  scores as wrong unless it sets ``r_no_answer`` (the §6 base-model reward does).
- ``bad_gold`` (the reference answer is unusable): ``"skip"`` by default. The
  sample says nothing about the policy, so it gets no reward at all (``None``
  for TRL, which then leaves it out of the group baseline) instead of a
  made-up 0 that would bias the advantage.
- ``timeout`` (the grader ran out of time or its worker died): ``"wrong"`` by
  default, and counted in the ``timeout`` metric so a slow grader shows up in
  the logs instead of silently lowering accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Outcome = Literal["correct", "wrong", "no_answer", "skip"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


@dataclass(frozen=True, slots=True)
class StatusPolicy:
    """Outcome for each :data:`~longcot.verify.verdict.STATUSES` value.

    Attributes:
        no_answer: outcome of a response with no extractable final answer.
        bad_gold: outcome when the gold answer is unusable (default ``"skip"``).
        timeout: outcome when grading timed out (default ``"wrong"``).
    """

    no_answer: Outcome = "no_answer"
    bad_gold: Outcome = "skip"
    timeout: Outcome = "wrong"

    def __post_init__(self) -> None:
        for name in ("no_answer", "bad_gold", "timeout"):
            value = getattr(self, name)
            if value not in OUTCOMES:
                raise ValueError(f"StatusPolicy.{name} must be one of {OUTCOMES}, got {value!r}")

    def outcome(self, status: str) -> Outcome:
        """The outcome for a verdict status; ValueError on an unknown status."""
        if status == "correct":
            return "correct"
        if status == "incorrect":
            return "wrong"
        if status in ("no_answer", "bad_gold", "timeout"):
            return getattr(self, status)
        raise ValueError(f"unknown verdict status {status!r}")
