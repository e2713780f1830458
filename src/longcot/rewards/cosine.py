"""Cosine length-scaled correctness reward (Yeo et al. 2025, §4.2).

The reward of one finished response depends on whether it is correct and on
its length in tokens of the policy's tokenizer (never characters: open-r1
issue #276 measured characters and so scaled Chinese and English differently).
A response that ran out of budget gets a flat penalty instead.

No torch, no numpy: this is called once per response, from any thread or
worker process, so it is plain float arithmetic on a frozen dataclass.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields


def cos_fn(t: float, T: float, a: float, b: float) -> float:
    r"""The paper's interpolation ``CosFn``: ``b`` at ``t = 0``, ``a`` at ``t = T``.

    .. math:: \mathrm{CosFn}(t, T, a, b) = a + \tfrac{1}{2}(b - a)\,(1 + \cos(\pi t / T))

    ``t`` is clamped to ``[0, T]``: cosine is periodic, so an unclamped schedule
    would climb back towards ``b`` past ``T`` and reward over-long answers
    (the wrap-around bug of open-r1's first version; TRL clamps the same way).

    >>> cos_fn(0, 100, 1.0, 2.0), cos_fn(50, 100, 1.0, 2.0), cos_fn(100, 100, 1.0, 2.0)
    (2.0, 1.5, 1.0)
    """
    if T <= 0:
        raise ValueError(f"cos_fn: T must be > 0, got T={T!r}")
    progress = min(max(t, 0.0), T) / T
    return a + 0.5 * (b - a) * (1.0 + math.cos(math.pi * progress))


def _check_finite(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


@dataclass(frozen=True, slots=True)
class CosineReward:
    r"""Correctness reward scaled by length on a cosine schedule (paper §4.2, Eq. 1).

    With :func:`cos_fn` and ``L = min(length, max_length)``:

    - exceeded (see below): ``r_exceed``
    - no final answer and ``r_no_answer`` is set: ``r_no_answer``
    - correct: ``CosFn(L, max_length, rL_correct, r0_correct)``
    - wrong (and no answer when ``r_no_answer`` is ``None``): ``CosFn(L, max_length, rL_wrong, r0_wrong)``

    With the paper's values a short correct answer earns most (2 at length 0,
    1 at ``max_length``), and a short wrong answer is punished hardest (-10 at
    length 0, 0 at ``max_length``), so when the model is wrong, thinking longer
    is encouraged. Correct beats wrong at every length as long as
    ``min(r0_correct, rL_correct) > max(r0_wrong, rL_wrong)``.

    **Exceeded** means ``truncated`` (the generation stopped at the token cap
    without end-of-sequence), or, when ``exceed_margin`` is set, also
    ``length + exceed_margin >= max_length``: the rule of the paper's reference
    code (margin 16), which catches responses that stop just short of the cap.
    It applies even to a response graded correct.

    Attributes:
        r0_correct: reward of a correct answer of length 0 (paper: 2).
        rL_correct: reward of a correct answer of length ``max_length`` (paper: 1).
        r0_wrong: reward of a wrong answer of length 0 (paper: -10).
        rL_wrong: reward of a wrong answer of length ``max_length`` (paper: 0).
        r_exceed: reward of a response that exceeded the budget (paper: -10).
        r_no_answer: reward of a response with no final answer, or ``None`` to
            treat it as wrong (the paper's §4 runs do; the §6 base-model runs use -1).
        exceed_margin: tokens of slack for the reference code's exceed rule, or
            ``None`` to use truncation alone (default).

    Example:
        >>> reward = CosineReward()  # paper values
        >>> reward(correct=True, length=0, max_length=14336)
        2.0
        >>> reward(correct=False, length=7168, max_length=14336)  # -10 + 0.5 * 10 * (1 + cos(pi/2))
        -5.0
        >>> reward(correct=True, length=100, max_length=14336, truncated=True)
        -10.0
    """

    r0_correct: float = 2.0
    rL_correct: float = 1.0
    r0_wrong: float = -10.0
    rL_wrong: float = 0.0
    r_exceed: float = -10.0
    r_no_answer: float | None = None
    exceed_margin: int | None = None

    def __post_init__(self) -> None:
        for name in ("r0_correct", "rL_correct", "r0_wrong", "rL_wrong", "r_exceed"):
            _check_finite(f"CosineReward.{name}", getattr(self, name))
        if self.r_no_answer is not None:
            _check_finite("CosineReward.r_no_answer", self.r_no_answer)
        if self.exceed_margin is not None and (
            isinstance(self.exceed_margin, bool)
            or not isinstance(self.exceed_margin, int)
            or self.exceed_margin < 0
        ):
            raise ValueError(
                f"CosineReward.exceed_margin must be None or an int >= 0 (tokens), got {self.exceed_margin!r}"
            )

    def exceeded(self, *, length: int, max_length: int, truncated: bool = False) -> bool:
        """Whether a response counts as over budget (gets ``r_exceed``)."""
        if truncated:
            return True
        return self.exceed_margin is not None and length + self.exceed_margin >= max_length

    def __call__(
        self,
        *,
        correct: bool,
        length: int,
        max_length: int,
        truncated: bool = False,
        no_answer: bool = False,
    ) -> float:
        """Reward of one response; ``length`` and ``max_length`` in tokens."""
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be an int >= 0 (tokens), got {length!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"max_length must be an int >= 1 (tokens), got {max_length!r}")
        if self.exceeded(length=length, max_length=max_length, truncated=truncated):
            return float(self.r_exceed)
        if no_answer and self.r_no_answer is not None:
            return float(self.r_no_answer)
        if correct:
            return cos_fn(length, max_length, self.rL_correct, self.r0_correct)
        return cos_fn(length, max_length, self.rL_wrong, self.r0_wrong)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> CosineReward:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(
                f"CosineReward: unknown keys {sorted(unknown)}; known: {sorted(known)}"
            )
        return cls(**d)


def cosine_reward(
    *,
    correct: bool,
    length: int,
    max_length: int,
    truncated: bool = False,
    r0_correct: float = 2.0,
    rL_correct: float = 1.0,
    r0_wrong: float = -10.0,
    rL_wrong: float = 0.0,
    r_exceed: float = -10.0,
    exceed_margin: int | None = None,
) -> float:
    """One-call form of :class:`CosineReward` with the paper's defaults (§4.2).

    >>> cosine_reward(correct=True, length=7168, max_length=14336)  # 1 + 0.5 * (1 + 0)
    1.5
    >>> cosine_reward(correct=True, length=14330, max_length=14336, exceed_margin=16)
    -10.0
    """
    reward = CosineReward(
        r0_correct=r0_correct,
        rL_correct=rL_correct,
        r0_wrong=r0_wrong,
        rL_wrong=rL_wrong,
        r_exceed=r_exceed,
        exceed_margin=exceed_margin,
    )
    return reward(correct=correct, length=length, max_length=max_length, truncated=truncated)
