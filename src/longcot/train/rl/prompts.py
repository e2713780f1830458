"""RL prompts with gold answers, and the order a run draws them in (resumable).

Prompts come from the one prompt-set loader (``longcot.benchmarks.prompt_sets``):
a registered benchmark or task (``math_train``, ``arith_train``), ``module:attr``,
or a ``.jsonl`` file whose rows hold ``prompt`` (text or chat messages) or
``problem`` (wrapped in the ``data.template`` prompt), plus ``gold`` and
optionally ``id``, ``task`` and ``answer_type`` (``longcot silver`` writes such
files). Every row must have a gold answer: a row without one is an error naming
the file and line, before any model is loaded (RL on a missing gold would
reward nothing and say nothing).

:class:`PromptOrder` walks the prompts epoch by epoch in an order shuffled
from ``(seed, epoch)``; its state is one integer (prompts consumed), so a
resumed run draws exactly the prompts the uninterrupted run would have.
"""

from __future__ import annotations

import random

from longcot.benchmarks.prompt_sets import PromptItem, PromptSetError, load_items
from longcot.config import DataSection

__all__ = ["PromptDataError", "PromptItem", "PromptOrder", "load_prompts"]


PromptDataError = PromptSetError
"""Bad RL prompt data (the one prompt-set loader's error)."""


def load_prompts(data: DataSection, task: str = "math") -> list[PromptItem]:
    """Every prompt of ``data.source`` (first ``data.limit``), each with a gold answer.

    ``task`` is the verifier task for rows and benchmarks that name none (the
    reward section's). A benchmark's own unusable golds are skipped; a JSONL row
    without one is an error naming the file and line.
    """
    return load_items(data, task=task, need_gold=True, purpose="RL")


class PromptOrder:
    """Epoch-shuffled prompt indices; ``position`` (prompts drawn so far) is the whole state."""

    def __init__(self, size: int, *, seed: int, shuffle: bool = True, position: int = 0) -> None:
        if size < 1:
            raise ValueError("no prompts to draw from")
        self.size = size
        self.seed = seed
        self.shuffle = shuffle
        self.position = position
        self._epoch = -1
        self._order: list[int] = []

    def _epoch_order(self, epoch: int) -> list[int]:
        if epoch != self._epoch:
            order = list(range(self.size))
            if self.shuffle:
                random.Random(f"{self.seed}:{epoch}").shuffle(order)
            self._epoch, self._order = epoch, order
        return self._order

    def take(self, count: int) -> list[int]:
        """The next ``count`` indices (crossing into the next epoch when needed)."""
        out = []
        for _ in range(count):
            epoch, offset = divmod(self.position, self.size)
            out.append(self._epoch_order(epoch)[offset])
            self.position += 1
        return out

    @property
    def epoch(self) -> float:
        return self.position / self.size
