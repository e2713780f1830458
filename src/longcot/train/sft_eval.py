"""Evaluation during and after SFT, through the shared loop (``longcot eval``'s layout).

- :func:`check_evaluation` loads the benchmarks before training, so a missing data
  folder stops the run at once;
- :func:`evaluate_live` evaluates the policy being trained (``eval/step_N``) with the
  ``hf`` backend, which borrows the model without side effects (mode, threads and
  attention implementation are restored);
- :func:`evaluate_saved` evaluates ``final/`` with the recipe's backend (``eval/final``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .run_dir import RunDir, step_tag

log = logging.getLogger(__name__)

LIVE_BACKEND_OPTIONS = ("threads", "max_batch_rows", "max_batch_tokens", "shared_prefix")
"""``rollout.backend_options`` that apply to the ``hf`` backend on the live policy."""


def check_evaluation(recipe: Any, run_dir: RunDir) -> None:
    """Load the evaluation's benchmarks now, so a missing data folder or an unknown
    benchmark stops the run before training rather than after it."""
    ev = recipe.eval
    if not (ev.after_training or ev.before_training or ev.every):
        return
    from longcot.evaluate import EvalConfig, build_plan

    build_plan(
        EvalConfig.from_recipe(recipe, model=recipe.model.path, output=str(run_dir.path / "eval"))
    )


def _progress(recipe: Any):
    from longcot.runs import NullProgress, RichProgress

    return RichProgress() if recipe.run.progress else NullProgress()


def evaluate_live(recipe: Any, trainer: Any, output: Path, step: int):
    """Evaluate the live policy (``hf`` backend, borrowed without side effects) into ``output``."""
    from longcot.evaluate import EvalConfig, run_eval
    from longcot.generate.hf import HFBackend

    options = {k: v for k, v in recipe.rollout.backend_options.items() if k in LIVE_BACKEND_OPTIONS}
    model = trainer.accelerator.unwrap_model(trainer.model)
    label = f"{Path(recipe.run.output).name}@{step_tag(step)}"
    config = EvalConfig.from_recipe(recipe, model=label, output=str(output)).with_overrides(
        {"backend": "hf", "backend_options": options}
    )
    backend = HFBackend(model, trainer.processing_class, **options)
    result = run_eval(config, backend=backend, progress=_progress(recipe))
    log.info("eval %s: %s", step_tag(step), _accuracies(result))
    return result


def evaluate_saved(recipe: Any, model_dir: Path, output: Path):
    """Evaluate a saved model with the recipe's backend (``rollout.backend``) into ``output``."""
    from longcot.evaluate import EvalConfig, run_eval

    config = EvalConfig.from_recipe(recipe, model=str(model_dir), output=str(output))
    result = run_eval(config, progress=_progress(recipe))
    log.info("eval final: %s", _accuracies(result))
    return result


def _accuracies(result: Any) -> str:
    benchmarks = (result.summary or {}).get("benchmarks", {})
    return ", ".join(
        f"{name} " + ("-" if b.get("accuracy") is None else f"{b['accuracy']:.1%}")
        for name, b in benchmarks.items()
    )
