"""How the harness gets a backend and sees the text a prompt renders to.

The backends themselves live in ``longcot.generate``; this module only builds
one from an :class:`EvalConfig` (``longcot.generate.load_backend``), and asks a
backend for a prompt's rendered text so the harness can tell whether the chat
template itself opens a reasoning block.
"""

from __future__ import annotations

import logging
from typing import Any

from longcot.generate.types import Backend, Prompt

from .config import EvalConfig

log = logging.getLogger(__name__)


def open_backend(config: EvalConfig) -> Backend:
    """The backend ``config`` names, built with ``config.backend_options``."""
    from longcot.generate import load_backend

    return load_backend(config.backend, config.model, **config.backend_options)


def rendered_prompt(backend: Any, prompt: Prompt) -> str | None:
    """The text the model sees for ``prompt``, or ``None`` when the backend cannot tell.

    Local backends hold the tokenizer (chat template); an HTTP backend renders
    on the server, so it may expose ``render`` or nothing.
    """
    render = getattr(backend, "render", None)
    if callable(render):
        return render(prompt)
    tokenizer = getattr(backend, "tokenizer", None)
    if tokenizer is None:
        return None
    from longcot.generate.prompts import render as render_with

    return render_with(tokenizer, prompt)


def opens_reasoning(rendered: str, markers: tuple[str, str]) -> bool:
    """Whether ``rendered`` ends inside an open reasoning block.

    R1-style chat templates end the assistant header with ``<think>\\n``, so the
    response starts inside the block and never writes the opening marker
    itself; without this, a response cut off mid-reasoning would be graded on
    whatever ``\\boxed{}`` it happened to contain.
    """
    open_marker, close_marker = markers
    return rendered.rfind(open_marker) > rendered.rfind(close_marker)


def require_think_close(config: EvalConfig, backend: Any, prompt: Prompt) -> bool:
    """The ``require_think_close`` flag for one prompt (config value, or detected when auto)."""
    if config.think_markers is None:
        return False
    if config.require_think_close is not None:
        return config.require_think_close
    rendered = rendered_prompt(backend, prompt)
    return rendered is not None and opens_reasoning(rendered, config.think_markers)
