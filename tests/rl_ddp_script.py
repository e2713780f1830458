"""Run one RL recipe and save this process's policy weights (for test_rl_distributed.py).

accelerate launch --multi_gpu --num_processes 2 tests/rl_ddp_script.py RECIPE OUT
"""

import sys
from pathlib import Path

from safetensors.torch import save_file

from longcot.config import load_recipe
from longcot.train.rl import RLTrainer

recipe_path, out = sys.argv[1], Path(sys.argv[2])
trainer = RLTrainer(load_recipe(recipe_path, [f"run.output={out}/run"], command="rl"))
trainer.train()
policy = trainer.accelerator.unwrap_model(trainer.scorer).model
weights = {k: v.detach().contiguous().clone() for k, v in policy.state_dict().items()}
weights.pop("lm_head.weight", None)  # tied to the embeddings
save_file(weights, str(out / f"rank{trainer.rank}.safetensors"))
