"""A pipeline stage: one ``longcot`` command on one recipe, into one run folder.

A stage is *done* when its run folder says it finished (``run.json``
``finished``) with the recipe the pipeline would give it now; then a rerun
reuses it. A folder that finished with another recipe is stale and is
started over; one that stopped part-way with the same recipe is resumed
(``--resume``: both ``sft`` and ``rl`` continue from their last checkpoint).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

State = str
"""``done`` | ``resume`` | ``fresh``."""


@dataclass(frozen=True)
class Stage:
    name: str
    """Unique in the pipeline, e.g. ``seed0/sft-long``."""
    command: str
    """``sft`` | ``rl`` (a ``longcot`` command), or ``model`` (built in-process)."""
    output: Path
    """The run folder."""
    recipe: dict[str, Any] = field(default_factory=dict)
    """The sectioned recipe (``run.output`` is set to ``output``)."""
    after: tuple[str, ...] = ()
    """Stages that must be done first."""
    steps: int = 1
    """Steps to count for the progress bar (``run.max_steps``)."""
    label: str = ""

    def recipe_path(self) -> Path:
        return self.output.parent / f"{self.output.name}.recipe.yaml"

    def log_path(self) -> Path:
        return self.output.parent / f"{self.output.name}.log"


def _resolved(stage: Stage) -> dict[str, Any]:
    """The recipe as the command will store it (defaults filled), for comparison."""
    from longcot.config import load_recipe

    write_recipe(stage)
    return load_recipe(stage.recipe_path(), command=stage.command).to_dict()


def write_recipe(stage: Stage) -> Path:
    import yaml

    path = stage.recipe_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# {stage.label or stage.name}: written by longcot demo (edit the demo, not this file)\n"
    )
    path.write_text(header + yaml.safe_dump(stage.recipe, sort_keys=False), encoding="utf-8")
    return path


def state(stage: Stage) -> State:
    """What running ``stage`` now needs to do."""
    if stage.command == "model":
        spec = stage.output / "demo_spec.json"
        if spec.is_file() and json.loads(spec.read_text()) == stage.recipe:
            return "done"
        return "fresh"
    run_json = stage.output / "run.json"
    if not run_json.is_file():
        return "fresh"
    from longcot.yamlio import load_yaml

    stored_path = stage.output / "recipe.yaml"
    stored = load_yaml(stored_path.read_text(encoding="utf-8")) if stored_path.is_file() else None
    if stored != _resolved(stage):
        return "fresh"
    finished = json.loads(run_json.read_text(encoding="utf-8")).get("finished")
    return "done" if finished else "resume"


def clear(stage: Stage) -> None:
    """Remove a stale run folder (another recipe) before starting the stage over."""
    if stage.output.exists():
        shutil.rmtree(stage.output)
