"""The sections of a recipe, one frozen dataclass each (DESIGN §2, §3).

Every command reads the same sections from the same file format; each uses
the ones it needs (``loader.COMMAND_SECTIONS``):

- ``model``: which weights, on what device, with what memory savers;
- ``data``: the prompts or SFT examples;
- ``rollout``: how responses are generated (backend, samples, sampling);
- ``reward``: :class:`longcot.rewards.RewardSpec` (its own dataclass);
- ``algorithm``: the RL estimator and losses;
- ``optim``: optimiser, schedule, batch sizes;
- ``eval``: periodic / final evaluation through the shared loop;
- ``run``: output folder, seed, steps, checkpoints, logging.
- ``curate``: what the curation commands keep (``curate_section.py``).

Defaults are the paper's (§3, 8B models on GPUs) unless a field says
otherwise; CPU recipes override them. Each field's docstring gives its unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from longcot.constants import THINK_MARKERS

from .checks import (
    SettingError,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_str,
)

DTYPES = ("auto", "float32", "bfloat16", "float16")
DEVICES = ("auto", "cpu", "cuda")
BACKENDS = ("hf", "vllm", "openai")
ESTIMATORS = ("gae", "grpo", "dr_grpo", "rloo")
LOSS_AGGREGATIONS = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm")
KL_ESTIMATORS = ("k1", "k2", "k3")
KL_PLACEMENTS = ("reward", "loss")
SCHEDULES = ("cosine", "constant")
OVERLONG_SFT = ("drop", "truncate")
REPORT_TO = ("tensorboard", "wandb")
VERIFIERS = ("rule", "judge")


def yaml_tuple(value: Any) -> Any:
    """YAML lists -> tuples, so sections stay hashable and compare predictably."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str) and "," in value:
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, str):
        return (value,)
    return value


@dataclass(frozen=True)
class LoraSection:
    """PEFT LoRA on the policy (``model.lora``); ``null`` trains every weight."""

    r: int = 16
    """Rank of the update matrices."""
    alpha: int = 32
    """Scale numerator: the update is multiplied by ``alpha / r``."""
    dropout: float = 0.0
    target_modules: tuple[str, ...] | str = "all-linear"
    """Module names to adapt, or ``all-linear`` (PEFT's shortcut)."""

    def __post_init__(self) -> None:
        check_int("lora.r", self.r, low=1)
        check_int("lora.alpha", self.alpha, low=1)
        check_number("lora.dropout", self.dropout, low=0, high=1)
        if self.target_modules != "all-linear":
            object.__setattr__(self, "target_modules", yaml_tuple(self.target_modules))


@dataclass(frozen=True)
class ModelSection:
    path: str | None = None
    """The policy: a named model (``smollm2-135m-instruct``), a checkpoint folder or a hub id."""
    tokenizer: str | None = None
    """Tokenizer folder or hub id; ``null``: the model's own."""
    dtype: str = "auto"
    """Weights and compute dtype: ``auto`` is bfloat16 on CUDA, float32 on CPU."""
    device: str = "auto"
    """``auto``: CUDA when present (the local rank's GPU under ``accelerate launch``), else CPU."""
    threads: int | None = None
    """torch threads on CPU; ``null`` keeps torch's default (set 1 per process when
    several processes share a small machine)."""
    attn_implementation: str | None = None
    """transformers ``attn_implementation`` (``sdpa``, ``eager``, ``flash_attention_2``)."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory, about 30 % more time."""
    lora: LoraSection | None = None
    critic: str | None = "policy"
    """The critic (``gae`` only): ``policy`` puts a value head on a copy of the policy
    (the paper); a path loads another checkpoint under the value head."""
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        check_str("path", self.path, optional=True)
        check_str("tokenizer", self.tokenizer, optional=True)
        check_choice("dtype", self.dtype, DTYPES)
        check_choice("device", self.device, DEVICES)
        check_int("threads", self.threads, low=1, optional=True)
        check_str("attn_implementation", self.attn_implementation, optional=True)
        check_bool("gradient_checkpointing", self.gradient_checkpointing)
        check_str("critic", self.critic, optional=True)
        check_bool("trust_remote_code", self.trust_remote_code)
        if isinstance(self.lora, dict):
            try:
                object.__setattr__(self, "lora", LoraSection(**self.lora))
            except TypeError as e:
                raise SettingError(
                    "lora", self.lora, f"{e}; keys: r, alpha, dropout, target_modules"
                ) from None
        elif self.lora is not None and not isinstance(self.lora, LoraSection):
            raise SettingError("lora", self.lora, "must be a mapping (r, alpha, ...) or null")


