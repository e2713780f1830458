r"""Length rewards the field compares with the paper's cosine reward (DESIGN §3).

Each is an extra reward *stream* that sits on the last token, next to the
correctness stream, so a recipe switches it on with one line and every
estimator (PPO with per-stream γ, GRPO, RLOO) sees it the same way:

- **DAPO soft overlong punishment** (Yu et al. 2025, §3.4), per response:

  .. math::
     R(L) = \begin{cases} 0 & L \le L_{max} - L_{cache} \\
     \frac{(L_{max} - L_{cache}) - L}{L_{cache}} & L_{max} - L_{cache} < L \le L_{max} \\
     -1 & L > L_{max} \end{cases}

- **Kimi 1.5 length penalty** (Kimi Team 2025, §2.3.3), per group of
  responses to one prompt: :math:`\lambda_i = 0.5 - (L_i - L_{min})/(L_{max} - L_{min})`,
  reward :math:`\lambda_i` if correct else :math:`\min(0, \lambda_i)`; 0 for the
  whole group when all lengths are equal.

(Cosine and classic 0/1 are outcome presets, ``presets.py``; overlong
*filtering* masks truncated responses out of the loss and lives in the
trainer, switched by ``RewardSpec.overlong_filter``.)
"""

from __future__ import annotations

from collections.abc import Sequence


def dapo_soft_overlong(length: int, max_length: int, cache: int) -> float:
    """DAPO's soft overlong punishment for one response (0 down to -1).

    >>> dapo_soft_overlong(90, 100, 20), dapo_soft_overlong(70, 100, 20), dapo_soft_overlong(101, 100, 20)
    (-0.5, 0.0, -1.0)
    """
    if not 0 < cache <= max_length:
        raise ValueError(f"cache must be in (0, max_length={max_length}], got {cache}")
    free = max_length - cache
    if length <= free:
        return 0.0
    if length <= max_length:
        return (free - length) / cache
    return -1.0


def kimi_length_rewards(lengths: Sequence[int], correct: Sequence[bool]) -> list[float]:
    """Kimi 1.5's length reward for one group of responses to the same prompt.

    >>> kimi_length_rewards([10, 20, 30], [True, True, False])
    [0.5, 0.0, -0.5]
    """
    if len(lengths) != len(correct):
        raise ValueError(f"{len(lengths)} lengths for {len(correct)} correctness flags")
    if not lengths:
        return []
    low, high = min(lengths), max(lengths)
    if high == low:
        return [0.0] * len(lengths)
    out = []
    for length, ok in zip(lengths, correct, strict=True):
        lam = 0.5 - (length - low) / (high - low)
        out.append(lam if ok else min(0.0, lam))
    return out
