"""What the text-only adapters share: turning response text back into tokens.

verl's ``compute_score`` and OpenRLHF's reward endpoints receive text, not
token ids, yet lengths must be tokens of the policy's tokenizer (DESIGN.md §2).
They re-tokenize with that tokenizer. Re-encoding decoded text can differ from
the generated ids by a few tokens at merge boundaries, which is why those
adapters document the reference code's exceed margin (16 tokens) for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol


class TokenizerLike(Protocol):
    eos_token: str | None

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


@lru_cache(maxsize=4)
def load_tokenizer(path: str) -> Any:
    """``AutoTokenizer.from_pretrained(path)``, cached per process (workers call this per sample)."""
    from transformers import AutoTokenizer  # adapters may use transformers; rewards may not

    return AutoTokenizer.from_pretrained(path)


@dataclass(frozen=True, slots=True)
class TextResponse:
    """A response rebuilt from text: ``token_ids`` re-encoded, end-of-sequence stripped."""

    text: str
    token_ids: tuple[int, ...]
    finish_reason: str


def response_from_text(
    text: str,
    tokenizer: TokenizerLike,
    *,
    max_length: int,
    finish_reason: str | None = None,
) -> TextResponse:
    """Tokenize ``text``; decide ``finish_reason`` when the caller does not know it.

    A text ending with the tokenizer's end-of-sequence string finished
    (``stop``); it is stripped first. Otherwise, it is ``length`` (truncated)
    when it fills the budget, else ``stop`` (it ended on a stop string, or the
    caller decoded without special tokens).
    """
    eos = getattr(tokenizer, "eos_token", None)
    ended_with_eos = bool(eos) and text.rstrip().endswith(eos)
    if ended_with_eos:
        text = text.rstrip()[: -len(eos)]
    ids = tuple(int(t) for t in tokenizer.encode(text, add_special_tokens=False))
    if finish_reason is None:
        finish_reason = "stop" if ended_with_eos or len(ids) < max_length else "length"
    return TextResponse(text, ids, finish_reason)
