"""Generation backends behind one protocol (``types.Backend``).

>>> from longcot.generate import SamplingParams, load_backend
>>> backend = load_backend("hf", "smollm2-135m-instruct")  # doctest: +SKIP
>>> [[c]] = backend.generate([[{"role": "user", "content": "What is 12 + 35?"}]],
...                          SamplingParams(max_new_tokens=32))  # doctest: +SKIP

``hf`` (transformers, CPU/CUDA), ``vllm`` (offline vLLM) and ``openai`` (any
OpenAI-compatible server) are listed in :data:`BACKENDS`. Importing this package
imports neither torch nor vLLM.
"""

from longcot.generate.registry import BACKENDS, load_backend
from longcot.generate.types import (
    Backend,
    Completion,
    FinishReason,
    GenerationConfigError,
    Message,
    Prompt,
    SamplingParams,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "Completion",
    "FinishReason",
    "GenerationConfigError",
    "Message",
    "Prompt",
    "SamplingParams",
    "load_backend",
]
