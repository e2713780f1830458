"""The action state machine of constructed long CoT (paper §3.3; DESIGN §3).

A trace moves through actions::

    clarify -> decompose -> step <-> reflect -> answer

At each action the teacher is prompted with the problem, the log so far and
the action to take (``templates/<action>.txt``); the log grows by its output.
Where there is a choice (after ``step``: step, reflect or answer; after
``reflect``: step or answer), **the output chooses**: its last
``NEXT: <action>`` line names the next action (``solution`` and
``reflection`` are read as ``step`` and ``reflect``). An output without such a
line, or naming an action not allowed there, ends the trace as **failed**,
with the reason kept in the output: a construction method must say how often
its teacher cannot follow it, not hide it.

``max_actions`` caps a trace: when only one action is left, it is ``answer``,
whatever the output chose (``forced_answer`` records it). The constructed
response is the log's reasoning inside the reasoning markers, then the
answer's text (:meth:`Trace.response`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ACTIONS: tuple[str, ...] = ("clarify", "decompose", "step", "reflect", "answer")
START = "clarify"
NEXT: dict[str, tuple[str, ...]] = {
    "clarify": ("decompose",),
    "decompose": ("step",),
    "step": ("step", "reflect", "answer"),
    "reflect": ("step", "answer"),
    "answer": (),
}
"""Action -> the actions allowed after it; one choice means no choice to parse."""

SYNONYMS: dict[str, str] = {
    "step": "step",
    "solution": "step",
    "reflect": "reflect",
    "reflection": "reflect",
    "answer": "answer",
    "clarify": "clarify",
    "decompose": "decompose",
}

# "NEXT: step", "**Next action:** reflect", "next - answer"; the last such line counts.
_NEXT_LINE = re.compile(
    r"^[\s*_`#>-]*next(?:\s+action)?[\s*_`]*[:\-][\s*_`]*([A-Za-z]+)", re.I | re.M
)


@dataclass(frozen=True)
class Parsed:
    """One output read against its action."""

    content: str
    """The text appended to the log (the output without its ``NEXT:`` line)."""
    next: str | None
    """The next action; ``None`` after ``answer`` or on failure."""
    error: str | None = None
    """Why the output could not be used (the trace fails)."""


def parse_output(action: str, output: str) -> Parsed:
    """Read one output of ``action``: its content and the next action it chose.

    >>> parse_output("step", "2 + 3 = 5\\nNEXT: reflect")
    Parsed(content='2 + 3 = 5', next='reflect', error=None)
    >>> parse_output("reflect", "Wait, fine.").error
    "no 'NEXT: <action>' line; after reflect choose one of step, answer"
    """
    if action not in NEXT:
        raise ValueError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    allowed = NEXT[action]
    matches = list(_NEXT_LINE.finditer(output))
    content = output[: matches[-1].start()].strip() if matches else output.strip()
    if not allowed:  # answer: the trace ends
        return Parsed(content, None)
    if len(allowed) == 1:
        return Parsed(content, allowed[0])
    if not matches:
        return Parsed(
            content,
            None,
            f"no 'NEXT: <action>' line; after {action} choose one of {', '.join(allowed)}",
        )
    word = matches[-1].group(1).lower()
    chosen = SYNONYMS.get(word)
    if chosen not in allowed:
        return Parsed(
            content,
            None,
            f"'NEXT: {word}' is not allowed after {action}; choose one of {', '.join(allowed)}",
        )
    if not content:
        return Parsed(content, None, f"the {action} output is empty apart from its NEXT line")
    return Parsed(content, chosen)


@dataclass
class Trace:
    """One constructed trace: its actions so far and where it stands."""

    problem_id: str
    trace: int
    """Which of the problem's ``rollout.n`` traces this is (it seeds the sampling)."""
    max_actions: int
    log: list[tuple[str, str]] = field(default_factory=list)
    """``(action, content)`` pairs, in order."""
    status: str = "running"
    """``running``, ``done`` (answered) or ``failed``."""
    reason: str = ""
    forced_answer: bool = False
    completion_tokens: int = 0
    truncated: bool = False
    """Some action hit the token cap."""
    pending: str | None = START
    """The action to take next while ``running``."""

    @property
    def next_action(self) -> str | None:
        return self.pending if self.status == "running" else None

    def apply(
        self, action: str, output: str, *, tokens: int = 0, truncated: bool = False
    ) -> Parsed:
        """Record ``output`` as the result of ``action`` (the trace's next action)."""
        if action != self.next_action:
            raise ValueError(
                f"trace {self.problem_id}#{self.trace}: got {action!r}, expected {self.next_action!r}"
            )
        parsed = parse_output(action, output)
        self.log.append((action, parsed.content))
        self.completion_tokens += tokens
        self.truncated = self.truncated or truncated
        if parsed.error is not None:
            self.status, self.reason = (
                "failed",
                f"{action} (action {len(self.log)}): {parsed.error}",
            )
            self.pending = None
        elif parsed.next is None:
            self.status, self.pending = "done", None
        elif len(self.log) >= self.max_actions - 1 and parsed.next != "answer":
            self.pending, self.forced_answer = "answer", True
        else:
            self.pending = parsed.next
        return parsed

    def render_log(self) -> str:
        """The log as the teacher sees it in ``{{log}}``."""
        if not self.log:
            return "(nothing yet)"
        return "\n\n".join(f"[{action}]\n{content}" for action, content in self.log)

    def response(self, think_markers: tuple[str, str] | None) -> str:
        """The constructed long CoT: the reasoning actions in the reasoning block,
        then the answer's text. A failed trace gives what it has so far."""
        reasoning = "\n\n".join(c for a, c in self.log if a != "answer" and c)
        answer = "\n\n".join(c for a, c in self.log if a == "answer")
        if think_markers is None:
            return "\n\n".join(p for p in (reasoning, answer) if p)
        open_marker, close_marker = think_markers
        if self.status != "done":
            return f"{open_marker}\n{reasoning}"  # never closed: no final answer
        return f"{open_marker}\n{reasoning}\n{close_marker}\n\n{answer}"

    def actions(self) -> list[str]:
        return [a for a, _ in self.log]
