"""Named local models (``--model smollm2-135m-instruct``) and model resolution."""

from longcot.models.named import (
    NAMED_MODELS,
    ModelUnavailableError,
    ensure_named_model,
    resolve_model,
)

__all__ = ["NAMED_MODELS", "ModelUnavailableError", "ensure_named_model", "resolve_model"]
