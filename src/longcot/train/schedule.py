"""Learning-rate schedule shared by the trainers: linear warm-up, then cosine to a floor.

Paper (§3, for both actor and critic): 3 % warm-up, cosine decay to 0.1 x lr.
"""

from __future__ import annotations

import math


def lr_factor(
    step: int, total: int, *, warmup_ratio: float, min_lr_ratio: float, schedule: str = "cosine"
) -> float:
    """Multiplier of the base learning rate for optimiser step ``step`` (0-based) of ``total``.

    Warm-up: ``(step + 1) / warmup`` over ``warmup = ceil(warmup_ratio × total)``
    steps (the first step already moves, unlike a warm-up from 0). Then
    ``cosine``: ``m + (1 - m)(1 + cos(π p)) / 2`` with ``p`` the progress
    through the remaining steps and ``m = min_lr_ratio``; ``constant``: 1.

    >>> [round(lr_factor(s, 10, warmup_ratio=0.2, min_lr_ratio=0.1), 3) for s in (0, 1, 2, 9)]
    [0.5, 1.0, 1.0, 0.134]
    """
    if total < 1:
        raise ValueError(f"total optimiser steps must be >= 1, got {total}")
    warmup = math.ceil(warmup_ratio * total)
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    if schedule != "cosine":
        raise ValueError(f"unknown schedule {schedule!r}; use cosine or constant")
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(optimizer, total: int, optim) -> object:
    """A ``LambdaLR`` over :func:`lr_factor` with an ``OptimSection``'s settings."""
    from torch.optim.lr_scheduler import LambdaLR

    return LambdaLR(
        optimizer,
        lambda s: lr_factor(
            s,
            total,
            warmup_ratio=optim.warmup_ratio,
            min_lr_ratio=optim.min_lr_ratio,
            schedule=optim.schedule,
        ),
    )
