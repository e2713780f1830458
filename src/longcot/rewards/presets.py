"""Named outcome-reward settings from the paper, in one visible dict.

Every preset is a :class:`~longcot.rewards.cosine.CosineReward`; a constant
reward is the cosine schedule with equal end points. Budgets (``max_length``)
are not part of a preset: the same reward is used at 4K, 8K and 16K context.
"""

from __future__ import annotations

from .cosine import CosineReward

PRESETS: dict[str, CosineReward] = {
    # §4.2, the paper's cosine reward: r0c=2, rLc=1, r0w=-10, rLw=0, re=-10.
    "paper": CosineReward(),
    # §4.2 reference code's exceed rule: over budget when length + 16 >= max_length.
    "paper_margin16": CosineReward(exceed_margin=16),
    # §4.1 "classic" baseline: 1 if correct, 0 if wrong, 0 if over budget.
    "classic": CosineReward(
        r0_correct=1.0, rL_correct=1.0, r0_wrong=0.0, rL_wrong=0.0, r_exceed=0.0
    ),
    # §6 RL from a base model: +1 correct, -0.5 wrong, -1 no answer. A truncated
    # response has no final answer, so it also gets -1.
    "base_rl": CosineReward(
        r0_correct=1.0,
        rL_correct=1.0,
        r0_wrong=-0.5,
        rL_wrong=-0.5,
        r_exceed=-1.0,
        r_no_answer=-1.0,
    ),
    # §4.3 ablations of (r0c, rLc, r0w, rLw); the exceed penalty keeps the
    # paper's -10 (the ablation varies only the four end points).
    # A: a correct answer earns more the longer it is, a wrong one is free.
    "ablation_a": CosineReward(r0_correct=0.0, rL_correct=10.0, r0_wrong=0.0, rL_wrong=0.0),
    # B and C: the paper's shape with the correct band moved up to 5..6 and 9..10.
    "ablation_b": CosineReward(r0_correct=6.0, rL_correct=5.0, r0_wrong=-10.0, rL_wrong=0.0),
    "ablation_c": CosineReward(r0_correct=10.0, rL_correct=9.0, r0_wrong=-10.0, rL_wrong=0.0),
}


def get_preset(name: str) -> CosineReward:
    """The preset called ``name``; ValueError lists the known names on a miss."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown reward preset {name!r}; known: {sorted(PRESETS)}") from None
