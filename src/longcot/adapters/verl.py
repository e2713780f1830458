"""longcot rewards in verl: a ``compute_score`` function and a token-level reward manager.

**compute_score** (verl's ``custom_reward_function``) scores one response from
its text. verl does not pass token ids or the finish reason to it, so lengths
are re-counted with the policy tokenizer (``tokenizer`` in ``reward_kwargs``)
and truncation is ``length >= max_length`` unless ``extra_info`` carries
``truncated``; set ``exceed_margin: 16`` in the reward YAML to absorb
re-tokenization drift. The repetition stream can only enter as its sum::

    custom_reward_function.path=pkg://longcot.adapters.verl
    custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.config=recipes/rewards_paper.yaml
    +custom_reward_function.reward_kwargs.tokenizer=/path/to/policy

**LongcotRewardManager** keeps the paper's token-level streams (§4.6). verl
hands a reward manager the whole batch (response ids, attention mask), so it
writes a per-token reward tensor: the dense repetition penalty on the repeated
tokens and the cosine reward on the last one (end-of-sequence included). verl's GAE has a single γ, so
each stream is first folded (``rewards.streams.fold_discount``) so that its
undiscounted return equals its own γ-discounted return. Run verl with
``algorithm.gamma=1.0 algorithm.lam=1.0`` (the paper's λ) for the advantage to
be exactly ``Σ_m Σ_l γ_m^l r_{m,t+l} - V(s_t)``::

    reward_model.reward_manager.source=importlib
    reward_model.reward_manager.name=LongcotRewardManager
    reward_model.reward_manager.module.path=pkg://longcot.adapters.verl
    +reward_model.reward_kwargs.config=recipes/rewards_paper.yaml

(key names as in verl ≥ 0.5; older versions select managers by registered
name only). Per-token KL stays verl's (``algorithm.use_kl_in_reward``).
Skipped samples (``bad_gold``) get all-zero rewards; verl cannot drop them, so
they are reported in ``reward_extra_info["skipped"]``.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np

from ..rewards import CORRECTNESS, REPETITION, Response, RewardSpec, SampleRewards, combine_streams
from ..rewards.streams import sparse_stream
from .common import load_tokenizer, response_from_text


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


def _extra(sample: SampleRewards) -> dict[str, Any]:
    # Same keys and types for every sample: verl stacks them into arrays.
    return {
        "acc": 1.0 if sample.outcome == "correct" else 0.0,
        "outcome_reward": 0.0 if sample.skipped else float(sample.outcome_reward),
        "repetition_reward": float(sample.streams[REPETITION].sum()),
        "length": sample.length,
        "truncated": sample.truncated,
        "skipped": sample.skipped,
        "status": sample.verdict.status,
        "pred": sample.verdict.extracted or "",
    }


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
    """verl's reward function contract; returns ``{"score": ..., ...}``.

    ``score`` is the outcome reward plus the repetition penalty's sum (0 for a
    skipped sample); the other keys (``acc``, ``outcome_reward``,
    ``repetition_reward``, ``length``, ``truncated``, ``skipped``, ``status``,
    ``pred``) land in verl's ``reward_extra_info``. ``config``, ``tokenizer``
    and flat ``RewardSpec`` overrides come from verl's ``reward_kwargs``.
    ``extra_info`` may carry ``task``, ``answer_type``, ``truncated`` and
    ``response_ids`` (the generated ids: then no re-tokenization).
    """
    del data_source  # the task comes from extra_info["task"] or the spec, never from a name table
    spec = _spec(config, overrides)
    info = extra_info or {}
    truncated = info.get("truncated")
    finish = None if truncated is None else ("length" if truncated else "stop")
    if info.get("response_ids") is not None:
        ids = [int(t) for t in info["response_ids"]]
        if finish is None:
            finish = "length" if len(ids) >= spec.max_length else "stop"
        response = Response(solution_str, ids, finish)
    elif tokenizer:
        r = response_from_text(
            solution_str,
            load_tokenizer(tokenizer),
            max_length=spec.max_length,
            finish_reason=finish,
        )
        response = Response(r.text, r.token_ids, r.finish_reason)
    else:
        raise ValueError(
            "compute_score needs token lengths: set reward_kwargs.tokenizer to the policy's "
            "tokenizer, or put response_ids in extra_info"
        )
    (sample,) = spec.score_batch(
        [ground_truth],
        [response],
        tasks=[info.get("task") or spec.task],
        answer_types=[info.get("answer_type")],
    )
    extra = _extra(sample)
    score = 0.0 if sample.skipped else extra["outcome_reward"] + extra["repetition_reward"]
    return {"score": score, **extra}


class LongcotRewardManager:
    """A verl reward manager writing longcot's per-token reward streams.

    Follows verl's ``AbstractRewardManager`` interface (duck-typed, so longcot
    does not depend on verl): ``__init__(tokenizer, num_examine, compute_score,
    reward_fn_key, **reward_kwargs)`` and ``__call__(data, return_dict)``.
    ``reward_kwargs`` take ``config`` (a reward YAML) and flat ``RewardSpec``
    overrides; ``compute_score`` is ignored (grading is ``verify.grade_many``).
    """

    def __init__(
        self,
        tokenizer: Any,
        num_examine: int = 0,
        compute_score: Any = None,
        reward_fn_key: str = "data_source",
        config: str | None = None,
        **overrides: Any,
    ) -> None:
        self.tokenizer = tokenizer
        self.num_examine = num_examine
        self.reward_fn_key = reward_fn_key
        self.spec = _spec(config, overrides)
        eos = getattr(tokenizer, "eos_token_id", None)
        self.eos_ids = set(eos if isinstance(eos, list | tuple) else [eos]) - {None}

    def __call__(self, data: Any, return_dict: bool = False):
        import torch

        # Rewards already computed upstream (verl's reward loop). TensorDict
        # refuses `in` on itself, so test keys() as verl does.
        if "rm_scores" in data.batch.keys():  # noqa: SIM118
            scores = data.batch["rm_scores"]
            return {"reward_tensor": scores, "reward_extra_info": {}} if return_dict else scores
        prompt_len = data.batch["prompts"].shape[-1]
        responses_t = data.batch["responses"]
        valid = data.batch["attention_mask"][:, prompt_len:].sum(-1).tolist()
        width = responses_t.shape[-1]
        responses, golds, tasks, types = [], [], [], []
        for i in range(len(data)):
            ids = responses_t[i, : valid[i]].tolist()
            finished = bool(ids) and ids[-1] in self.eos_ids
            if finished:
                ids = ids[:-1]  # lengths exclude end-of-sequence
            truncated = not finished and valid[i] >= min(width, self.spec.max_length)
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            responses.append(Response(text, ids, "length" if truncated else "stop"))
            golds.append(data.non_tensor_batch["reward_model"][i]["ground_truth"])
            extra = data.non_tensor_batch.get("extra_info")
            info = extra[i] if extra is not None and isinstance(extra[i], dict) else {}
            tasks.append(info.get("task") or self.spec.task)
            types.append(info.get("answer_type"))
        samples = self.spec.score_batch(golds, responses, tasks=tasks, answer_types=types)
        reward = torch.zeros(responses_t.shape, dtype=torch.float32)
        extra_info: dict[str, list] = defaultdict(list)
        for i, sample in enumerate(samples):
            if not sample.skipped and valid[i] > 0:
                reward[i, : valid[i]] = torch.from_numpy(self._row(sample, valid[i])).float()
            for key, value in _extra(sample).items():
                extra_info[key].append(value)
        return (
            {"reward_tensor": reward, "reward_extra_info": dict(extra_info)}
            if return_dict
            else reward
        )

    def _row(self, sample: SampleRewards, n_tokens: int) -> np.ndarray:
        """Folded per-token rewards over the ``n_tokens`` valid response positions.

        The outcome goes on the last valid position, the end-of-sequence token
        when there is one (as verl's own managers place it), so the decision to
        stop is credited with the answer's reward; repetition penalties stay on
        their tokens.
        """
        dense = np.zeros(n_tokens)
        dense[: sample.length] = sample.streams[REPETITION][:n_tokens]
        streams = {CORRECTNESS: sparse_stream(sample.outcome_reward, n_tokens), REPETITION: dense}
        return combine_streams(streams, self.spec.gammas)
