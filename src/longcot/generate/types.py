"""The contract every generation backend implements.

A backend takes prompts (plain text, or chat messages rendered with the
tokenizer's own chat template) and :class:`SamplingParams`, and returns, for
each prompt in order, ``params.n`` :class:`Completion` objects. Backends are
interchangeable: evaluation, rejection sampling and RL rollouts only see this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""

Prompt = str | Sequence[Message]
"""A plain-text prompt (sent as is) or a conversation (rendered with the chat template)."""

FinishReason = Literal["stop", "length"]
"""``stop``: the model ended the response (end-of-sequence token or a stop
string). ``length``: it hit ``max_new_tokens`` (the response is truncated)."""


class GenerationConfigError(ValueError):
    """A sampling parameter is out of range; the message names it and its value."""

    def __init__(self, name: str, value: object, hint: str) -> None:
        super().__init__(f"SamplingParams.{name}={value!r}: {hint}")
        self.name = name
        self.value = value


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. Defaults are the paper's evaluation settings (§2.5)."""

    n: int = 1
    """Completions per prompt, ≥ 1."""
    temperature: float = 0.7
    """Softmax temperature, ≥ 0. ``0`` means greedy decoding (``top_p`` is then ignored)."""
    top_p: float = 0.95
    """Nucleus sampling mass, in (0, 1]. ``1`` disables it."""
    max_new_tokens: int = 16384
    """Cap on generated tokens per completion, ≥ 1. A completion that reaches it
    has ``finish_reason == "length"``."""
    seed: int | None = 0
    """Seed for sampling; the same seed, model, backend and prompts give the same
    outputs. ``None`` draws fresh randomness. In the ``hf`` backend each completion
    is seeded from (seed, prompt tokens, sample index), so it does not depend on
    the other prompts of the call or on batching (up to float rounding); the
    ``openai`` backend sends ``seed + sample index`` with each one-sample request."""
    stop: tuple[str, ...] = ()
    """Strings that end a completion when generated; the returned text excludes them."""
    logprobs: bool = False
    """Also return the log-probability of each generated token under the sampling
    distribution before top-p (``softmax(logits / temperature)``) in
    ``Completion.extra["token_logprobs"]`` (and ``eos_logprob``): what a trainer
    needs to correct for a rollout engine whose numbers differ from its own
    (truncated importance sampling). Supported by ``hf`` and ``vllm``."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise GenerationConfigError("n", self.n, "ask for at least one completion per prompt")
        if self.temperature < 0:
            raise GenerationConfigError(
                "temperature", self.temperature, "must be >= 0 (0 = greedy)"
            )
        if not 0 < self.top_p <= 1:
            raise GenerationConfigError("top_p", self.top_p, "must be in (0, 1]; 1 disables it")
        if self.max_new_tokens < 1:
            raise GenerationConfigError("max_new_tokens", self.max_new_tokens, "must be >= 1")
        if isinstance(self.stop, str):
            # A bare string would be iterated as characters: a classic footgun.
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))


@dataclass(frozen=True)
class Completion:
    """One generated response."""

    text: str
    """The response text, without the prompt, special tokens or the stop string."""
    token_ids: tuple[int, ...]
    """Generated token ids (policy tokenizer), end-of-sequence excluded. Empty
    when the backend cannot report them (some OpenAI-compatible servers)."""
    finish_reason: FinishReason
    prompt_tokens: int
    """Tokens in the rendered prompt."""
    completion_tokens: int
    """Tokens generated, as counted by the backend (the server's ``usage`` for
    HTTP backends); equals ``len(token_ids)`` when ids are known."""
    extra: dict = field(default_factory=dict, compare=False)
    """Backend-specific details. Keys in use: ``stop`` (the stop string that ended
    the completion; absent when it ended with end-of-sequence or at the cap),
    ``eos_token_id`` (hf, vllm: the end-of-sequence token that ended it, which a
    trainer scores as the last action), ``token_logprobs`` / ``eos_logprob`` (hf,
    vllm, when ``SamplingParams.logprobs``), ``cumulative_logprob`` (vllm), ``finish_reason`` (openai: the server's own value,
    e.g. ``content_filter``), ``usage_missing`` (openai: the server sent no usage)."""

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


@runtime_checkable
class Backend(Protocol):
    """Anything that turns prompts into completions."""

    name: str

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """Return ``len(prompts)`` lists, each of ``params.n`` completions, in prompt order."""
        ...

    def close(self) -> None:
        """Release processes, GPU memory or connections. Idempotent."""
        ...
