"""The laptop demo's stages: the paper's comparisons on a task a tiny model learns in minutes.

Per seed, from one randomly initialised demo model (``longcot.tasks.demo_model``):

- ``sft-long`` / ``sft-short``: ``longcot sft`` on the long-CoT and the short-CoT
  traces of the synthetic arithmetic chains (``arith_train``; traces in
  ``longcot.tasks.writers``);
- ``rl-long-cosine`` / ``rl-short-cosine``: ``longcot rl`` from each, with the
  paper's cosine reward and the dense repetition penalty;
- ``rl-long-classic``: ``longcot rl`` from the long-CoT model with the classic
  0/1 reward and no penalty;

every run evaluated on the held-out split (``arith``) through the shared loop,
at the RL rollout temperature, before RL, during and after. The RL arms are
critic-free (RLOO with a group baseline: on two cores a critic would cost a
second model's forward and backward per step); the paper's PPO is one line
(``--set algorithm.estimator=gae`` on any of the written recipes).

Settings come from DESIGN §5 (feasibility study 2) and
``benchmarks/demo_feasibility.py``, measured on this 2-core machine with the
transformers model (numbers in :data:`FULL`'s comments).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from longcot.tasks.demo_model import DEMO_SFT

from .stages import Stage


@dataclass(frozen=True)
class DemoSettings:
    sft_long_steps: int
    sft_short_steps: int
    sft_batch: int
    sft_long_lr: float
    sft_short_lr: float
    rl_steps: int
    rl_prompts: int
    rl_samples: int
    rl_lr: float
    rl_max_new_tokens: int
    eval_problems: int
    eval_samples: int
    eval_every: int
    train_problems: int
    model_hidden: int = 64
    model_layers: int = 4


FULL = DemoSettings(
    # longcot.tasks.demo_model.DEMO_SFT, measured by benchmarks/demo_feasibility.py over
    # 5 seeds with a plain loop (TRL's SFTTrainer costs ~1.6x its CPU time):
    # long 3,000 x 8 at lr 1.5e-3 -> greedy 99.6-100 %, sampled (T = 1) 67-78 %, 154 CPU-s;
    # short 2,500 x 8 at lr 2e-3 -> greedy 71-100 %, sampled 57-100 %, 77 CPU-s (learning
    # is a phase transition whose step varies with the seed).
    # Long: 4,000 steps, not DEMO_SFT's 3,000. Through `longcot sft` (TRL's data order),
    # seed 0 had not made its jump by step 3,000 of a 3,000-step cosine (28.5 % greedy);
    # on a 4,500-step schedule it jumped at step 2,000-2,500 (18 -> 97 %) and seed 1 at
    # 1,000-1,500 (14 -> 76 %): the jump needs the learning rate still high.
    sft_long_steps=4000,
    sft_short_steps=DEMO_SFT["short"].steps,
    sft_batch=DEMO_SFT["long"].batch,
    sft_long_lr=DEMO_SFT["long"].lr,
    sft_short_lr=DEMO_SFT["short"].lr,
    # RL (DESIGN §5 study 2): 8 prompts x 8 samples at T = 1; lr 5e-5 kept greedy
    # accuracy while sampled accuracy rose (2e-4 cost 1-7 greedy points).
    rl_steps=40,
    rl_prompts=8,
    rl_samples=8,
    rl_lr=5e-5,
    rl_max_new_tokens=128,
    eval_problems=200,
    eval_samples=2,
    eval_every=10,
    train_problems=20000,
)

QUICK = replace(
    FULL,
    sft_long_steps=60,
    sft_short_steps=40,
    sft_batch=16,
    rl_steps=4,
    rl_prompts=4,
    rl_samples=4,
    rl_max_new_tokens=96,
    eval_problems=24,
    eval_samples=1,
    eval_every=2,
    train_problems=2000,
)
"""``--quick``: the same stages, far too short to learn anything; it checks the
pipeline end to end in about a minute (the test suite runs it)."""

ARMS = ("sft-long", "sft-short", "rl-long-cosine", "rl-short-cosine", "rl-long-classic")


def _eval(s: DemoSettings, **extra) -> dict:
    return {
        "benchmarks": ["arith"],
        "limit": s.eval_problems,
        "samples": s.eval_samples,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_new_tokens": s.rl_max_new_tokens,
        "grade_workers": 0,
        **extra,
    }


def _sft(s: DemoSettings, seed: int, model: Path, out: Path, style: str) -> dict:
    long = style == "long"
    return {
        "model": {"path": str(model), "dtype": "float32", "device": "cpu", "threads": 1},
        "data": {
            "source": "arith_train",
            "solution_field": f"{style}_cot",
            "limit": s.train_problems,
            "max_length": 256,
        },
        "optim": {
            "lr": s.sft_long_lr if long else s.sft_short_lr,
            "batch_size": s.sft_batch,
            "micro_batch_size": s.sft_batch,
            "epochs": 100,
            "warmup_ratio": 0.05,
            "min_lr_ratio": 0.1,
            "schedule": "cosine",
            "grad_clip": 1.0,
        },
        "eval": _eval(s, after_training=True),
        "run": {
            "output": str(out),
            "seed": seed,
            "max_steps": s.sft_long_steps if long else s.sft_short_steps,
            "log_every": 10,
        },
    }


def _rl(s: DemoSettings, seed: int, start: Path, out: Path, classic: bool) -> dict:
    reward = (
        # ngram 8 without a penalty: the repeated-token rate is measured the same way.
        {"preset": "classic", "ngram": 8, "repetition_penalty": 0.0}
        if classic
        else {"preset": "paper", "ngram": 8, "repetition_penalty": -0.05}
    )
    return {
        "model": {"path": str(start), "dtype": "float32", "device": "cpu", "threads": 1},
        "data": {"source": "arith_train"},
        "rollout": {
            "backend": "hf",
            "prompts_per_step": s.rl_prompts,
            "n": s.rl_samples,
            "temperature": 1.0,
            "max_new_tokens": s.rl_max_new_tokens,
        },
        "reward": {**reward, "grade_workers": 0},
        "algorithm": {
            "estimator": "rloo",
            "whiten_advantages": False,
            "kl_coef": 0.0,
            "micro_batch_size": s.rl_prompts * s.rl_samples,
        },
        "optim": {"lr": s.rl_lr, "warmup_ratio": 0.0, "schedule": "constant"},
        "eval": _eval(s, every=s.eval_every, before_training=True),
        "run": {
            "output": str(out),
            "seed": seed,
            "max_steps": s.rl_steps,
            "save_every": 0,
            "progress": False,
        },
    }


def demo_stages(root: Path, settings: DemoSettings, seeds: int = 1) -> list[Stage]:
    """Every stage for ``seeds`` seeds, the longest chain first in each seed (so two
    workers finish together: long SFT then its RL on one core, the rest on the other)."""
    stages: list[Stage] = []
    for seed in range(seeds):
        base = root / f"seed{seed}"
        model = base / "model"
        name = f"seed{seed}/"
        spec = {"hidden": settings.model_hidden, "layers": settings.model_layers, "seed": seed}
        stages.append(Stage(name + "model", "model", model, spec, label=f"seed {seed}: model"))
        for style, steps in (
            ("long", settings.sft_long_steps),
            ("short", settings.sft_short_steps),
        ):
            out = base / f"sft-{style}"
            stages.append(
                Stage(
                    name + f"sft-{style}",
                    "sft",
                    out,
                    _sft(settings, seed, model, out, style),
                    after=(name + "model",),
                    steps=steps,
                    label=f"seed {seed}: SFT, {style} CoT",
                )
            )
        arms = (
            ("rl-long-cosine", "sft-long", False, "RL long, cosine + rep."),
            ("rl-short-cosine", "sft-short", False, "RL short, cosine + rep."),
            ("rl-long-classic", "sft-long", True, "RL long, classic 0/1"),
        )
        for arm, start, classic, label in arms:
            out = base / arm
            stages.append(
                Stage(
                    name + arm,
                    "rl",
                    out,
                    _rl(settings, seed, base / start / "final", out, classic),
                    after=(name + start,),
                    steps=settings.rl_steps,
                    label=f"seed {seed}: {label}",
                )
            )
    return stages


def settings_dict(settings: DemoSettings) -> dict:
    return asdict(settings)
