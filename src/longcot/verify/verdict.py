"""The result type of every grading call.

A bare ``bool`` cannot tell "wrong" from "could not tell" (EXEMPLARS.md,
anti-pattern 2), so graders return a :class:`Verdict` whose ``status`` keeps
the difference; one policy (``longcot.rewards``) decides what each is worth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..constants import STATUSES, Status


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of grading one response against one reference answer.

    Attributes:
        status: one of :data:`STATUSES`.
        extracted: the final answer taken from the response, as text, or
            ``None`` when nothing was extracted.
        reason: a short human-readable explanation (which comparison decided,
            or why none could be made).
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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["correct"] = self.correct
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Verdict:
        return cls(status=d["status"], extracted=d.get("extracted"), reason=d.get("reason", ""))
