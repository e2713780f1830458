"""Prompts to token ids, the same way in every local backend and the server.

A plain string is tokenized as is (with the tokenizer's own special tokens,
e.g. a BOS where the model uses one). A conversation is rendered with the
tokenizer's chat template plus the assistant header (``add_generation_prompt``)
and then tokenized *without* adding special tokens, since the template already
wrote them; adding them again would put a second BOS in front (vLLM renders
the same way).
"""

from __future__ import annotations

from collections.abc import Sequence

from longcot.generate.types import Message, Prompt


class ChatTemplateMissingError(ValueError):
    """A conversation was given to a tokenizer that has no chat template."""


def is_chat(prompt: Prompt) -> bool:
    return not isinstance(prompt, str)


def validate_messages(messages: Sequence[Message]) -> list[Message]:
    """Check the message shape early, with a message that names the bad item."""
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise TypeError(
                f"message {i} must be a dict with 'role' and 'content', got {message!r}"
            )
        out.append({"role": str(message["role"]), "content": str(message["content"])})
    if not out:
        raise ValueError("a chat prompt needs at least one message")
    return out


def render(tokenizer, prompt: Prompt) -> str:
    """The text the model sees for ``prompt`` (chat template applied to conversations)."""
    if isinstance(prompt, str):
        return prompt
    if not getattr(tokenizer, "chat_template", None):
        raise ChatTemplateMissingError(
            f"{type(tokenizer).__name__} has no chat template; pass plain-text prompts "
            "or use an instruct model's tokenizer"
        )
    return tokenizer.apply_chat_template(
        validate_messages(prompt), tokenize=False, add_generation_prompt=True
    )


def encode(tokenizer, prompt: Prompt) -> list[int]:
    """Token ids of ``prompt`` as the model will see them."""
    text = render(tokenizer, prompt)
    ids = tokenizer(text, add_special_tokens=not is_chat(prompt))["input_ids"]
    if not ids:
        raise ValueError("the prompt encodes to no tokens; give at least one character")
    return list(ids)
