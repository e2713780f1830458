"""RewardSpec: grade a batch of responses and turn the verdicts into reward streams.

One spec holds every reward setting of a run (paper §4.2, §4.5, §4.6): the
outcome reward (:class:`CosineReward`), the dense repetition penalty, one
discount and clamp per stream, and the :class:`StatusPolicy`. It grades with
``longcot.verify.grade_many`` (never its own answer extraction) and returns,
per response, a :class:`SampleRewards` with one float64 array per stream:

- ``"correctness"``: the outcome reward on the last response token (sparse), γ = 1;
- ``"repetition"``: -0.05 on every token of a repeated 40-gram (dense), γ = 0.99.

Lengths are tokens of the policy's tokenizer: ``len(response.token_ids)``,
end-of-sequence excluded. ``RewardSpec.from_yaml`` reads the ``reward`` section of a recipe
(``recipes/rewards_paper.yaml`` is the paper's setup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..constants import THINK_MARKERS
from . import repetition as _rep
from .cosine import CosineReward
from .length import dapo_soft_overlong, kimi_length_rewards
from .policy import StatusPolicy
from .presets import PRESETS, get_preset
from .samples import (
    CORRECTNESS,
    LENGTH,
    OVERLONG,
    REPETITION,
    ResponseLike,
    SampleRewards,
)
from .streams import check_clamp, check_gamma, sparse_stream

if TYPE_CHECKING:  # importing verify at run time would load its grader stack
    from ..verify.verdict import Verdict


@dataclass(frozen=True)
class RewardSpec:
    """Every reward setting of a run. Defaults are the paper's (§4.2-4.6) except
    ``max_length``, the generation budget in tokens, which has none: 14336 at
    16K context, 6144 at 8K, 2048 at 4K."""

    max_length: int
    outcome: CosineReward = field(default_factory=lambda: PRESETS["paper"])
    ngram: int = 40
    """Repetition window in tokens (paper: 40)."""
    repetition_penalty: float = -0.05
    """Per repeated token, <= 0 (paper: -0.05); 0 turns the dense stream off."""
    gamma_correctness: float = 1.0
    gamma_repetition: float = 0.99
    clamp: tuple[float, float] = (-10.0, 10.0)
    """Each stream's per-token values are clipped to this range (paper: [-10, 10])."""
    policy: StatusPolicy = field(default_factory=StatusPolicy)
    task: str = "math"
    """Default ``longcot.verify`` task when a call gives none."""
    grade_timeout: float = 5.0
    """Seconds per response for the grader; past it the verdict is ``timeout``."""
    grade_workers: int | None = None
    """Grader processes; ``None`` lets ``grade_many`` choose (usable cores); ``0``
    grades in the calling process without time limits (debugging only)."""
    think_markers: tuple[str, str] | None = THINK_MARKERS
    """Reasoning-block markers for the grader (``verify.DEFAULT_THINK_MARKERS``):
    the answer is read after the closing one, and an unclosed block is
    ``no_answer``. ``None`` grades the whole response."""
    require_think_close: bool = False
    """The prompt already opened the reasoning block (R1-style templates), so a
    response without the closing marker has no answer."""
    extract: str | None = None
    """The verifier's extraction policy: ``auto`` (every rule; the default when
    ``None``) or ``strict`` (a box or an answer phrase only), for recipes that
    want a format incentive."""
    soft_overlong_cache: int | None = None
    """DAPO soft overlong punishment: ``L_cache`` tokens before ``max_length``
    where the penalty ramps from 0 to -1 (DAPO: 4096 of 20480); ``None``: off."""
    soft_overlong_penalty: float = 1.0
    """Scale of the DAPO stream (its value at ``max_length`` is ``-soft_overlong_penalty``)."""
    kimi_length_coef: float = 0.0
    """Weight of Kimi 1.5's group length reward (a stream added per prompt group
    by :meth:`add_group_streams`); 0: off."""
    overlong_filter: bool = False
    """DAPO's overlong filtering: truncated responses are masked out of the
    policy loss (the trainer reads this); their rewards are still logged."""
    verifier: str = "rule"
    """``rule``: ``longcot.verify.grade_many``; ``judge``: a model judge
    (``longcot.verify.judge``) reads the end of each response and the reference."""
    judge: Any = None
    """Judge settings (a mapping or ``verify.judge.JudgeSpec``: model, backend,
    max_new_tokens, ...). RL needs ``judge.model``; curation commands use the
    teacher when it is ``None``."""

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_length, bool)
            or not isinstance(self.max_length, int)
            or self.max_length < 1
        ):
            raise ValueError(
                f"RewardSpec.max_length must be an int >= 1 (tokens), got {self.max_length!r}"
            )
        if not isinstance(self.outcome, CosineReward):
            raise ValueError(
                f"RewardSpec.outcome must be a CosineReward, got {type(self.outcome).__name__}"
            )
        if not isinstance(self.policy, StatusPolicy):
            raise ValueError(
                f"RewardSpec.policy must be a StatusPolicy, got {type(self.policy).__name__}"
            )
        _rep._check_ngram(self.ngram)
        _rep._check_penalty("RewardSpec.repetition_penalty", self.repetition_penalty)
        for name in ("gamma_correctness", "gamma_repetition"):
            try:
                check_gamma(getattr(self, name))
            except ValueError as e:
                raise ValueError(f"RewardSpec.{name}: {e}") from None
        object.__setattr__(self, "clamp", check_clamp(self.clamp))
        if not isinstance(self.task, str) or not self.task:
            raise ValueError(f"RewardSpec.task must be a task name, got {self.task!r}")
        timeout = self.grade_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"RewardSpec.grade_timeout must be > 0 seconds, got {timeout!r}")
        workers = self.grade_workers
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 0
        ):
            raise ValueError(
                f"RewardSpec.grade_workers must be None or an int >= 0, got {workers!r}"
            )
        markers = self.think_markers
        if markers is not None:
            if (
                isinstance(markers, str)
                or len(markers) != 2
                or not all(isinstance(m, str) and m for m in markers)
            ):
                raise ValueError(
                    f"RewardSpec.think_markers must be None or two non-empty strings, got {markers!r}"
                )
            object.__setattr__(self, "think_markers", tuple(markers))
        if not isinstance(self.require_think_close, bool):
            raise ValueError(
                f"RewardSpec.require_think_close must be a bool, got {self.require_think_close!r}"
            )
        if self.extract not in (None, "auto", "strict"):
            raise ValueError(f"RewardSpec.extract must be 'auto' or 'strict', got {self.extract!r}")
        cache = self.soft_overlong_cache
        if cache is not None and (
            isinstance(cache, bool)
            or not isinstance(cache, int)
            or not 0 < cache <= self.max_length
        ):
            raise ValueError(
                f"RewardSpec.soft_overlong_cache must be None or an int in (0, max_length], got {cache!r}"
            )
        for name in ("soft_overlong_penalty", "kimi_length_coef"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"RewardSpec.{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.overlong_filter, bool):
            raise ValueError(
                f"RewardSpec.overlong_filter must be a bool, got {self.overlong_filter!r}"
            )
        if self.verifier not in ("rule", "judge"):
            raise ValueError(
                f"RewardSpec.verifier must be 'rule' or 'judge', got {self.verifier!r}"
            )
        if self.judge is not None:
            from ..verify.judge import JudgeSpec  # only when a judge is configured

            object.__setattr__(self, "judge", JudgeSpec.from_dict(self.judge))

    @property
    def gammas(self) -> dict[str, float]:
        """One discount per stream; the length streams sit on the last token with
        the outcome, so they share its discount."""
        out = {
            CORRECTNESS: float(self.gamma_correctness),
            REPETITION: float(self.gamma_repetition),
        }
        if self.soft_overlong_cache is not None:
            out[OVERLONG] = float(self.gamma_correctness)
        if self.kimi_length_coef:
            out[LENGTH] = float(self.gamma_correctness)
        return out

    # -- scoring ------------------------------------------------------------

    def score_one(self, verdict: Verdict, response: ResponseLike) -> SampleRewards:
        """Streams for one already-graded response (pure: no grading here)."""
        ids = np.asarray(response.token_ids)
        length = int(ids.size)
        if length == 0 and getattr(response, "completion_tokens", 0):
            raise ValueError(
                "response has completion_tokens > 0 but no token_ids: token-level rewards need "
                "the ids (ask the backend for them, or tokenize the text with the policy's tokenizer)"
            )
        truncated = response.finish_reason == "length"
        outcome = self.policy.outcome(verdict.status)
        low, high = self.clamp
        exceeded = self.outcome.exceeded(
            length=length, max_length=self.max_length, truncated=truncated
        )
        if outcome == "skip":
            streams = {name: np.zeros(length, dtype=np.float64) for name in self.gammas}
            return SampleRewards(
                verdict, outcome, length, truncated, exceeded, None, streams, self.gammas
            )
        value = self.outcome(
            correct=outcome == "correct",
            length=length,
            max_length=self.max_length,
            truncated=truncated,
            no_answer=outcome == "no_answer",
        )
        value = min(max(value, low), high)
        if self.repetition_penalty == 0 or length < self.ngram:
            dense = np.zeros(length, dtype=np.float64)
        else:
            dense = _rep.repetition_penalty(ids, ngram=self.ngram, penalty=self.repetition_penalty)
            np.clip(dense, low, high, out=dense)
        streams = {CORRECTNESS: sparse_stream(value, length), REPETITION: dense}
        if self.soft_overlong_cache is not None:
            # A truncated response stopped at the budget: it sits at the -1 end.
            over = dapo_soft_overlong(
                self.max_length + 1 if truncated else length,
                self.max_length,
                self.soft_overlong_cache,
            )
            streams[OVERLONG] = sparse_stream(
                min(max(over * self.soft_overlong_penalty, low), high), length
            )
        if self.kimi_length_coef:
            streams[LENGTH] = np.zeros(length, dtype=np.float64)  # set per group
        return SampleRewards(
            verdict, outcome, length, truncated, exceeded, value, streams, self.gammas
        )

    def add_group_streams(self, group: Sequence[SampleRewards]) -> list[SampleRewards]:
        """Fill the group-level ``length`` stream (Kimi 1.5) of one prompt's responses.

        A no-op unless ``kimi_length_coef`` is set. Skipped samples take no part
        and keep zeros.
        """
        if not self.kimi_length_coef:
            return list(group)
        kept = [i for i, s in enumerate(group) if not s.skipped]
        values = kimi_length_rewards(
            [group[i].length for i in kept], [group[i].outcome == "correct" for i in kept]
        )
        low, high = self.clamp
        out = list(group)
        for i, value in zip(kept, values, strict=True):
            s = group[i]
            streams = dict(s.streams)
            streams[LENGTH] = sparse_stream(
                min(max(value * self.kimi_length_coef, low), high), s.length
            )
            out[i] = replace(s, streams=streams)
        return out

    def score_verdicts(
        self, verdicts: Sequence[Verdict], responses: Sequence[ResponseLike]
    ) -> list[SampleRewards]:
        if len(verdicts) != len(responses):
            raise ValueError(f"{len(verdicts)} verdicts for {len(responses)} responses")
        return [self.score_one(v, r) for v, r in zip(verdicts, responses, strict=True)]

    def score_batch(
        self,
        golds: Sequence[Any],
        responses: Sequence[ResponseLike],
        *,
        tasks: Sequence[str] | None = None,
        answer_types: Sequence[str | None] | None = None,
    ) -> list[SampleRewards]:
        """Grade ``responses[i]`` against ``golds[i]`` with ``verify.grade_many``, then score."""
        from ..verify import grade_many  # the one verifier (DESIGN.md §2)

        n = len(responses)
        for name, seq in (("golds", golds), ("tasks", tasks), ("answer_types", answer_types)):
            if seq is not None and len(seq) != n:
                raise ValueError(f"{name} has {len(seq)} items for {n} responses")
        items = []
        for i, resp in enumerate(responses):
            item = {
                "response": resp.text,
                "gold": golds[i],
                "task": (tasks[i] if tasks is not None else None) or self.task,
            }
            if answer_types is not None and answer_types[i] is not None:
                item["answer_type"] = answer_types[i]
            items.append(item)
        if self.verifier == "judge":
            from ..verify.judge import JudgeSpec, judge_many, open_judge

            judge = self.judge or JudgeSpec()
            verdicts = judge_many(
                items,
                open_judge(judge),
                judge,
                think_markers=self.think_markers,
                require_think_close=self.require_think_close,
            )
            return self.score_verdicts(verdicts, responses)
        verdicts = (
            grade_many(
                items,
                workers=self.grade_workers,
                timeout=self.grade_timeout,
                think_markers=self.think_markers,
                require_think_close=self.require_think_close,
                **({"extract": self.extract} if self.extract is not None else {}),
            )
            if items
            else []
        )
        return self.score_verdicts(verdicts, responses)

    def score(
        self,
        gold: Any,
        responses: Sequence[ResponseLike],
        *,
        task: str | None = None,
        answer_type: str | None = None,
    ) -> list[SampleRewards]:
        """All responses to one prompt against its gold answer."""
        n = len(responses)
        return self.score_batch(
            [gold] * n, responses, tasks=[task or self.task] * n, answer_types=[answer_type] * n
        )

    # -- configuration --------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Flat dict that :meth:`from_dict` reads back (cosine and policy fields inlined)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "outcome":
                out.update(value.to_dict())
            elif f.name == "policy":
                out.update({p.name: getattr(value, p.name) for p in fields(StatusPolicy)})
            elif f.name in ("clamp", "think_markers"):
                out[f.name] = None if value is None else list(value)
            elif f.name == "judge":
                out[f.name] = None if value is None else value.to_dict()
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RewardSpec:
        """From a flat mapping: ``preset`` (a :data:`PRESETS` name, default ``paper``),
        any :class:`CosineReward` field to override it, :class:`StatusPolicy` fields,
        and this class's own fields. Unknown keys raise ValueError listing the known ones."""
        rest = dict(d)
        preset = rest.pop("preset", "paper")
        cosine_keys = {f.name for f in fields(CosineReward)}
        policy_keys = {f.name for f in fields(StatusPolicy)}
        own_keys = {f.name for f in fields(cls)} - {"outcome", "policy"}
        unknown = set(rest) - cosine_keys - policy_keys - own_keys
        if unknown:
            known = sorted(cosine_keys | policy_keys | own_keys | {"preset"})
            raise ValueError(f"unknown reward settings {sorted(unknown)}; known: {known}")
        if "max_length" not in rest:
            raise ValueError("reward settings need max_length (the generation budget in tokens)")
        outcome = replace(get_preset(preset), **{k: rest.pop(k) for k in cosine_keys & set(rest)})
        policy = StatusPolicy(**{k: rest.pop(k) for k in policy_keys & set(rest)})
        if "clamp" in rest and isinstance(rest["clamp"], list):
            rest["clamp"] = tuple(rest["clamp"])
        return cls(outcome=outcome, policy=policy, **rest)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None) -> RewardSpec:
        """Read the ``reward`` section of a recipe (``recipes/rewards_paper.yaml``,
        or any RL recipe, whose ``rollout.max_new_tokens`` then gives the budget
        when ``reward.max_length`` is not set), or a flat longcot 0.1 reward
        file, through the one recipe loader. ``overrides`` win; errors name the file."""
        from ..config import load_reward

        return load_reward(path, overrides)
