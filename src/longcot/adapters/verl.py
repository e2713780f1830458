r"""longcot rewards in verl 0.9.x: a ``compute_score`` function and a reward-loop manager.

Tested against verl 0.9.1's own code (``tests/test_adapters_verl_peer.py``):
its Hydra config, ``get_custom_reward_fn``, ``load_reward_manager``,
``RewardLoopWorker`` and, with Ray, ``RewardLoopManager``. Older verl releases
used other keys and another manager interface; they are not supported.

**Where verl 0.9 puts a rule reward.** verl 0.9 writes ``rm_scores`` in two
places, both from *one float per response*:

- the agent loop, the path every rule reward takes
  (``AgentLoopWorker._postprocess``; ``AgentLoopOutput.as_dict`` in the
  ``trainer.use_v1`` trainer): ``rm_scores[i, valid_length_i - 1] =
  reward_score_i``, the last valid response token (the end-of-sequence one when
  the response finished), where ``reward_score`` is a pydantic ``float`` field;
- ``RewardLoopManager.compute_rm_score``, through the manager class's
  ``assemble_rm_scores(data, scores)``, reached only when a reward *model* is
  enabled and colocated (``reward.reward_model.enable=True`` without
  ``enable_resource_pool``); ``scores`` are again the per-response floats.

So verl 0.9 has **no per-token path for a rule reward**: the paper's dense
repetition stream (§4.6) cannot be placed on its own tokens. Both entry points
below therefore return :func:`longcot.rewards.scalar_reward`, the multi-stream
discounted return at the first position, :math:`\sum_m \sum_l \gamma_m^l
r_{m,l}` (the outcome plus the γ_p = 0.99-discounted repetition penalty), which
verl places on the last token. With ``algorithm.gamma=1.0 algorithm.lam=1.0``
every token's return is that number: the credit a sequence-level trainer gives.

**compute_score** (``reward.custom_reward_function``) scores one response
from its text; verl's reward managers call it as ``compute_score(data_source=,
solution_str=, ground_truth=, extra_info=, **reward_kwargs)``, with
``solution_str`` decoded *without* special tokens, so the end-of-sequence is
gone and truncation is inferred from the budget (``extra_info["truncated"]``
overrides; see ``longcot.adapters.common``)::

    reward.custom_reward_function.path=pkg://longcot.adapters.verl
    reward.custom_reward_function.name=compute_score
    +reward.custom_reward_function.reward_kwargs.config=recipes/rewards_paper.yaml
    +reward.custom_reward_function.reward_kwargs.max_length=14336
    +reward.custom_reward_function.reward_kwargs.tokenizer=/path/to/policy

(verl 0.9 ignores the top-level ``custom_reward_function.*`` keys of older
releases and falls back to its default scorer.)

**LongcotRewardManager** (recommended) reads the response *token ids*, so
lengths are exact and a response is finished exactly when its last valid token
is an end-of-sequence id; concurrent ``run_single`` calls are graded together::

    reward.reward_manager.source=importlib
    reward.reward_manager.name=LongcotRewardManager
    reward.reward_manager.module.path=pkg://longcot.adapters.verl
    +reward.reward_kwargs.config=recipes/rewards_paper.yaml

``reward.reward_kwargs`` takes ``config`` (a reward YAML), flat
``RewardSpec`` overrides, and ``eos_token_ids`` (extra ids that end a
generation); ``max_length`` defaults to
``actor_rollout_ref.rollout.response_length``. Per-token KL stays verl's
(``algorithm.use_kl_in_reward``). Skipped samples (``bad_gold``) get 0: verl
cannot drop them, so ``reward_extra_info["skipped"]`` flags them; every
response carries the same ``reward_extra_info`` keys (verl stacks them by key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from functools import lru_cache
from typing import Any

from ..rewards import (
    REPETITION,
    Response,
    RewardSpec,
    SampleRewards,
    scalar_reward,
)
from .batching import MicroBatcher
from .common import (
    decide_finish,
    eos_token_ids,
    load_tokenizer,
    response_from_text,
    stream_share,
)

log = logging.getLogger(__name__)

EXTRA_KEYS: tuple[str, ...] = (
    "acc",
    "outcome_reward",
    "repetition_reward",
    "length",
    "truncated",
    "exceeded",
    "skipped",
    "finish_guessed",
    "status",
    "pred",
)
"""``reward_extra_info`` keys of every response (``compute_score`` adds ``score``)."""


def _spec(config: str | None, overrides: dict[str, Any]) -> RewardSpec:
    # verl passes reward_kwargs on every call: build the spec once per setting.
    # Lists (e.g. clamp, maybe OmegaConf ListConfig) become tuples to be hashable.
    key = tuple(sorted((k, _hashable(v)) for k, v in overrides.items()))
    return _cached_spec(config, key)


def _hashable(value: Any) -> Any:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return value
    return tuple(value)


@lru_cache(maxsize=8)
def _cached_spec(config: str | None, overrides: tuple[tuple[str, Any], ...]) -> RewardSpec:
    if config:
        return RewardSpec.from_yaml(config, dict(overrides))
    return RewardSpec.from_dict(dict(overrides))


def _extra(sample: SampleRewards, *, finish_guessed: bool) -> dict[str, Any]:
    # Same keys and types for every sample: verl stacks them into arrays by key.
    kept = not sample.skipped
    out = {
        "acc": 1.0 if kept and sample.outcome == "correct" else 0.0,
        "outcome_reward": float(sample.outcome_reward) if kept else 0.0,
        "repetition_reward": stream_share(sample, REPETITION),
        "length": int(sample.length),
        "truncated": bool(sample.truncated),
        "exceeded": bool(sample.exceeded),
        "skipped": bool(sample.skipped),
        "finish_guessed": bool(finish_guessed),
        "status": sample.verdict.status,
        "pred": sample.verdict.extracted or "",
    }
    return {k: out[k] for k in EXTRA_KEYS}


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    config: str | None = None,
    tokenizer: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """verl's custom reward function contract; returns ``{"score": ..., **EXTRA_KEYS}``.

    ``score`` is :func:`~longcot.rewards.scalar_reward` (0 for a skipped
    sample). ``config``, ``tokenizer`` and flat ``RewardSpec`` overrides come
    from ``reward.custom_reward_function.reward_kwargs``. ``extra_info`` (the
    dataset row's, plus verl's ``num_turns``) may carry ``task``,
    ``answer_type``, ``truncated`` and ``response_ids`` (the generated ids,
    end-of-sequence excluded: then no re-tokenization).
    """
    del data_source  # the task comes from extra_info["task"] or the spec, never from a name table
    spec = _spec(config, overrides)
    info = extra_info or {}
    truncated = info.get("truncated")
    finish = None if truncated is None else ("length" if truncated else "stop")
    if info.get("response_ids") is not None:
        ids = [int(t) for t in info["response_ids"]]
        finish, source = decide_finish(
            len(ids),
            max_length=spec.max_length,
            ended_with_eos=False,
            finish_reason=finish,
            slack=0,
        )
        response = Response(solution_str, ids, finish)
    elif tokenizer:
        r = response_from_text(
            solution_str,
            load_tokenizer(tokenizer),
            max_length=spec.max_length,
            finish_reason=finish,
        )
        response, source = Response(r.text, r.token_ids, r.finish_reason), r.finish_source
    else:
        raise ValueError(
            "compute_score needs token lengths: set "
            "+reward.custom_reward_function.reward_kwargs.tokenizer to the policy's tokenizer, "
            "or put response_ids in extra_info"
        )
    (sample,) = spec.score_batch(
        [ground_truth],
        [response],
        tasks=[info.get("task") or spec.task],
        answer_types=[info.get("answer_type")],
    )
    score = scalar_reward(sample)
    return {
        "score": 0.0 if score is None else score,
        **_extra(sample, finish_guessed=source == "guessed"),
    }


def _manager_settings(config: Any) -> tuple[str | None, dict[str, Any], tuple[int, ...]]:
    """``(yaml path, RewardSpec overrides, extra eos ids)`` from ``config.reward.reward_kwargs``."""
    reward = config.get("reward") if hasattr(config, "get") else None
    kwargs = dict((reward.get("reward_kwargs") if reward is not None else None) or {})
    path = kwargs.pop("config", None)
    extra_eos = tuple(int(i) for i in (kwargs.pop("eos_token_ids", None) or ()))
    if "max_length" not in kwargs:
        try:
            kwargs["max_length"] = int(config.actor_rollout_ref.rollout.response_length)
        except (AttributeError, KeyError, TypeError, ValueError):
            if not path:
                raise ValueError(
                    "LongcotRewardManager needs reward settings: set "
                    "+reward.reward_kwargs.config=<reward YAML> (and/or "
                    "+reward.reward_kwargs.max_length=<generation budget>)"
                ) from None
    return path, kwargs, extra_eos


class LongcotRewardManager:
    """verl 0.9 reward-loop manager: exact token lengths, one scalar per response.

    verl builds it as ``cls(config=<trainer config>, tokenizer=..., compute_score=...,
    reward_router_address=..., reward_model_tokenizer=...)`` (``load_reward_manager``)
    and calls ``await run_single(data)`` once per response, expecting
    ``{"reward_score": float, "reward_extra_info": {...}}``. ``compute_score`` is
    not used: grading is ``verify.grade_many``. Duck-typed on verl's
    ``RewardManagerBase``, so longcot does not depend on verl.
    """

    def __init__(
        self,
        config: Any,
        tokenizer: Any,
        compute_score: Any = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
        **kwargs: Any,
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self.compute_score = compute_score
        self.reward_router_address = reward_router_address
        self.reward_model_tokenizer = reward_model_tokenizer
        path, overrides, extra_eos = _manager_settings(config)
        overrides.update(kwargs)
        self.spec = _spec(path, overrides)
        model_path = None
        with contextlib.suppress(AttributeError):  # a config without a model section
            model_path = config.actor_rollout_ref.model.path
        self.eos_ids = frozenset(eos_token_ids(tokenizer, model_path) + extra_eos)
        if not self.eos_ids:
            raise ValueError(
                "LongcotRewardManager: the tokenizer has no eos_token_id; set "
                "+reward.reward_kwargs.eos_token_ids=[...]"
            )
        self._batchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        log.info(
            "LongcotRewardManager: max_length=%d, end-of-sequence ids %s",
            self.spec.max_length,
            sorted(self.eos_ids),
        )

    def _batcher(self) -> MicroBatcher:
        loop = asyncio.get_running_loop()
        batcher = self._batchers.get(loop)
        if batcher is None:
            batcher = MicroBatcher(self._score, max_batch_items=256, max_concurrency=2)
            self._batchers[loop] = batcher
        return batcher

    def _score(self, calls: list[tuple[Any, Response, str, str | None]]) -> list[SampleRewards]:
        golds, responses, tasks, types = (list(x) for x in zip(*calls, strict=True))
        return self.spec.score_batch(golds, responses, tasks=tasks, answer_types=types)

    async def run_single(self, data: Any) -> dict[str, Any]:
        """Score the last response of ``data`` (a one-row verl ``DataProto``)."""
        item = data[-1:][0]  # multi-sequence outputs: the last one, as verl's managers do
        responses = item.batch["responses"]
        width = responses.shape[-1]
        valid = int(item.batch["attention_mask"][-width:].sum())
        ids = [int(t) for t in responses[:valid].tolist()]
        ended = bool(ids) and ids[-1] in self.eos_ids
        if ended:
            ids = ids[:-1]  # lengths exclude end-of-sequence
        finish, source = decide_finish(
            len(ids), max_length=self.spec.max_length, ended_with_eos=ended, slack=0
        )
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        gold = item.non_tensor_batch["reward_model"]["ground_truth"]
        info = item.non_tensor_batch.get("extra_info", None)
        info = info if isinstance(info, dict) else {}
        call = (
            gold,
            Response(text, ids, finish),
            info.get("task") or self.spec.task,
            info.get("answer_type"),
        )
        sample = await self._batcher().submit(call)
        score = scalar_reward(sample, positions=valid)
        return {
            "reward_score": 0.0 if score is None else score,
            "reward_extra_info": _extra(sample, finish_guessed=source == "guessed"),
        }

    @classmethod
    def assemble_rm_scores(cls, data: Any, scores: list[float]) -> Any:
        """verl's placement (``RewardManagerBase.assemble_rm_scores``): each score on
        its response's last valid token; zeros elsewhere."""
        import torch

        prompt_length = data.batch["prompts"].size(1)
        valid = data.batch["attention_mask"][:, prompt_length:].sum(dim=1)
        rm_scores = torch.zeros_like(data.batch["responses"], dtype=torch.float32)
        rows = torch.arange(rm_scores.size(0), device=rm_scores.device)
        rm_scores[rows, valid - 1] = rm_scores.new_tensor(scores)
        return rm_scores
