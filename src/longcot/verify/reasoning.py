"""Separate a reasoning block (``<think> … </think>``) from the final answer.

DESIGN.md §3: when a response has a closed reasoning block, the answer comes
from the text after it; when the block never closes (the generation hit its
token cap), the response has no final answer, and a ``\\boxed{}`` inside the
unfinished reasoning must not be graded (lm-evaluation-harness #3382,
allenai/olmo-eval #399).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import THINK_MARKERS as DEFAULT_THINK_MARKERS


@dataclass(frozen=True, slots=True)
class AnswerRegion:
    """The part of a response that holds the final answer.

    Attributes:
        text: the text to extract from, or None when there is no final answer.
        reason: why ``text`` is None (empty otherwise).
    """

    text: str | None
    reason: str = ""


def answer_region(
    response: str,
    markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS,
    *,
    require_close: bool = False,
) -> AnswerRegion:
    """Return the region of ``response`` after its reasoning block.

    Args:
        response: the model's response (prompt excluded).
        markers: ``(open, close)`` reasoning markers, or None for models that
            do not write them (the whole response is then graded).
        require_close: set when the prompt itself opened the reasoning block
            (chat templates of R1-style models end with ``<think>``), so the
            response is inside the block until ``close`` appears.
    """
    if markers is None:
        return AnswerRegion(response)
    open_marker, close_marker = markers
    close_at = response.rfind(close_marker)
    if close_at != -1:
        return AnswerRegion(response[close_at + len(close_marker) :])
    if require_close:
        return AnswerRegion(None, f"reasoning block never closed ({close_marker!r} missing)")
    if open_marker in response:
        return AnswerRegion(None, f"reasoning block opened with {open_marker!r} but never closed")
    return AnswerRegion(response)
