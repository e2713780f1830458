"""longcot rewards as TRL ``GRPOTrainer`` reward functions (tested with TRL 1.16).

TRL calls each reward function as
``f(prompts=..., completions=..., completion_ids=..., **columns)`` and wants one
``float`` (or ``None`` to leave a sample out) per completion. ``completions`` are
strings, or lists of chat messages for conversational datasets; ``columns`` are
the dataset's other columns (the gold answer among them) plus TRL's
``trainer_state``, ``log_extra`` and ``log_metric``.

Lengths come from ``completion_ids`` (tokens, never characters). TRL keeps the
end-of-sequence token at the end of a finished completion, so with
``eos_token_ids`` the adapter knows exactly which completions were truncated;
without them it falls back to ``len(ids) >= spec.max_length``. Set
``spec.max_length`` to ``GRPOConfig.max_completion_length``.

GRPO gives one advantage to all tokens of a completion, so the per-token
streams of the paper (§4.6) collapse to one number per completion:
:func:`longcot.rewards.scalar_reward`, the multi-stream discounted return at
the first position (the outcome on the end-of-sequence token with γ = 1, plus
the repetition penalty discounted by γ_p = 0.99 from the start). The
``"outcome"`` and ``"repetition"`` components split that number in two, so
their sum is the ``"total"``. Token-level credit assignment needs a per-token
trainer (longcot's own).

Example::

    from longcot.adapters.trl import get_reward_func
    from longcot.rewards import RewardSpec

    spec = RewardSpec(max_length=1024)
    trainer = GRPOTrainer(model=..., args=GRPOConfig(max_completion_length=1024, ...),
                          reward_funcs=[get_reward_func(spec, eos_token_ids=[tok.eos_token_id])],
                          train_dataset=dataset_with_an_answer_column)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..rewards import (
    REPETITION,
    Response,
    RewardSpec,
    batch_metrics,
    repetition_penalty,
    scalar_reward,
)
from ..rewards.streams import discounted_returns
from .common import stream_share

Component = Literal["total", "outcome", "repetition"]
_NAMES = {
    "total": "longcot_reward",
    "outcome": "longcot_outcome",
    "repetition": "longcot_repetition",
}


def completion_text(completion: Any) -> str:
    """The text of a plain (``str``) or conversational (list of messages) completion."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and all(isinstance(m, dict) for m in completion):
        parts = [m.get("content") for m in completion]
        if all(isinstance(p, str) for p in parts):
            return "".join(parts)
    raise ValueError(
        "completion must be a string or a list of messages with string 'content', "
        f"got {type(completion).__name__}"
    )


