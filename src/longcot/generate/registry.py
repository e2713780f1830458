"""Backends by name: one visible dict, plus a ``module:Class`` escape hatch.

Entries are import strings so ``import longcot.generate`` stays free of torch,
vLLM and httpx until a backend is actually built.
"""

from __future__ import annotations

import importlib

from longcot.generate.types import Backend

BACKENDS: dict[str, str] = {
    "hf": "longcot.generate.hf:HFBackend",  # transformers, CPU or CUDA
    "vllm": "longcot.generate.vllm_backend:VLLMBackend",  # offline vllm.LLM, extra [vllm]
    "openai": "longcot.generate.openai_backend:OpenAIBackend",  # any OpenAI-compatible server
}
"""Backend name -> ``module:attribute`` of a class (or factory) taking ``(model, **options)``."""


def _import(target: str):
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ValueError(f"{target!r}: expected 'package.module:ClassName'")
    return getattr(importlib.import_module(module), attr)


def load_backend(name: str, model: str, **options) -> Backend:
    """Build backend ``name`` for ``model``.

    Args:
        name: a key of :data:`BACKENDS`, or ``"package.module:Factory"`` for your own backend.
        model: a named model, a local folder or a hub id (``hf``, ``vllm``); the served
            model id or the server URL (``openai``).
        **options: passed to the backend's constructor (e.g. ``device``, ``base_url``).

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if name in BACKENDS:
        target = BACKENDS[name]
    elif ":" in name:
        target = name
    else:
        raise ValueError(
            f"unknown backend {name!r}; known: {sorted(BACKENDS)}, or 'package.module:Factory'"
        )
    backend = _import(target)(model, **options)
    if not isinstance(backend, Backend):
        raise TypeError(
            f"{target} built {type(backend).__name__}, which lacks generate()/close()/name"
        )
    return backend
