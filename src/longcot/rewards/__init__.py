"""Rewards for long-CoT RL (Yeo et al. 2025, §4): pure functions, no torch.

- :class:`CosineReward` / :func:`cosine_reward`: correctness scaled by length
  in tokens, with the exceed penalty (§4.2); named settings in :data:`PRESETS`.
- :func:`repetition_penalty`: the dense, token-level n-gram penalty (§4.5);
  :func:`sequence_repetition_penalty`: TRL's / open-r1's sequence-level form.
- :class:`RewardSpec`: grades responses with ``longcot.verify.grade_many`` and
  returns per-token reward streams, each with its own discount (§4.6);
  :class:`StatusPolicy` decides what each verdict status is worth.
- :func:`place_streams`, :func:`scalar_reward`: where rewards sit on the
  trainer's tokens and the one scalar per response (shared by the trainer and
  every adapter).
- :func:`discounted_returns`, :func:`fold_discount`, :func:`combine_streams`:
  stream arithmetic, including the exact rewrite for single-discount trainers.
"""

from .cosine import CosineReward, cos_fn, cosine_reward
from .placement import place_streams, response_positions, scalar_reward
from .policy import OUTCOMES, StatusPolicy
from .presets import PRESETS, get_preset
from .repetition import (
    repeated_ngram_starts,
    repetition_mask,
    repetition_penalty,
    repetition_penalty_batch,
    repetition_penalty_reference,
    sequence_repetition_penalty,
)
from .samples import CORRECTNESS, REPETITION, Response, SampleRewards, batch_metrics
from .spec import RewardSpec
from .streams import combine_streams, discounted_returns, fold_discount, multi_stream_returns

__all__ = [
    "CORRECTNESS",
    "OUTCOMES",
    "PRESETS",
    "REPETITION",
    "CosineReward",
    "Response",
    "RewardSpec",
    "SampleRewards",
    "StatusPolicy",
    "batch_metrics",
    "combine_streams",
    "cos_fn",
    "cosine_reward",
    "discounted_returns",
    "fold_discount",
    "get_preset",
    "multi_stream_returns",
    "place_streams",
    "repeated_ngram_starts",
    "repetition_mask",
    "repetition_penalty",
    "repetition_penalty_batch",
    "repetition_penalty_reference",
    "response_positions",
    "scalar_reward",
    "sequence_repetition_penalty",
]
