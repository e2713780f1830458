"""Training: ``longcot sft`` on TRL's SFTTrainer, and the run folder every trainer writes.

>>> from longcot.config import load_recipe
>>> from longcot.train import run_sft
>>> result = run_sft(load_recipe("recipes/sft_tiny_cpu.yaml", command="sft"))  # doctest: +SKIP
>>> result.summary["train_tokens"]  # doctest: +SKIP

Importing this package does not import torch; ``run_sft`` does.
"""

from .run_dir import RunDir, step_tag
from .sft import SFTResult, SFTSetupError, accumulation_steps, run_sft
from .sft_data import SFTDataError, SFTExample

__all__ = [
    "RunDir",
    "SFTDataError",
    "SFTExample",
    "SFTResult",
    "SFTSetupError",
    "accumulation_steps",
    "run_sft",
    "step_tag",
]
