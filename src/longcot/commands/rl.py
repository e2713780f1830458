"""``longcot rl``: RL from verifiable rewards, the paper's PPO (per-stream discounts) or
GRPO / Dr.GRPO / RLOO, on a CPU or under ``accelerate launch``.

  longcot rl --recipe recipes/rl_tiny_cpu.yaml --output runs/rl-tiny
  longcot rl --recipe recipes/rl_tiny_cpu.yaml --output runs/rl-tiny --resume
  accelerate launch --num_processes 8 -m longcot.cli rl --recipe recipes/rl_paper_ppo.yaml ...

Settings come from the recipe (sectioned YAML), then --output/--max-steps, then
--set SECTION.KEY=VALUE. It writes metrics.jsonl, rollouts.jsonl, eval/, checkpoints/,
final/ and summary.json under the output folder.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .options import add_set_option, command_parser

log = logging.getLogger(__name__)


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    p = command_parser(subparsers, name, help_text, __doc__)
    p.add_argument("--recipe", type=Path, required=True, help="sectioned YAML recipe")
    p.add_argument("--model", help="policy: named model, folder or hub id (overrides model.path)")
    p.add_argument("--output", type=Path, help="run folder (overrides run.output)")
    p.add_argument("--max-steps", type=int, help="RL steps (overrides run.max_steps)")
    add_set_option(p, "rollout.n=8, algorithm.estimator=grpo")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint")
    p.set_defaults(func=run)
    return p


def load(args: argparse.Namespace):
    from longcot.config import load_recipe

    overrides: dict[str, dict] = {"run": {}, "model": {}}
    if args.model is not None:
        overrides["model"]["path"] = args.model
    if args.output is not None:
        overrides["run"]["output"] = str(args.output)
    if args.max_steps is not None:
        overrides["run"]["max_steps"] = args.max_steps
    return load_recipe(args.recipe, args.sets, command="rl", overrides=overrides)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from longcot.config import RecipeError
    from longcot.train.rl import RLSetupError, RLTrainer, TrainingDiverged
    from longcot.train.rl.prompts import PromptDataError

    console = Console(stderr=True)
    # accelerate logs every file of every checkpoint at INFO; the run folder says it all.
    logging.getLogger("accelerate").setLevel(logging.WARNING)
    try:
        recipe = load(args)
        trainer = RLTrainer(recipe, resume=args.resume)
        summary = trainer.train()
    except (RecipeError, RLSetupError, PromptDataError, FileNotFoundError, ValueError) as e:
        log.debug("failed", exc_info=True)
        console.print(f"[red]error:[/red] {e}", highlight=False)
        return 2
    except TrainingDiverged as e:
        last = trainer.run.latest_checkpoint()
        console.print(
            f"[red]training stopped:[/red] {e}. The last good checkpoint is "
            f"{last or 'none (no step was saved)'}; lower optim.lr or check the rewards.",
            highlight=False,
        )
        return 3
    if trainer.accelerator.is_main_process:
        out = trainer.run.path
        final = summary.get("final", {})
        Console().print(
            f"rl: {summary.get('steps')} steps in {summary.get('seconds')} s; last step "
            f"reward {final.get('reward/mean', float('nan')):+.3f}, accuracy "
            f"{final.get('accuracy', float('nan')):.1%}, length {final.get('length/mean', 0):.0f}\n"
            f"metrics: {out / 'metrics.jsonl'}\nmodel: {out / 'final'}",
            soft_wrap=True,
        )
    return 0
