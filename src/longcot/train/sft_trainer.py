"""TRL's ``SFTTrainer`` plus what ``longcot sft`` adds to it: token counts and the run folder.

- :class:`CountingSFTTrainer` counts the response tokens trained on (tokens
  with a loss: the paper's "SFT tokens" x-axis) and the examples seen, summed
  over processes, and adds them to every training log row. The loss itself is
  TRL's: the token sum over the whole optimiser step divided by the step's
  token count (``num_items_in_batch``, gathered over micro-batches and
  processes), so one batch of 8 and 8 micro-batches of 1 give the same
  gradient (TRL issue 5619; a test checks it).
- :class:`RunFolderCallback` writes ``metrics.jsonl`` rows, commits each
  checkpoint the trainer saves into ``checkpoints/step_N`` with one rename
  (the trainer writes into a temporary folder first) with the counters beside
  it, keeps the last ``run.keep_last``, and runs the periodic evaluation on
  the live policy (``hf`` backend, which borrows the model without side effects).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback
from trl import SFTTrainer

from .run_dir import RunDir

log = logging.getLogger(__name__)

COUNTERS_FILE = "longcot_counters.json"
"""In each checkpoint: ``train_tokens``, ``examples_seen`` and the data fingerprint."""

METRIC_KEYS = ("loss", "lr", "grad_norm", "epoch", "train_tokens", "examples_seen")
"""SFT ``metrics.jsonl`` keys after ``step`` and ``elapsed_s`` (the report's contract)."""


class CountingSFTTrainer(SFTTrainer):
    """``SFTTrainer`` that counts trained tokens and examples across processes.

    Args:
        counters: ``(train_tokens, examples_seen)`` already trained on (a resumed run).
        Everything else goes to ``SFTTrainer``.
    """

    def __init__(self, *args: Any, counters: tuple[int, int] = (0, 0), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.train_tokens, self.examples_seen = counters
        self._pending = [0, 0]  # this process's counts since the last sync

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if model.training:
            labels = inputs["labels"]
            # Causal LM: position t predicts labels[t + 1]; count what the loss counts.
            self._pending[0] += int((labels[..., 1:] != -100).sum())
            if "attention_mask" not in inputs and "position_ids" in inputs:
                # Padding-free (packed) rows: each example restarts its positions at 0.
                self._pending[1] += int((inputs["position_ids"] == 0).sum())
            else:
                self._pending[1] += int(labels.shape[0])
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def sync_counters(self) -> tuple[int, int]:
        """Add every process's counts since the last call; a collective: call on all ranks."""
        pending = torch.tensor(self._pending, dtype=torch.long, device=self.accelerator.device)
        total = self.accelerator.reduce(pending, reduction="sum")
        self.train_tokens += int(total[0])
        self.examples_seen += int(total[1])
        self._pending = [0, 0]
        return self.train_tokens, self.examples_seen

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        # Every rank logs a training step at the same time (Trainer's flow), so the
        # collective in sync_counters is safe here; the end-of-training summary log
        # has no "loss" and syncs nothing.
        if "loss" in logs:
            logs["train_tokens"], logs["examples_seen"] = self.sync_counters()
        super().log(logs, start_time)


def read_counters(checkpoint: str | Path) -> dict[str, Any]:
    """The counters stored in a checkpoint (``{}`` for a checkpoint without them)."""
    path = Path(checkpoint) / COUNTERS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class NothingToTrain(Exception):
    """Raised at the start of a resumed run whose checkpoint is already at ``max_steps``.

    The transformers Trainer (5.23) runs one more step when it resumes at exactly
    ``max_steps`` in the middle of an epoch (it checks the stop condition only after a
    step); the checkpoint is loaded by then, so the caller just goes on to save it.
    """


class RunFolderCallback(TrainerCallback):
    """Metrics rows, atomic checkpoints and periodic evaluation (see the module docstring).

    Args:
        run_dir: the run folder.
        keep_last: committed checkpoints kept.
        fingerprint: identifies the tokenized training data; stored with each
            checkpoint so a resume on changed data is refused.
        evaluate: ``evaluate(step)`` runs an evaluation of the live policy into
            ``eval/step_N`` on the main process; ``None``: no periodic evaluation.
        eval_every: evaluate every ``eval_every`` optimiser steps (0: never here).
        skip_last: no periodic evaluation at the last step (the final one, ``eval/final``,
            evaluates the same weights).
    """

    def __init__(
        self,
        run_dir: RunDir,
        *,
        keep_last: int,
        fingerprint: str,
        evaluate=None,
        eval_every: int = 0,
        skip_last: bool = True,
    ) -> None:
        self.run_dir = run_dir
        self.keep_last = keep_last
        self.fingerprint = fingerprint
        self.evaluate = evaluate
        self.eval_every = eval_every
        self.skip_last = skip_last
        self.trainer: CountingSFTTrainer | None = None
        self.last_row: dict[str, Any] | None = None

    def bind(self, trainer: CountingSFTTrainer) -> RunFolderCallback:
        self.trainer = trainer
        return self

    def on_train_begin(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            raise NothingToTrain(f"step {state.global_step} of {state.max_steps}: nothing left")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs or not state.is_world_process_zero:
            return
        row = {
            "step": int(state.global_step),
            "loss": logs.get("loss"),
            "lr": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "epoch": logs.get("epoch"),
            "train_tokens": logs.get("train_tokens"),
            "examples_seen": logs.get("examples_seen"),
        }
        self.last_row = self.run_dir.log(row)

    def on_save(self, args, state, control, **kwargs):
        trainer = self.trainer
        tokens, examples = trainer.sync_counters()
        # Every rank has written its own RNG state into the folder before the rename.
        trainer.accelerator.wait_for_everyone()
        if state.is_world_process_zero:
            tmp = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            counters = {
                "step": int(state.global_step),
                "train_tokens": tokens,
                "examples_seen": examples,
                "data_fingerprint": self.fingerprint,
            }
            (tmp / COUNTERS_FILE).write_text(json.dumps(counters, indent=2) + "\n")
            final = self.run_dir.commit_checkpoint(tmp, state.global_step)
            self.run_dir.prune(self.keep_last)
            log.info("checkpoint: %s", final)
        trainer.accelerator.wait_for_everyone()

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step >= state.max_steps:
            control.should_log = True  # the last step always has a row (summary's final_loss)
        if not self.evaluate or not self.eval_every or step % self.eval_every:
            return
        if self.skip_last and step >= state.max_steps:
            return
        self.trainer.accelerator.wait_for_everyone()
        if state.is_world_process_zero:
            self.evaluate(step)
        self.trainer.accelerator.wait_for_everyone()