class _TRLReward:
    # A callable class, not a closure: TRL's async rollout worker pickles reward
    # functions into a child process, and closures do not pickle. TRL logs each
    # function under its __name__, so the name is fixed per component.

    def __init__(
        self,
        spec: RewardSpec,
        component: Component,
        gold_column: str,
        task_column: str | None,
        answer_type_column: str | None,
        eos_token_ids: Sequence[int] | None,
    ) -> None:
        self.spec = spec
        self.component = component
        self.gold_column = gold_column
        self.task_column = task_column
        self.answer_type_column = answer_type_column
        self.eos_token_ids = frozenset(int(t) for t in eos_token_ids) if eos_token_ids else None
        self.__name__ = _NAMES[component]

    def _responses(self, completions: Sequence[Any], completion_ids: Sequence[Sequence[int]]):
        if len(completions) != len(completion_ids):
            raise ValueError(
                f"{len(completions)} completions but {len(completion_ids)} completion_ids"
            )
        out = []
        for completion, ids in zip(completions, completion_ids, strict=True):
            ids = list(ids)
            if self.eos_token_ids is not None:
                finished = bool(ids) and ids[-1] in self.eos_token_ids
                if finished:
                    ids = ids[:-1]  # lengths exclude end-of-sequence
            else:
                finished = len(ids) < self.spec.max_length
            out.append(Response(completion_text(completion), ids, "stop" if finished else "length"))
        return out

    def _column(self, columns: dict, name: str | None, n: int) -> list | None:
        if name is None or name not in columns:
            return None
        values = list(columns[name])
        if len(values) != n:
            raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
        return values

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Sequence[int]] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        if completions is None or completion_ids is None:
            raise ValueError(
                "longcot rewards need both `completions` and `completion_ids` (token lengths)"
            )
        responses = self._responses(completions, completion_ids)
        n = len(responses)
        if self.component == "repetition":
            return [self._repetition_only(r) for r in responses]
        golds = self._column(columns, self.gold_column, n)
        if golds is None:
            available = sorted(
                k for k in columns if k not in ("trainer_state", "log_extra", "log_metric")
            )
            raise ValueError(
                f"gold column {self.gold_column!r} not among the dataset columns {available}"
            )
        samples = self.spec.score_batch(
            golds,
            responses,
            tasks=self._column(columns, self.task_column, n),
            answer_types=self._column(columns, self.answer_type_column, n),
        )
        log_metric = columns.get("log_metric")
        if callable(log_metric):
            for key, value in batch_metrics(samples).items():
                log_metric(f"longcot/{key}", value)
        log_extra = columns.get("log_extra")
        if callable(log_extra):
            log_extra("longcot_status", [s.verdict.status for s in samples])
            log_extra("longcot_extracted", [s.verdict.extracted for s in samples])
        totals = [scalar_reward(s) for s in samples]
        if self.component == "total":
            return totals
        # outcome = total minus the repetition stream's share (its discounted return at
        # the first position), so the two components add up to the total exactly.
        out: list[float | None] = []
        for sample, total in zip(samples, totals, strict=True):
            if total is None:
                out.append(None)
                continue
            out.append(total - stream_share(sample, REPETITION))
        return out

    def _repetition_only(self, response: Response) -> float:
        """The repetition stream's discounted return at the first position, without grading:
        the same numbers :meth:`RewardSpec.score_one` puts in that stream (clamped)."""
        spec = self.spec
        ids = list(response.token_ids)
        if not spec.repetition_penalty or len(ids) < spec.ngram:
            return 0.0
        dense = repetition_penalty(ids, ngram=spec.ngram, penalty=spec.repetition_penalty)
        low, high = spec.clamp
        # The end-of-sequence position after them holds 0: it does not change the return at 0.
        return float(discounted_returns(dense.clip(low, high), spec.gamma_repetition)[0])


def get_reward_func(
    spec: RewardSpec,
    *,
    component: Component = "total",
    gold_column: str = "answer",
    task_column: str | None = "task",
    answer_type_column: str | None = "answer_type",
    eos_token_ids: Sequence[int] | None = None,
) -> _TRLReward:
    """One TRL reward function for ``spec``.

    Args:
        spec (`RewardSpec`): reward settings; ``max_length`` in tokens.
        component (`str`, *optional*, defaults to `"total"`): ``"total"``,
            :func:`~longcot.rewards.scalar_reward` (``None`` for skipped samples);
            ``"repetition"``, the repetition stream's discounted return at the first
            position (no grading, never ``None``); ``"outcome"``, the total minus
            that (the cosine reward and any other last-token stream).
        gold_column (`str`, *optional*, defaults to `"answer"`): dataset column with the gold answer.
        task_column, answer_type_column (`str`, *optional*): per-row ``verify`` task
            and answer type, used when the dataset has them, else ``spec.task``.
        eos_token_ids (`Sequence[int]`, *optional*): the tokenizer's end-of-sequence
            ids, for exact truncation detection (recommended).
    """
    if component not in _NAMES:
        raise ValueError(f"component must be one of {sorted(_NAMES)}, got {component!r}")
    if not isinstance(spec, RewardSpec):
        raise ValueError(f"spec must be a RewardSpec, got {type(spec).__name__}")
    return _TRLReward(spec, component, gold_column, task_column, answer_type_column, eos_token_ids)


def get_reward_funcs(spec: RewardSpec, **kwargs: Any) -> list[_TRLReward]:
    """``[outcome, repetition]`` as two functions, so TRL logs each and
    ``GRPOConfig.reward_weights`` can weigh them. A ``bad_gold`` sample gets
    ``None`` from the outcome function only, so its repetition sum still counts;
    use ``[get_reward_func(spec)]`` to drop such samples entirely."""
    return [
        get_reward_func(spec, component="outcome", **kwargs),
        get_reward_func(spec, component="repetition", **kwargs),
    ]
