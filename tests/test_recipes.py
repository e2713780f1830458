"""Every recipe in recipes/ opens with a launch command that parses, and loads.

The launch command on each recipe's first line is parsed by the real command
line, so a renamed option or a recipe key the loader no longer knows fails here
rather than for the user who copies it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from longcot import cli

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


def _launch(recipe: Path) -> list[str]:
    first = recipe.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# longcot "), f"{recipe.name} must open with '# longcot <command> ...'"
    return shlex.split(first[len("# longcot ") :])


def _load(recipe: Path, argv: list[str]):
    """Parse the launch command and load the recipe the way that command would."""
    args = cli.build_parser(argv).parse_args(argv)
    if args.command == "eval":
        from longcot.commands.eval import build_config

        return build_config(args)
    if args.command == "sft":
        from longcot.commands.sft import build_recipe

        return build_recipe(args)
    if args.command == "rl":
        from longcot.commands.rl import load
        from longcot.train.rl.checks import check_recipe

        recipe = load(args)
        check_recipe(recipe, world=1)  # every batch size divides, every key is known
        return recipe
    if args.command in ("sample", "construct", "silver"):
        import importlib

        from longcot.curate import check_ns

        module = importlib.import_module(f"longcot.commands.{args.command}")
        recipe = (
            module.build_recipe(args, "sample")
            if args.command == "sample"
            else module.build_recipe(args)
        )
        check_ns(recipe.curate.ns, recipe.rollout.n)  # every N of the study is sampled
        return recipe
    if args.command == "serve-reward":
        from longcot.rewards import RewardSpec

        return RewardSpec.from_yaml(ROOT / args.config)
    pytest.fail(f"{recipe.name}: teach tests/test_recipes.py to load '{args.command}' recipes")


def test_there_are_recipes():
    names = {r.name for r in RECIPES}
    assert {"eval_paper.yaml", "demo_cpu.yaml", "rl_paper_cosine_rep.yaml"} <= names
    assert {"rl_tiny_cpu.yaml", "rl_smollm2_cpu.yaml", "rl_length_rewards.yaml"} <= names


def test_paper_rl_recipe_has_the_paper_settings(monkeypatch):
    monkeypatch.chdir(ROOT)
    path = ROOT / "recipes/rl_paper_cosine_rep.yaml"
    r = _load(path, _launch(path))
    assert (r.reward.outcome.r0_correct, r.reward.outcome.rL_correct) == (2.0, 1.0)
    assert (r.reward.outcome.r0_wrong, r.reward.outcome.rL_wrong, r.reward.outcome.r_exceed) == (
        -10.0,
        0.0,
        -10.0,
    )
    assert (r.reward.ngram, r.reward.repetition_penalty) == (40, -0.05)
    assert (r.reward.gamma_correctness, r.reward.gamma_repetition) == (1.0, 0.99)
    assert (r.rollout.max_new_tokens, r.reward.max_length, r.rollout.temperature) == (
        14336,
        14336,
        1.0,
    )
    a, o = r.algorithm, r.optim
    assert (a.estimator, a.lam, a.kl_coef, a.kl_estimator, a.kl_in) == (
        "gae",
        1.0,
        0.01,
        "k1",
        "reward",
    )
    assert (a.clip_low, a.clip_high, a.value_clip, a.whiten_advantages) == (0.2, 0.2, 0.2, True)
    assert (o.lr, o.critic_lr, o.betas, o.warmup_ratio, o.min_lr_ratio, o.grad_clip) == (
        5e-7,
        9e-6,
        (0.9, 0.95),
        0.03,
        0.1,
        1.0,
    )


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipe_loads_with_its_launch_command(recipe, monkeypatch):
    monkeypatch.chdir(ROOT)  # launch commands are written for the repository root
    argv = _launch(recipe)
    assert any(ROOT / a == recipe for a in argv), f"{recipe.name}: its command must name the file"
    assert _load(recipe, argv) is not None


def test_paper_recipe_has_the_paper_settings(monkeypatch):
    from longcot.evaluate import PAPER_BENCHMARKS, EvalConfig

    monkeypatch.chdir(ROOT)
    config = _load(ROOT / "recipes/eval_paper.yaml", _launch(ROOT / "recipes/eval_paper.yaml"))
    assert config.benchmarks == PAPER_BENCHMARKS
    assert (config.temperature, config.top_p, config.max_new_tokens) == (0.7, 0.95, 16384)
    assert config.samples is None  # AIME 16, others 4
    # Every setting is spelled out, so the file documents the defaults it relies on.
    defaults = EvalConfig(model=config.model, output=config.output)
    assert config == defaults


def test_demo_recipe_equals_the_demo_command(monkeypatch):
    from longcot.commands.demo_real import demo_config
    from longcot.evaluate import EvalConfig

    monkeypatch.chdir(ROOT)
    assert EvalConfig.from_yaml(ROOT / "recipes/demo_cpu.yaml") == demo_config()


def test_sft_paper_recipe_has_the_paper_settings(monkeypatch):
    from longcot.train import accumulation_steps

    monkeypatch.chdir(ROOT)
    recipe = _load(ROOT / "recipes/sft_paper.yaml", _launch(ROOT / "recipes/sft_paper.yaml"))
    assert (recipe.optim.lr, recipe.optim.epochs, recipe.optim.batch_size) == (5e-6, 2, 256)
    assert recipe.data.max_length == 16384 and recipe.data.overlong == "drop"
    # 8 GPUs, one example each, 32 micro-batches accumulated.
    assert accumulation_steps(recipe.optim.batch_size, recipe.optim.micro_batch_size, 8) == 32


def test_curation_recipes_exist_and_feed_sft(monkeypatch):
    """Each curation command has a recipe, and the paper's SFT reads what sampling writes."""
    monkeypatch.chdir(ROOT)
    for command in ("sample", "construct", "silver"):
        assert any(_launch(r)[0] == command for r in RECIPES), f"no recipe for {command}"
    sample = ROOT / "recipes/sample_paper_long.yaml"
    recipe = _load(sample, _launch(sample))
    sft = _load(ROOT / "recipes/sft_paper.yaml", _launch(ROOT / "recipes/sft_paper.yaml"))
    assert sft.data.source == f"{recipe.run.output}/sft_n32.jsonl" and 32 in recipe.curate.ns
    assert (recipe.rollout.temperature, recipe.rollout.top_p, recipe.rollout.n) == (1.0, 0.95, 256)
