"""Modular arithmetic chains: a synthetic verifiable task a 0.2 M-parameter model learns in minutes.

A problem is a chain of one-digit operations evaluated **left to right**
(no precedence), modulo ``m``: ``0-2-4+9`` means ``((0 − 2) − 4) + 9 mod 10 = 3``.
Its defaults are the DESIGN §5 "feasibility study 2" task: 3–5 operations
from ``+ − ×``, modulus 10, operands 0–9. The study found this the right
difficulty for a CPU demo: a d = 64, 4-layer GPT learned it within minutes
(long-CoT SFT greedy 100 %, sampled 81 %), while two-digit arithmetic mod 100
(study 1) stayed out of reach at that budget.

Splits never overlap, whatever the seeds: a problem's split is a function
of its text alone (a salted BLAKE2b hash below ``test_fraction`` means
``test``), and each split's generator rejects problems of the other split.
Within a split, problems are distinct. Generation is deterministic for a
seed (``random.Random`` seeded with a string, which is stable across runs and
Python builds, unlike ``hash()``).

This module imports nothing from ``longcot.benchmarks``, so the benchmark
registry can import the task without an import cycle; the benchmark-shaped
object lives in :mod:`longcot.tasks.synthetic`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Literal

Op = Literal["+", "-", "*"]
OPS: tuple[str, ...] = ("+", "-", "*")
"""The operations a chain may use: add, subtract, multiply (all mod ``m``)."""

Split = Literal["train", "test"]
SPLITS: tuple[str, ...] = ("train", "test")


def apply(op: str, a: int, b: int, modulus: int) -> int:
    """``a op b mod modulus`` (Python's ``%`` is never negative for a positive modulus).

    >>> apply("-", 0, 2, 10), apply("*", 7, 8, 10)
    (8, 6)
    """
    if op == "+":
        return (a + b) % modulus
    if op == "-":
        return (a - b) % modulus
    if op == "*":
        return (a * b) % modulus
    raise ValueError(f"unknown operation {op!r}; known: {OPS}")


@dataclass(frozen=True)
class ArithConfig:
    """What problems look like. Defaults: DESIGN §5 feasibility study 2.

    Attributes:
        min_ops (`int`, defaults to `3`):
            Fewest operations in a chain, >= 1.
        max_ops (`int`, defaults to `5`):
            Most operations, >= ``min_ops``; the count is uniform in between.
        modulus (`int`, defaults to `10`):
            Every value and operand lies in ``[0, modulus)``; >= 2. Above 10
            operands have several digits (study 1: mod 100 was too hard).
        ops (`tuple[str, ...]`, defaults to `("+", "-", "*")`):
            Operations to draw from, uniformly; a non-empty subset of :data:`OPS`.
        test_fraction (`float`, defaults to `0.1`):
            Share of all possible problems that belong to the held-out split,
            in (0, 1).
        split_salt (`str`, defaults to `"arith-v1"`):
            Salt of the split hash. Changing it reshuffles which problems are
            held out; keep it fixed so that test sets stay comparable.
    """

    min_ops: int = 3
    max_ops: int = 5
    modulus: int = 10
    ops: tuple[str, ...] = OPS
    test_fraction: float = 0.1
    split_salt: str = "arith-v1"

    def __post_init__(self) -> None:
        if not 1 <= self.min_ops <= self.max_ops:
            raise ValueError(
                f"ArithConfig: need 1 <= min_ops <= max_ops, got min_ops={self.min_ops}, "
                f"max_ops={self.max_ops}"
            )
        if self.modulus < 2:
            raise ValueError(f"ArithConfig.modulus={self.modulus}: must be >= 2")
        object.__setattr__(self, "ops", tuple(self.ops))
        if (
            not self.ops
            or any(op not in OPS for op in self.ops)
            or len(set(self.ops)) < len(self.ops)
        ):
            raise ValueError(f"ArithConfig.ops={self.ops!r}: give distinct operations from {OPS}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"ArithConfig.test_fraction={self.test_fraction}: must be in (0, 1)")

    def space(self) -> int:
        """How many distinct problems exist: ``m · Σ_k (|ops| · m)^k`` over allowed lengths k."""
        per_op = len(self.ops) * self.modulus
        return self.modulus * sum(per_op**k for k in range(self.min_ops, self.max_ops + 1))


@dataclass(frozen=True)
class Chain:
    """One problem: a start value and ``(op, operand)`` steps, evaluated left to right.

    >>> c = Chain(0, (("-", 2), ("-", 4), ("+", 9)), 10)
    >>> c.text, c.values, c.answer
    ('0-2-4+9', (0, 8, 4, 3), 3)
    """

    start: int
    steps: tuple[tuple[str, int], ...]
    modulus: int = 10

    @property
    def text(self) -> str:
        """The compact problem text, e.g. ``0-2-4+9``."""
        return str(self.start) + "".join(f"{op}{b}" for op, b in self.steps)

    @property
    def values(self) -> tuple[int, ...]:
        """The running value before the first and after each step (``len(steps) + 1`` values)."""
        out = [self.start]
        for op, b in self.steps:
            out.append(apply(op, out[-1], b, self.modulus))
        return tuple(out)

    @property
    def answer(self) -> int:
        return self.values[-1]

    def statement(self) -> str:
        """The problem as a sentence, for prompts meant for real language models."""
        return f"Evaluate {self.text} from left to right, modulo {self.modulus}."


def split_of(text: str, config: ArithConfig) -> Split:
    """The split a problem text belongs to: ``test`` for a ``test_fraction`` share of all texts.

    A salted 64-bit BLAKE2b of the text, read as a fraction of 2^64; it
    depends on nothing but the text and ``config.split_salt``, so no seed
    can put a test problem into the training data.
    """
    digest = hashlib.blake2b(f"{config.split_salt}\0{text}".encode(), digest_size=8).digest()
    return "test" if int.from_bytes(digest, "big") / 2**64 < config.test_fraction else "train"


def random_chain(rng: random.Random, config: ArithConfig) -> Chain:
    """One chain: its length uniform in ``[min_ops, max_ops]``, ops and operands uniform."""
    m = config.modulus
    length = rng.randint(config.min_ops, config.max_ops)
    steps = tuple((rng.choice(config.ops), rng.randrange(m)) for _ in range(length))
    return Chain(rng.randrange(m), steps, m)


def generate(config: ArithConfig, split: Split, n: int, seed: int = 0) -> list[Chain]:
    """``n`` distinct problems of ``split``, deterministic for ``(config, split, n, seed)``.

    The first ``k`` problems for a larger ``n`` are the same as for ``n = k``,
    so ``limit`` is a prefix.

    Raises:
        ValueError: ``split`` is unknown, ``n`` is negative, or ``config``
            holds too few problems for ``n`` distinct ones of this split.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: must be one of {SPLITS}")
    if n < 0:
        raise ValueError(f"n={n}: must be >= 0")
    share = config.test_fraction if split == "test" else 1 - config.test_fraction
    # Ask for at most half of the split's expected size: beyond that, rejection
    # of duplicates slows down sharply and the hash's share is only approximate.
    available = int(config.space() * share / 2)
    if n > available:
        raise ValueError(
            f"{n} {split} problems requested, but {config} has about {int(config.space() * share)} "
            f"in that split; ask for at most {available}, or allow longer chains / more operations"
        )
    rng = random.Random(f"longcot.arith/{seed}/{split}")
    seen: set[str] = set()
    out: list[Chain] = []
    while len(out) < n:
        chain = random_chain(rng, config)
        text = chain.text
        if text in seen or split_of(text, config) != split:
            continue
        seen.add(text)
        out.append(chain)
    return out


def parse_chain(text: str, modulus: int = 10) -> Chain:
    """The :class:`Chain` of a compact problem text (``"0-2-4+9"``); inverse of ``Chain.text``.

    Raises:
        ValueError: the text is not ``<int>(<op><int>)+``, naming the position.
    """
    pos = 0

    def number() -> int:
        nonlocal pos
        end = pos
        while end < len(text) and text[end].isdigit():
            end += 1
        if end == pos:
            raise ValueError(f"{text!r}: expected a number at position {pos}")
        value = int(text[pos:end])
        pos = end
        return value

    start = number()
    steps = []
    while pos < len(text):
        op = text[pos]
        if op not in OPS:
            raise ValueError(f"{text!r}: expected one of {OPS} at position {pos}, got {op!r}")
        pos += 1
        steps.append((op, number()))
    if not steps:
        raise ValueError(f"{text!r}: a chain needs at least one operation")
    return Chain(start, tuple(steps), modulus)
