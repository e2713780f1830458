"""RL checkpoints: every state a resumed run needs to continue exactly, written atomically.

A checkpoint folder holds accelerate's ``save_state`` (the policy scorer and
critic weights, both optimisers, both schedulers, every process's RNG states;
sharded where FSDP / DeepSpeed shard) plus ``trainer_state.json`` (step,
prompts drawn, elapsed seconds). It is written into a temporary folder and
renamed into place by ``RunDir.commit_checkpoint``, so ``checkpoints/step_N``
is always complete and a NaN or a kill never damages the last good one.
The reference model is not saved: it is the starting policy, rebuilt from
``model.path`` on resume.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "trainer_state.json"


@dataclass
class TrainState:
    step: int = 0
    """RL steps done."""
    prompt_position: int = 0
    """Prompts drawn from the data order (all processes together)."""


def save_checkpoint(trainer: Any) -> Path:
    acc, run = trainer.accelerator, trainer.run
    step = trainer.state.step
    tmp = run.tmp_checkpoint_path(step)
    if acc.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    acc.wait_for_everyone()
    acc.save_state(str(tmp))
    final = run.checkpoint_path(step)
    if acc.is_main_process:
        state = {**asdict(trainer.state), "elapsed_s": run.elapsed()}
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        run.commit_checkpoint(tmp, step)
        run.prune(trainer.recipe.run.keep_last)
    acc.wait_for_everyone()
    return final


def load_checkpoint(trainer: Any, path: Path) -> None:
    state_file = Path(path) / STATE_FILE
    if not state_file.is_file():
        raise FileNotFoundError(f"{path} is not a longcot RL checkpoint (no {STATE_FILE})")
    trainer.accelerator.load_state(str(path))
    data = json.loads(state_file.read_text(encoding="utf-8"))
    trainer.state = TrainState(step=int(data["step"]), prompt_position=int(data["prompt_position"]))