@dataclass(frozen=True)
class DataSection:
    source: str | None = None
    """Prompts or SFT examples: a registered benchmark or task (``math_train``,
    ``arith_train``), a ``.jsonl`` file, or ``module:attr``. JSONL rows hold
    ``messages`` (chat, for SFT) or ``problem``/``prompt`` plus ``gold`` (RL),
    optionally ``task`` and ``answer_type``."""
    data_dir: str | None = None
    """Local benchmarks folder; ``null``: ``$LONGCOT_DATA``, else the hub."""
    limit: int | None = None
    """Use only the first ``limit`` examples (file order)."""
    template: str = "default"
    """Prompt template for benchmarks (``longcot.benchmarks.TEMPLATES``)."""
    shuffle: bool = True
    """Shuffle examples each epoch, seeded from ``run.seed``."""
    solution_field: str = "solution"
    """SFT from a benchmark: the example field holding the reference solution."""
    max_length: int = 16384
    """SFT: tokens per example, prompt + response (paper 16K context)."""
    overlong: str = "drop"
    """SFT examples longer than ``max_length``: ``drop`` (default: a cut example
    would teach the model to stop mid-thought, or never to stop; torchtune #2792)
    or ``truncate`` (keep the first ``max_length`` tokens, no end-of-sequence)."""
    packing: bool = False
    """SFT: pack several examples into one ``max_length`` row (TRL's BFD packing)."""

    def __post_init__(self) -> None:
        check_str("source", self.source, optional=True)
        check_str("data_dir", self.data_dir, optional=True)
        check_int("limit", self.limit, low=1, optional=True)
        check_str("template", self.template)
        check_bool("shuffle", self.shuffle)
        check_str("solution_field", self.solution_field)
        check_int("max_length", self.max_length, low=2)
        check_choice("overlong", self.overlong, OVERLONG_SFT)
        check_bool("packing", self.packing)


@dataclass(frozen=True)
class RolloutSection:
    backend: str = "hf"
    """``hf`` (runs on the live policy), ``vllm`` (weights synced each step),
    ``openai`` (a server; evaluation only), or ``module:Class``."""
    backend_options: dict[str, Any] = field(default_factory=dict)
    """Backend constructor options (``threads``, ``max_batch_rows``, ``gpu_memory_utilization``...)."""
    prompts_per_step: int = 512
    """Prompts per RL step (the rollout batch; paper 512)."""
    n: int = 8
    """Responses per prompt (paper 4-8)."""
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 14336
    """Generation budget in tokens (paper 16K context: 14,336)."""
    stop: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_choice("backend", self.backend, BACKENDS, escape=True)
        if not isinstance(self.backend_options, dict):
            raise SettingError("backend_options", self.backend_options, "must be a mapping")
        object.__setattr__(self, "backend_options", dict(self.backend_options))
        check_int("prompts_per_step", self.prompts_per_step, low=1)
        check_int("n", self.n, low=1)
        check_number("temperature", self.temperature, low=0)
        check_number("top_p", self.top_p, low=0, high=1, low_open=True)
        check_int("max_new_tokens", self.max_new_tokens, low=1)
        if self.stop is not None:
            object.__setattr__(self, "stop", yaml_tuple(self.stop))


