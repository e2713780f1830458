"""``longcot rl``: the paper's PPO (critic, token-level reward streams, one γ per stream)
and critic-free GRPO / Dr.GRPO / RLOO, on a CPU or under ``accelerate launch``.

A step (DESIGN §3):

1. **rollout**: this process's share of ``rollout.prompts_per_step`` prompts,
   ``rollout.n`` responses each, from the ``hf`` backend on the live policy
   (or ``vllm`` with weights synced after each update);
2. **reward**: the one verifier and :class:`~longcot.rewards.RewardSpec`'s
   streams, laid on the tokens by ``rewards.placement``;
3. **reference**: old log-probs (recomputed by the trainer), reference
   log-probs and critic values (``update.score_rollout``);
4. **train**: advantages and PPO epochs (``update.ppo_update``).

Then metrics (``metrics.jsonl``, TensorBoard / W&B), periodic evaluation
through the shared loop (``eval/step_N``, like ``longcot eval``), and
checkpoints (atomic, last K kept) that ``--resume`` continues from exactly.

Raises (before any model loads): :class:`~.checks.RLSetupError` for a recipe
that cannot train, :class:`~.prompts.PromptDataError` for bad data; during
training :class:`~.update.TrainingDiverged` stops at a NaN loss and leaves
the last good checkpoint as it was.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import Any

import torch

from longcot.config import Recipe

from .checkpoint import TrainState, load_checkpoint, save_checkpoint
from .checks import (
    RLSetupError,
    check_chat_template,
    check_recipe,
    check_sharding,
    minibatch_size,
    responses_per_step,
)
from .estimators import needs_critic
from .metrics import peak_memory_mb, rollout_rows, step_statistics
from .models import AdapterOffScorer, Models, adamw, load_models
from .prompts import PromptItem, PromptOrder, load_prompts
from .rollout import Rollout, build_rollout, open_rollout_backend, score_completions
from .scoring import PolicyScorer
from .update import (
    KL_STREAM,
    Dist,
    UpdateInputs,
    advantages,
    needs_old_pass,
    ppo_update,
    score_rollout,
    tis_weights,
)

log = logging.getLogger(__name__)


def step_seed(seed: int, step: int) -> int:
    """The sampling seed of a step: fixed by (run seed, step), so a resumed run redraws it."""
    return random.Random(f"{seed}:{step}").randrange(2**31)


class RLTrainer:
    """Build once, then :meth:`train`. See the module docstring for a step's phases.

    Args:
        recipe: a recipe loaded for ``command="rl"``.
        resume: continue from the newest checkpoint in ``run.output``.
        accelerator: an ``accelerate.Accelerator`` (one is created by default).
    """

    def __init__(self, recipe: Recipe, *, resume: bool = False, accelerator=None) -> None:
        from accelerate import Accelerator

        from longcot.train.run_dir import RunDir

        self.accelerator = accelerator or Accelerator(
            cpu=recipe.model.device == "cpu" or not torch.cuda.is_available()
        )
        acc = self.accelerator
        self.world, self.rank = acc.num_processes, acc.process_index
        check_recipe(recipe, world=self.world)
        check_sharding(acc, recipe)
        self.recipe = recipe
        self.spec = recipe.reward
        self.algo = recipe.algorithm
        self.run = RunDir(recipe.run.output)
        self._check_output(resume)
        if recipe.model.threads:
            torch.set_num_threads(recipe.model.threads)
        self.items: list[PromptItem] = load_prompts(recipe.data, self.spec.task)
        self.kl_reward = self.algo.kl_coef > 0 and self.algo.kl_in == "reward"
        self.gammas = dict(self.spec.gammas)
        if self.kl_reward:
            # The KL penalty is a per-token reward stream of its own, discounted like
            # the outcome it competes with (γ_correctness; the paper's 1).
            self.gammas[KL_STREAM] = self.spec.gamma_correctness
        self.stream_order = tuple(self.gammas)
        self._check_tokenizer()
        torch.manual_seed(recipe.run.seed)
        self.models: Models = load_models(
            recipe,
            device=str(acc.device),
            num_streams=len(self.stream_order),
            need_reference=self.algo.kl_coef > 0,
            need_critic=needs_critic(self.algo.estimator),
        )
        self.total_steps = recipe.run.max_steps or max(
            1, len(self.items) // recipe.rollout.prompts_per_step
        )
        self._build_optimisers()
        self.order = PromptOrder(len(self.items), seed=recipe.run.seed, shuffle=recipe.data.shuffle)
        self.state = TrainState()
        self.backend = open_rollout_backend(recipe.rollout, self.models)
        if resume:
            self._resume()
        self.trackers = None

    # -- set-up -----------------------------------------------------------------------

    def _check_output(self, resume: bool) -> None:
        if self.run.exists() and not resume:
            raise RLSetupError(
                f"{self.run.path} already holds a run; continue it with --resume, or choose "
                "another --output"
            )
        if resume and not self.run.exists():
            log.warning("--resume: %s holds no run yet; starting one", self.run.path)

    def _check_tokenizer(self) -> None:
        from transformers import AutoTokenizer

        from longcot.models import resolve_model

        m = self.recipe.model
        tok = AutoTokenizer.from_pretrained(
            m.tokenizer or str(resolve_model(m.path)), trust_remote_code=m.trust_remote_code
        )
        check_chat_template(tok, [it.prompt for it in self.items[:64]], m.path)

    def _build_optimisers(self) -> None:
        acc, optim = self.accelerator, self.recipe.optim
        from longcot.train.schedule import make_scheduler

        per_step = self.recipe.rollout.prompts_per_step * self.recipe.rollout.n
        updates = (
            self.total_steps * self.algo.ppo_epochs * (per_step // minibatch_size(self.recipe))
        )
        self.updates_total = updates
        policy_opt = adamw(self.models.scorer.parameters(), optim, optim.lr)
        self.policy_sched = make_scheduler(policy_opt, updates, optim)
        self.scorer, self.policy_opt = acc.prepare(self.models.scorer, policy_opt)
        acc.register_for_checkpointing(self.policy_sched)
        self.critic = self.critic_opt = self.critic_sched = None
        if self.models.critic is not None:
            critic_opt = adamw(self.models.critic.parameters(), optim, optim.critic_lr)
            self.critic_sched = make_scheduler(critic_opt, updates, optim)
            self.critic, self.critic_opt = acc.prepare(self.models.critic, critic_opt)
            acc.register_for_checkpointing(self.critic_sched)
        self.reference_scorer = None
        if self.algo.kl_coef > 0:
            ref = self.models.reference
            if ref is not None:
                self.reference_scorer = PolicyScorer(
                    ref.to(acc.device),
                    chunk=self.algo.logprob_chunk,
                    temperature=self.models.scorer.temperature,
                )

    # -- one step -----------------------------------------------------------------------

    def _local_items(self) -> list[PromptItem]:
        indices = self.order.take(self.recipe.rollout.prompts_per_step)
        share = len(indices) // self.world
        mine = indices[self.rank * share : (self.rank + 1) * share]
        return [self.items[i] for i in mine]

    def _reference(self):
        if self.algo.kl_coef <= 0:
            return None
        if self.reference_scorer is not None:
            return self.reference_scorer
        return AdapterOffScorer(self.models, self.accelerator.unwrap_model(self.scorer))

    def step(self) -> dict[str, Any]:
        """One rollout + update; returns the step's metrics (all processes agree on them)."""
        from longcot.generate.types import SamplingParams

        acc, ro = self.accelerator, self.recipe.rollout
        step = self.state.step + 1
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        prompts = self._local_items()
        params = SamplingParams(
            n=ro.n,
            temperature=ro.temperature,
            top_p=ro.top_p,
            max_new_tokens=ro.max_new_tokens,
            seed=step_seed(self.recipe.run.seed, step),
            stop=ro.stop or (),
            logprobs=self.algo.tis_cap is not None,
        )
        outputs = self.backend.generate([it.prompt for it in prompts], params)
        completions = [c for cs in outputs for c in cs]
        items = [it for it in prompts for _ in range(ro.n)]
        times["time/rollout"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        samples = score_completions(self.spec, items, completions, ro.n)
        prompt_ids = [self.models_encode(it.prompt) for it in prompts]
        rollout = build_rollout(
            items,
            [p for p in prompt_ids for _ in range(ro.n)],
            completions,
            samples,
            pad_id=self._pad_id(),
        )
        times["time/reward"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        scores = score_rollout(
            rollout,
            scorer=self.scorer,
            reference_scorer=self._reference(),
            critic=self.critic,
            micro=self.algo.micro_batch_size,
            device=acc.device,
            old=needs_old_pass(
                self.algo, responses_per_step(self.recipe) // minibatch_size(self.recipe)
            ),
            group=self._group(),
        )
        dist = Dist(lambda t: acc.reduce(t.to(acc.device), "sum").cpu(), self.world)
        adv, returns, streams = advantages(
            rollout, scores, self.algo, self.gammas, self.stream_order, ro.n, dist
        )
        times["time/reference"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        loss_mask = rollout.response_mask * rollout.valid.view(-1, 1)
        value_mask = loss_mask.clone()
        if self.spec.overlong_filter:
            loss_mask = loss_mask * (~rollout.truncated).view(-1, 1)
        tis, tis_stats = tis_weights(
            rollout, scores, loss_mask, self.algo.tis_cap, self.recipe.rollout.backend
        )
        generator = torch.Generator().manual_seed(step_seed(self.recipe.run.seed + 1, step))
        stats = ppo_update(
            UpdateInputs(rollout, scores, adv, returns, loss_mask, value_mask, tis),
            algo=self.algo,
            budget=ro.max_new_tokens,
            accelerator=acc,
            scorer=self.scorer,
            critic=self.critic,
            policy_opt=self.policy_opt,
            critic_opt=self.critic_opt,
            policy_sched=self.policy_sched,
            critic_sched=self.critic_sched,
            grad_clip=self.recipe.optim.grad_clip,
            minibatch_rows=minibatch_size(self.recipe) // self.world,
            generator=generator,
            dist=dist,
            group=self._group(),
        )
        self._sync_rollout_engine()
        times["time/train"] = time.perf_counter() - t3
        times["time/step"] = time.perf_counter() - t0
        self.state.step = step
        self.state.prompt_position = self.order.position
        metrics = self._metrics(step, rollout, scores, returns, streams, stats, tis_stats, times)
        self._write_rollouts(step, rollout)
        return metrics

    def _group(self) -> int:
        """Rows per prompt that micro-batches keep together (prompts then run once per
        group); 1 when a minibatch does not hold whole groups."""
        n = self.recipe.rollout.n
        return n if n > 1 and (minibatch_size(self.recipe) // self.world) % n == 0 else 1

    def models_encode(self, prompt) -> list[int]:
        from longcot.generate import prompts as prompt_codec

        return prompt_codec.encode(self.models.tokenizer, prompt)

    def _pad_id(self) -> int:
        tok = self.models.tokenizer
        return tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)

    def _sync_rollout_engine(self) -> None:
        """A separate engine (vLLM) generates the next step from the updated weights."""
        load = getattr(self.backend, "load_weights", None)
        if load is not None and self.recipe.rollout.backend != "hf":
            from .sync import rollout_weights

            load(rollout_weights(self.accelerator.unwrap_model(self.scorer).model))

    def _metrics(
        self, step, rollout, scores, returns, streams, stats, tis_stats, times
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"step": step}
        row.update(
            step_statistics(
                self.accelerator,
                rollout,
                scores,
                returns,
                streams,
                stats,
                ngram=self.spec.ngram,
                seconds=times["time/step"],
            )
        )
        row.update(tis_stats)
        row["lr"] = self.policy_sched.get_last_lr()[0]
        row.update(times)
        row["peak_memory_mb"] = peak_memory_mb(self.accelerator.device)
        row.update({f"rollout/{k}": v for k, v in getattr(self.backend, "stats", {}).items()})
        row["epoch"] = self.order.epoch
        return row

    def _write_rollouts(self, step: int, rollout: Rollout) -> None:
        if not self.recipe.run.save_rollouts:
            return
        from accelerate.utils import gather_object

        rows = rollout_rows(step, rollout)
        if self.world > 1:
            rows = gather_object(rows)
        if self.accelerator.is_main_process:
            self.rollouts.append(rows)

    # -- the loop -----------------------------------------------------------------------

    def train(self, *, max_steps: int | None = None, stop_after: int | None = None) -> dict:
        """Run to ``max_steps`` (default: the recipe's); ``stop_after`` simulates a crash
        after that step's checkpoint (tests of ``--resume``)."""
        from .outputs import RunOutputs

        acc = self.accelerator
        target = max_steps or self.total_steps
        outputs = RunOutputs(self, acc.is_main_process)
        self.rollouts = outputs.rollouts
        outputs.start(resume_step=self.state.step if self.state.step else None)
        if self.recipe.eval.before_training and self.state.step == 0:
            outputs.evaluate(0)
        with outputs.progress(target, self.state.step) as bar:
            while self.state.step < target:
                metrics = self.step()
                outputs.log(metrics)
                bar.update(metrics)
                step = self.state.step
                every = self.recipe.eval.every
                if every and step % every == 0 and step < target:
                    outputs.evaluate(step)
                save_every = self.recipe.run.save_every
                if (save_every and step % save_every == 0) or step == target:
                    self.save()
                if stop_after is not None and step >= stop_after:
                    raise _Stopped(step)
        outputs.evaluate_final()
        return outputs.finish()

    def save(self) -> Path:
        return save_checkpoint(self)

    def _resume(self) -> None:
        path = self.run.latest_checkpoint()
        if path is None:
            log.warning("--resume: no checkpoint in %s; starting from step 0", self.run.path)
            return
        load_checkpoint(self, path)
        self.order.position = self.state.prompt_position
        log.info("resumed from %s (step %d)", path, self.state.step)


class _Stopped(RuntimeError):
    """Raised by ``train(stop_after=...)``: a crash on purpose, after a checkpoint."""

    def __init__(self, step: int) -> None:
        super().__init__(f"stopped after step {step} (stop_after)")
        self.step = step
