"""longcot's RL trainer: PPO with per-stream discounts (the paper) and GRPO / Dr.GRPO / RLOO.

>>> from longcot.config import load_recipe
>>> from longcot.train.rl import RLTrainer
>>> RLTrainer(load_recipe("recipes/rl_tiny_cpu.yaml", command="rl")).train()  # doctest: +SKIP
"""

from .checks import RLSetupError
from .estimators import ESTIMATORS, AdvantageInput, get_estimator, register
from .trainer import RLTrainer
from .update import TrainingDiverged

__all__ = [
    "ESTIMATORS",
    "AdvantageInput",
    "RLSetupError",
    "RLTrainer",
    "TrainingDiverged",
    "get_estimator",
    "register",
]
