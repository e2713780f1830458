"""Rewards for long-CoT RL (Yeo et al. 2025, §4): pure functions, no torch.

- :class:`CosineReward` / :func:`cosine_reward`: correctness scaled by length
  in tokens, with the exceed penalty (§4.2); named settings in :data:`PRESETS`.
- :func:`repetition_penalty`: the dense, token-level n-gram penalty (§4.5);
  :func:`sequence_repetition_penalty`: TRL's / open-r1's sequence-level form.
"""

from .cosine import CosineReward, cos_fn, cosine_reward
from .presets import PRESETS, get_preset
from .repetition import (
    repeated_ngram_starts,
    repetition_mask,
    repetition_penalty,
    repetition_penalty_batch,
    repetition_penalty_reference,
    sequence_repetition_penalty,
)

__all__ = [
    "PRESETS",
    "CosineReward",
    "cos_fn",
    "cosine_reward",
    "get_preset",
    "repeated_ngram_starts",
    "repetition_mask",
    "repetition_penalty",
    "repetition_penalty_batch",
    "repetition_penalty_reference",
    "sequence_repetition_penalty",
]
