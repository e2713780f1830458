"""The result type of every grading call.

A bare ``bool`` cannot tell "wrong" from "could not tell" (EXEMPLARS.md,
anti-pattern 2), so graders return a :class:`Verdict` whose ``status`` keeps
the difference; one policy (``longcot.rewards``) decides what each is worth.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

from ..constants import STATUSES, Status

RULE_SUFFIX = " (extracted by: {rule})"
"""How a verdict's reason names the extraction rule: ``"numbers equal (extracted by: boxed)"``."""
_RULE_SUFFIX = re.compile(r" \(extracted by: ([^()]+)\)$")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of grading one response against one reference answer.

    Attributes:
        status: one of :data:`STATUSES`.
        extracted: the final answer taken from the response, as text, or
            ``None`` when nothing was extracted.
        reason: a short human-readable explanation (which comparison decided,
            or why none could be made). When an answer was extracted, it
            ends with ``(extracted by: <rule>)``, the extraction rule
            (``longcot.verify.extract.RULES``, ``choice.CHOICE_RULES``);
            :attr:`extraction_rule` reads it back. A grader that raised says
            ``grader error: ...``; a time-out says ``time limit reached ...``.
    """

    status: Status
    extracted: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Verdict.status must be one of {STATUSES}, got {self.status!r}")

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def extraction_rule(self) -> str | None:
        """The rule that extracted the answer (``"boxed"``, ``"last number"``, ...), or None."""
        m = _RULE_SUFFIX.search(self.reason)
        return m.group(1) if m else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["correct"] = self.correct
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Verdict:
        return cls(status=d["status"], extracted=d.get("extracted"), reason=d.get("reason", ""))


def with_rule(verdict: Verdict, rule: str | None) -> Verdict:
    """``verdict`` with the extraction rule appended to its reason (see :data:`RULE_SUFFIX`)."""
    if rule is None or verdict.extraction_rule is not None:
        return verdict
    return replace(verdict, reason=verdict.reason + RULE_SUFFIX.format(rule=rule))