@dataclass(frozen=True)
class AlgorithmSection:
    estimator: str = "gae"
    """``gae`` (PPO with a critic; the paper), ``grpo``, ``dr_grpo``, ``rloo``
    (critic-free), or ``module:function`` (``longcot.train.rl.estimators``)."""
    lam: float = 1.0
    """GAE λ (paper 1). Each reward stream uses its own γ (``reward.gamma_*``)."""
    whiten_advantages: bool = True
    """Normalise advantages over the batch's response tokens (paper: yes)."""
    clip_low: float = 0.2
    """Ratio clip: ``ratio >= 1 - clip_low``."""
    clip_high: float = 0.2
    """Ratio clip: ``ratio <= 1 + clip_high`` (DAPO's clip-higher uses 0.28)."""
    value_clip: float | None = 0.2
    """Value clip around the old values; ``null`` turns it off."""
    kl_coef: float = 0.01
    """Weight of the KL to the reference policy; 0 skips the reference model."""
    kl_estimator: str = "k1"
    """``k1`` ``log π - log π_ref``, ``k2`` ``½(log π - log π_ref)²``, ``k3`` ``r - 1 - log r``."""
    kl_in: str = "reward"
    """``reward``: a per-token penalty in the reward (the paper; use k1); ``loss``:
    a loss term (use k2 or k3, as OpenRLHF advises)."""
    entropy_coef: float = 0.0
    """Entropy bonus weight in the policy loss."""
    loss_agg: str = "token-mean"
    """``token-mean`` (every token of the batch weighs the same), ``seq-mean-token-mean``
    (GRPO's original), ``seq-mean-token-sum-norm`` (Dr.GRPO: token sums / a constant)."""
    loss_norm_tokens: int | None = None
    """Dr.GRPO's constant for ``seq-mean-token-sum-norm``; ``null``: ``rollout.max_new_tokens``."""
    ppo_epochs: int = 1
    """Passes over each rollout batch."""
    minibatch_size: int | None = None
    """Responses per optimiser step; ``null``: the whole rollout batch (one step per epoch)."""
    micro_batch_size: int = 4
    """Responses per forward/backward pass (gradient accumulation inside a minibatch)."""
    value_coef: float = 1.0
    """Critic loss weight (the critic has its own optimiser; this scales its loss)."""
    std_eps: float = 1e-6
    """ε in GRPO's ``(R - mean) / (std + ε)``."""
    tis_cap: float | None = None
    """Truncated importance sampling ``min(π_old / π_rollout, C)`` when the rollout
    engine's log-probs differ from the trainer's; ``null``: off."""
    logprob_chunk: int = 1024
    """Tokens per chunk when computing per-token log-probs, so the full
    (batch, length, vocabulary) logits never exist at once."""

    def __post_init__(self) -> None:
        check_choice("estimator", self.estimator, ESTIMATORS, escape=True)
        check_number("lam", self.lam, low=0, high=1)
        check_bool("whiten_advantages", self.whiten_advantages)
        check_number("clip_low", self.clip_low, low=0, high=1)
        check_number("clip_high", self.clip_high, low=0)
        check_number("value_clip", self.value_clip, low=0, low_open=True, optional=True)
        check_number("kl_coef", self.kl_coef, low=0)
        check_choice("kl_estimator", self.kl_estimator, KL_ESTIMATORS)
        check_choice("kl_in", self.kl_in, KL_PLACEMENTS)
        check_number("entropy_coef", self.entropy_coef, low=0)
        check_choice("loss_agg", self.loss_agg, LOSS_AGGREGATIONS)
        check_int("loss_norm_tokens", self.loss_norm_tokens, low=1, optional=True)
        check_int("ppo_epochs", self.ppo_epochs, low=1)
        check_int("minibatch_size", self.minibatch_size, low=1, optional=True)
        check_int("micro_batch_size", self.micro_batch_size, low=1)
        check_number("value_coef", self.value_coef, low=0)
        check_number("std_eps", self.std_eps, low=0, low_open=True)
        check_number("tis_cap", self.tis_cap, low=1, optional=True)
        check_int("logprob_chunk", self.logprob_chunk, low=1)


@dataclass(frozen=True)
class OptimSection:
    lr: float = 5e-7
    """Policy learning rate (paper RL: 5e-7; SFT: 5e-6)."""
    critic_lr: float = 9e-6
    """Critic learning rate (paper: 9e-6)."""
    betas: tuple[float, float] = (0.9, 0.95)
    """AdamW betas (paper: 0.9, 0.95)."""
    eps: float = 1e-8
    weight_decay: float = 0.0
    schedule: str = "cosine"
    """``cosine`` (warm-up, then cosine down to ``min_lr_ratio × lr``) or ``constant`` (after warm-up)."""
    warmup_ratio: float = 0.03
    """Share of the optimiser steps spent warming up linearly from 0 (paper 3 %)."""
    min_lr_ratio: float = 0.1
    """The cosine schedule's floor as a share of ``lr`` (paper 0.1)."""
    grad_clip: float | None = 1.0
    """Gradient norm clip; ``null``: off."""
    epochs: float = 2
    """SFT: passes over the data (paper 2)."""
    batch_size: int = 256
    """SFT: examples per optimiser step, over all processes (paper 256)."""
    micro_batch_size: int = 1
    """SFT: examples per forward/backward pass per process."""

    def __post_init__(self) -> None:
        check_number("lr", self.lr, low=0, low_open=True)
        check_number("critic_lr", self.critic_lr, low=0, low_open=True)
        betas = yaml_tuple(self.betas)
        if not isinstance(betas, tuple) or len(betas) != 2:
            raise SettingError("betas", self.betas, "give two numbers, e.g. [0.9, 0.95]")
        for b in betas:
            check_number("betas", b, low=0, high=1)
        object.__setattr__(self, "betas", tuple(float(b) for b in betas))
        check_number("eps", self.eps, low=0, low_open=True)
        check_number("weight_decay", self.weight_decay, low=0)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_number("warmup_ratio", self.warmup_ratio, low=0, high=1)
        check_number("min_lr_ratio", self.min_lr_ratio, low=0, high=1)
        check_number("grad_clip", self.grad_clip, low=0, low_open=True, optional=True)
        check_number("epochs", self.epochs, low=0, low_open=True)
        check_int("batch_size", self.batch_size, low=1)
        check_int("micro_batch_size", self.micro_batch_size, low=1)


