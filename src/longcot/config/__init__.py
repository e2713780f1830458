"""Recipes: one sectioned-YAML format and one loader for every command (DESIGN §2).

>>> from longcot.config import load_recipe
>>> recipe = load_recipe("recipes/rl_tiny_cpu.yaml", ["rollout.n=4"], command="rl")  # doctest: +SKIP
>>> recipe.rollout.n  # doctest: +SKIP
4
"""

from .checks import SettingError
from .curate_section import CurateSection
from .loader import (
    COMMAND_SECTIONS,
    SECTIONS,
    Recipe,
    RecipeError,
    load_recipe,
    load_reward,
    parse_set,
    read_recipe_file,
)
from .sections import (
    AlgorithmSection,
    DataSection,
    EvalSection,
    LoraSection,
    ModelSection,
    OptimSection,
    RolloutSection,
    RunSection,
)

__all__ = [
    "COMMAND_SECTIONS",
    "SECTIONS",
    "AlgorithmSection",
    "CurateSection",
    "DataSection",
    "EvalSection",
    "LoraSection",
    "ModelSection",
    "OptimSection",
    "Recipe",
    "RecipeError",
    "RolloutSection",
    "RunSection",
    "SettingError",
    "load_recipe",
    "load_reward",
    "parse_set",
    "read_recipe_file",
]
