"""What the text-only adapters share: turning response text back into tokens, and
deciding whether a response finished.

verl's ``compute_score`` and OpenRLHF's reward endpoints receive text, not
token ids, yet lengths must be tokens of the policy's tokenizer (DESIGN.md §2).
They re-tokenize with that tokenizer; re-encoding decoded text can differ from
the generated ids by a few tokens where the prompt and response meet.

Whether a response was **truncated** (stopped at the token budget without
end-of-sequence) decides the exceed penalty, so it is taken from the best
source available, in this order (:data:`FINISH_SOURCES`):

1. ``request``: the caller said so (a ``finish_reason`` or ``truncated`` field).
2. ``eos``: the text ends with an end-of-sequence string. OpenRLHF 0.11 decodes
   prompt + response *with* special tokens, so every response that finished
   ends with one: exact.
3. ``special``: no end-of-sequence, but the decoded text keeps other special
   tokens (a chat template's ``<|im_start|>``): the client decoded with special
   tokens, so a finished response would end with one; truncated. This holds
   for OpenRLHF, which sets no stop strings, whatever ``max_length`` says.
4. ``budget``: no end-of-sequence and at least ``max_length - TRUNCATION_SLACK``
   tokens: truncated. The slack absorbs re-tokenization drift; it matters only
   if ``max_length`` equals the rollout's generation budget, which is why
   ``longcot serve-reward`` requires ``--max-length``.
5. ``guessed``: no end-of-sequence, no special tokens to tell, and clearly
   shorter than the budget. Either the client stripped special tokens or
   stopped on a stop string (finished), or ``max_length`` is larger than the
   rollout's budget (truncated, and scored wrongly). It is scored as finished
   and counted, and the adapters warn once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

TRUNCATION_SLACK = 16
"""Tokens of re-tokenization drift allowed when a budget decides truncation (the
paper's reference code uses the same 16-token margin for its exceed rule)."""

FinishSource = Literal["request", "eos", "special", "budget", "guessed"]
FINISH_SOURCES: tuple[str, ...] = ("request", "eos", "special", "budget", "guessed")


class TokenizerLike(Protocol):
    eos_token: str | None

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


@lru_cache(maxsize=4)
def load_tokenizer(path: str) -> Any:
    """``AutoTokenizer.from_pretrained(path)``, cached per process (workers call this per sample)."""
    from transformers import AutoTokenizer  # adapters may use transformers; rewards may not

    return AutoTokenizer.from_pretrained(path)


def eos_token_ids(tokenizer: Any, model_path: str | None = None) -> tuple[int, ...]:
    """Every id that ends a generation: the tokenizer's end-of-sequence, plus the
    ``eos_token_id`` list of ``model_path``'s generation config when there is one
    (Qwen2.5-Instruct stops on both ``<|im_end|>`` and ``<|endoftext|>``, and
    vLLM follows the generation config)."""
    ids: list[int] = []
    eos = getattr(tokenizer, "eos_token_id", None)
    ids.extend(eos if isinstance(eos, list | tuple) else [eos])
    if model_path:
        try:
            from transformers import GenerationConfig

            gen = GenerationConfig.from_pretrained(model_path).eos_token_id
        except (OSError, ValueError):  # no generation_config.json: the tokenizer's is all there is
            gen = None
        ids.extend(gen if isinstance(gen, list | tuple) else [gen])
    return tuple(dict.fromkeys(int(i) for i in ids if i is not None))


def eos_strings(tokenizer: Any, model_path: str | None = None) -> tuple[str, ...]:
    """The end-of-sequence ids of :func:`eos_token_ids` as the strings a decode with
    special tokens writes."""
    out = [getattr(tokenizer, "eos_token", None)]
    for i in eos_token_ids(tokenizer, model_path):
        out.append(tokenizer.convert_ids_to_tokens(i))
    return tuple(dict.fromkeys(s for s in out if s))


def special_token_strings(tokenizer: Any) -> tuple[str, ...]:
    """The tokenizer's special tokens as decoded text (``<|im_start|>``, ``<|im_end|>``, ...)."""
    return tuple(t for t in getattr(tokenizer, "all_special_tokens", ()) or () if t)


def keeps_special_tokens(text: str, special: Iterable[str]) -> bool:
    """Whether ``text`` (a decoded prompt + response) still contains special tokens."""
    return any(t in text for t in special)


def encode_many(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, no special tokens added: one batched call when the
    tokenizer is a Hugging Face one (its Rust encoder releases the GIL), else one
    ``encode`` per text."""
    if hasattr(tokenizer, "batch_encode_plus") or hasattr(tokenizer, "_tokenizer"):
        return [list(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]
    return [list(tokenizer.encode(t, add_special_tokens=False)) for t in texts]


@dataclass(frozen=True, slots=True)
class TextResponse:
    """A response rebuilt from text: ``token_ids`` re-encoded, end-of-sequence stripped."""

    text: str
    token_ids: tuple[int, ...]
    finish_reason: Literal["stop", "length"]
    finish_source: FinishSource


def strip_eos(text: str, eos: Iterable[str]) -> tuple[str, bool]:
    """``(text without a trailing end-of-sequence string, whether it had one)``."""
    stripped = text.rstrip()
    for s in eos:
        if s and stripped.endswith(s):
            return stripped[: -len(s)], True
    return text, False


def decide_finish(
    n_tokens: int,
    *,
    max_length: int,
    ended_with_eos: bool,
    finish_reason: str | None = None,
    special_tokens_kept: bool = False,
    slack: int = TRUNCATION_SLACK,
) -> tuple[Literal["stop", "length"], FinishSource]:
    """``(finish_reason, source)`` by the rules in the module docstring.

    ``special_tokens_kept``: the text was decoded with special tokens (see
    :func:`keeps_special_tokens`)."""
    if finish_reason is not None:
        if finish_reason not in ("stop", "length"):
            raise ValueError(f"finish_reason must be 'stop' or 'length', got {finish_reason!r}")
        return finish_reason, "request"  # type: ignore[return-value]
    if ended_with_eos:
        return "stop", "eos"
    if special_tokens_kept:
        return "length", "special"
    if n_tokens + slack >= max_length:
        return "length", "budget"
    return "stop", "guessed"


def response_from_text(
    text: str,
    tokenizer: TokenizerLike,
    *,
    max_length: int,
    finish_reason: str | None = None,
    eos: Sequence[str] | None = None,
) -> TextResponse:
    """Tokenize ``text`` (end-of-sequence stripped) and decide how it finished.

    ``eos``: end-of-sequence strings (default: the tokenizer's ``eos_token``).
    """
    if eos is None:
        eos = (getattr(tokenizer, "eos_token", None) or "",)
    text, ended = strip_eos(text, eos)
    ids = tuple(int(t) for t in tokenizer.encode(text, add_special_tokens=False))
    finish, source = decide_finish(
        len(ids), max_length=max_length, ended_with_eos=ended, finish_reason=finish_reason
    )
    return TextResponse(text, ids, finish, source)


def stream_share(sample: Any, name: str) -> float:
    """What stream ``name`` adds to :func:`longcot.rewards.scalar_reward`: its
    discounted return at the first position (0 for a skipped sample or a stream
    the spec does not produce)."""
    from ..rewards import place_streams
    from ..rewards.streams import discounted_returns

    if sample.skipped or name not in sample.streams:
        return 0.0
    placed = place_streams(sample)[name]
    return float(discounted_returns(placed, sample.gammas[name])[0]) if placed.size else 0.0


class WarnOnce:
    """Log each distinct warning key once per object (one per server or process)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, key: str, message: str, *args: Any) -> None:
        if key not in self.seen:
            self.seen.add(key)
            log.warning(message, *args)
