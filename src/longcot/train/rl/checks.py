"""Everything about an RL recipe that can be wrong is found here, before any model loads.

Each problem is a :class:`RLSetupError` naming the recipe key and how to fix
it, raised in seconds rather than after a model has been loaded and a first
rollout generated.
"""

from __future__ import annotations

import logging

from longcot.config import Recipe

from .estimators import get_estimator, needs_critic

log = logging.getLogger(__name__)


class RLSetupError(ValueError):
    """The recipe (or the data or tokenizer it names) cannot train; the message says why."""


def responses_per_step(recipe: Recipe) -> int:
    return recipe.rollout.prompts_per_step * recipe.rollout.n


def minibatch_size(recipe: Recipe) -> int:
    """Responses per optimiser step over all processes."""
    return recipe.algorithm.minibatch_size or responses_per_step(recipe)


def check_recipe(recipe: Recipe, *, world: int) -> None:
    """Raise :class:`RLSetupError` for the first problem found."""
    src = recipe.source
    if not recipe.model.path:
        raise RLSetupError(f"{src}: model.path is required (a named model, folder or hub id)")
    if not recipe.run.output:
        raise RLSetupError(f"{src}: run.output is required (or pass --output DIR)")
    if not recipe.data.source:
        raise RLSetupError(f"{src}: data.source is required (a benchmark, a task or a .jsonl file)")
    ro, algo = recipe.rollout, recipe.algorithm
    if ro.backend == "openai":
        raise RLSetupError(
            f"{src}: rollout.backend=openai cannot generate from the policy being trained; "
            "use hf (the live policy) or vllm (weights synced every step)"
        )
    if ro.prompts_per_step % world:
        raise RLSetupError(
            f"{src}: rollout.prompts_per_step={ro.prompts_per_step} does not divide over "
            f"{world} processes; use a multiple of {world}"
        )
    total = responses_per_step(recipe)
    mb = minibatch_size(recipe)
    if total % mb:
        raise RLSetupError(
            f"{src}: algorithm.minibatch_size={mb} does not divide the {total} responses of a "
            f"step (prompts_per_step {ro.prompts_per_step} x n {ro.n})"
        )
    if mb % world:
        raise RLSetupError(
            f"{src}: algorithm.minibatch_size={mb} does not divide over {world} processes"
        )
    try:
        get_estimator(algo.estimator)
    except ValueError as e:
        raise RLSetupError(f"{src}: algorithm.estimator: {e}") from None
    if not needs_critic(algo.estimator) and ro.n < 2:
        raise RLSetupError(
            f"{src}: algorithm.estimator={algo.estimator} compares the responses to one prompt, "
            "so rollout.n must be >= 2"
        )
    if algo.kl_coef > 0 and algo.kl_in == "reward" and algo.kl_estimator != "k1":
        log.warning(
            "%s: a %s KL estimate in the reward is biased; the paper (and OpenRLHF's advice) "
            "uses k1 in the reward and k2/k3 in the loss",
            src,
            algo.kl_estimator,
        )
    if recipe.eval.every and not recipe.eval.benchmarks:
        raise RLSetupError(f"{src}: eval.every is set but eval.benchmarks is empty")
    if recipe.reward is None:
        raise RLSetupError(f"{src}: no reward section")
    if recipe.reward.max_length != ro.max_new_tokens:
        log.warning(
            "%s: reward.max_length=%d differs from rollout.max_new_tokens=%d: the cosine "
            "reward's L_max is not the generation budget",
            src,
            recipe.reward.max_length,
            ro.max_new_tokens,
        )


def check_chat_template(tokenizer, prompts, model: str) -> None:
    """Chat prompts need a chat template: say so before any weight is loaded."""
    if any(not isinstance(p, str) for p in prompts) and not getattr(
        tokenizer, "chat_template", None
    ):
        raise RLSetupError(
            f"the tokenizer of {model} has no chat template, but the prompts are chat "
            "messages; use a chat model, set model.tokenizer to one with a template, or use "
            "data.template: plain (prompts as plain text)"
        )


def check_sharding(accelerator, recipe: Recipe) -> None:
    """The hf backend generates with the live policy's full weights; FSDP and ZeRO-3
    hold only a shard per process, so they need a rollout engine that receives the
    gathered weights (vLLM)."""
    from accelerate.utils import DistributedType

    kind = accelerator.distributed_type
    zero3 = kind == DistributedType.DEEPSPEED and (
        getattr(accelerator.state.deepspeed_plugin, "zero_stage", 0) == 3
    )
    if recipe.rollout.backend == "hf" and (kind == DistributedType.FSDP or zero3):
        raise RLSetupError(
            f"{recipe.source}: rollout.backend=hf generates from the live policy, which "
            f"{kind.value} shards over processes; use rollout.backend=vllm (weights synced "
            "after every update), or DDP / ZeRO-1/2"
        )
