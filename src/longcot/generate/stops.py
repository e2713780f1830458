"""Stop strings: detect them while decoding, cut the text at the first one.

A stop string can span several tokens and a token can hold part of a UTF-8
character, so detection decodes a short window of each row's latest tokens
rather than single tokens. The window is wide enough that any stop string
completed by the newest token lies inside it: a byte-level token holds at least
one byte and a character at most four, so ``4 * len(stop) + 4`` tokens always
cover it.
"""

from __future__ import annotations

from collections.abc import Sequence


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, str | None]:
    """``text`` up to the earliest stop string, and that string (``None`` when none occurs)."""
    best: tuple[int, str] | None = None
    for stop in stops:
        pos = text.find(stop)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, stop)
    if best is None:
        return text, None
    return text[: best[0]], best[1]


class StopWatcher:
    """Tells which rows just completed a stop string, from their generated token ids."""

    def __init__(self, tokenizer, stops: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(s for s in stops if s)
        self.window = 4 * max((len(s) for s in self.stops), default=0) + 4

    def __bool__(self) -> bool:
        return bool(self.stops)

    def hits(self, token_lists: Sequence[Sequence[int]]) -> list[bool]:
        """For each row's generated ids so far: does its decoded tail contain a stop string?"""
        if not self.stops:
            return [False] * len(token_lists)
        tails = self.tokenizer.batch_decode(
            [ids[-self.window :] for ids in token_lists], skip_special_tokens=True
        )
        return [any(stop in tail for stop in self.stops) for tail in tails]