@dataclass(frozen=True)
class EvalSection:
    benchmarks: tuple[str, ...] = ("math500", "aime24", "theoremqa", "mmlu_pro_1k")
    """Registered benchmarks or tasks, or ``module:attr``."""
    every: int = 0
    """Training: evaluate every ``every`` steps (and after the last); 0: only after the last."""
    before_training: bool = False
    """Training: also evaluate the starting model (step 0)."""
    after_training: bool = True
    """Training: evaluate the final model (``eval/final``); ``false`` skips it."""
    limit: int | None = None
    samples: int | None = None
    """Samples per problem; ``null``: each benchmark's paper default (AIME 16, others 4)."""
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 16384
    seed: int = 0
    template: str = "default"
    data_dir: str | None = None
    think_markers: tuple[str, str] | None = THINK_MARKERS
    """``(open, close)`` reasoning markers; ``null`` grades whole responses."""
    require_think_close: bool | None = None
    """``null``: detected from the chat template."""
    extract: str | None = None
    """Verifier extraction policy: ``auto`` (default when null) or ``strict``."""
    grade_timeout: float = 5.0
    grade_workers: int | None = None
    chunk_completions: int = 256
    verifier: str = "rule"
    """``rule`` (``longcot.verify.grade``) or ``judge`` (a model judge, ``verify.judge``)."""
    judge: dict[str, Any] | None = None
    """Judge settings (``verify.judge.JudgeSpec``: model, backend, max_new_tokens, ...);
    ``null``: the evaluated model judges itself."""

    def __post_init__(self) -> None:
        check_choice("verifier", self.verifier, VERIFIERS)
        if self.judge is not None and not isinstance(self.judge, dict):
            raise SettingError(
                "judge", self.judge, "must be a mapping (model, backend, ...) or null"
            )
        benchmarks = yaml_tuple(self.benchmarks)
        if not isinstance(benchmarks, tuple) or not benchmarks:
            raise SettingError("benchmarks", self.benchmarks, "name at least one benchmark")
        object.__setattr__(self, "benchmarks", benchmarks)
        check_int("every", self.every, low=0)
        check_bool("before_training", self.before_training)
        check_bool("after_training", self.after_training)
        check_int("limit", self.limit, low=1, optional=True)
        check_int("samples", self.samples, low=1, optional=True)
        if self.think_markers is not None:
            object.__setattr__(self, "think_markers", yaml_tuple(self.think_markers))
        # The rest is validated by EvalConfig when an evaluation is built from it.


@dataclass(frozen=True)
class RunSection:
    output: str | None = None
    """Output folder; a rerun into it resumes (``--resume`` for training)."""
    seed: int = 0
    max_steps: int | None = None
    """RL: steps (rollout batches); SFT: optimiser steps (``null``: ``optim.epochs``)."""
    save_every: int = 0
    """Checkpoint every ``save_every`` steps (0: only at the end)."""
    keep_last: int = 2
    """Checkpoints kept; older ones are deleted after a new one is written."""
    log_every: int = 1
    report_to: tuple[str, ...] = ()
    """Besides ``metrics.jsonl``: ``tensorboard`` and/or ``wandb``."""
    save_rollouts: bool = True
    """RL: write every rollout (prompt id, response, reward, verdict) to ``rollouts.jsonl``."""
    progress: bool = True

    def __post_init__(self) -> None:
        check_str("output", self.output, optional=True)
        check_int("seed", self.seed)
        check_int("max_steps", self.max_steps, low=1, optional=True)
        check_int("save_every", self.save_every, low=0)
        check_int("keep_last", self.keep_last, low=1)
        check_int("log_every", self.log_every, low=1)
        report = yaml_tuple(self.report_to) if self.report_to else ()
        for r in report:
            check_choice("report_to", r, REPORT_TO)
        object.__setattr__(self, "report_to", report)
        check_bool("save_rollouts", self.save_rollouts)
        check_bool("progress", self.progress)
