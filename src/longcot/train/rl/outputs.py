"""What an RL run writes, on the main process: the run folder, rollouts, trackers,
evaluations, the final model, and the progress bar.

The layout is the run-folder contract of ``longcot.train.run_dir`` (the report
reads it): ``metrics.jsonl`` one row per step, ``rollouts.jsonl`` one row per
response, ``eval/step_N`` and ``eval/final`` in ``longcot eval``'s layout,
``checkpoints/``, ``final/`` and ``summary.json``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

ROLLOUTS_FILE = "rollouts.jsonl"


class RunOutputs:
    def __init__(self, trainer: Any, main: bool) -> None:
        self.trainer = trainer
        self.main = main
        self.run = trainer.run
        self.rollouts = _Rollouts(self.run.path / ROLLOUTS_FILE, main)
        self.trackers = _Trackers(trainer.recipe.run.report_to, self.run.path, main)

    def start(self, resume_step: int | None) -> None:
        acc = self.trainer.accelerator
        if self.main:
            self.run.write_recipe(self.trainer.recipe)
            self.run.start("rl", self.trainer.recipe.model.path, resume_step=resume_step)
            self.rollouts.truncate(resume_step or 0)
            self.trackers.open(self.trainer.recipe)
        acc.wait_for_everyone()

    def log(self, metrics: dict[str, Any]) -> None:
        if self.main:
            self.run.log(metrics)
            self.trackers.log(metrics)

    def evaluate(self, tag: int | str) -> dict | None:
        """Evaluate the live policy into ``eval/<tag>`` through the shared loop (main process)."""
        trainer = self.trainer
        acc = trainer.accelerator
        result = None
        if self.main:
            from longcot.evaluate import EvalConfig, run_eval
            from longcot.runs import RichProgress

            out = self.run.eval_dir(tag)
            label = f"{trainer.recipe.model.path}@{out.name}"
            config = EvalConfig.from_recipe(trainer.recipe, model=label, output=str(out))
            progress = RichProgress() if trainer.recipe.run.progress else None
            result = run_eval(config, backend=trainer.backend, progress=progress).summary
            accs = {name: b.get("accuracy") for name, b in result.get("benchmarks", {}).items()}
            log.info("eval %s: %s", out.name, accs)
        acc.wait_for_everyone()
        return result

    def evaluate_final(self) -> None:
        if self.trainer.recipe.eval.every:
            self.evaluate("final")

    def finish(self) -> dict[str, Any]:
        trainer = self.trainer
        acc = trainer.accelerator
        summary: dict[str, Any] = {}
        if self.main:
            policy = acc.unwrap_model(trainer.scorer).model
            policy.save_pretrained(self.run.final_dir)
            trainer.models.tokenizer.save_pretrained(self.run.final_dir)
            rows = self.run.metrics()
            summary = {
                "steps": trainer.state.step,
                "seconds": round(self.run.elapsed(), 1),
                "final": rows[-1] if rows else {},
            }
            self.run.finish(summary)
            self.trackers.close()
        acc.wait_for_everyone()
        return summary

    @contextlib.contextmanager
    def progress(self, total: int, done: int) -> Iterator[Any]:
        if not (self.main and self.trainer.recipe.run.progress):
            yield _NoBar()
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("rl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with bar:
            task = bar.add_task("rl", total=total, completed=done, stats="")
            yield _Bar(bar, task)


class _NoBar:
    def update(self, metrics: dict[str, Any]) -> None:
        pass


class _Bar:
    def __init__(self, bar, task) -> None:
        self.bar, self.task = bar, task

    def update(self, metrics: dict[str, Any]) -> None:
        stats = (
            f"reward {metrics.get('reward/mean', float('nan')):+.3f}  "
            f"acc {metrics.get('accuracy', float('nan')):.1%}  "
            f"len {metrics.get('length/mean', float('nan')):.0f}  "
            f"{metrics.get('time/step', 0):.1f} s/step"
        )
        self.bar.update(self.task, advance=1, stats=stats)


class _Rollouts:
    """``rollouts.jsonl``, appended and flushed per step; cut back on resume."""

    def __init__(self, path, main: bool) -> None:
        self.path, self.main = path, main

    def append(self, rows: list[dict[str, Any]]) -> None:
        if not self.main or not rows:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            fh.flush()

    def truncate(self, step: int) -> None:
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a kill
            if row.get("step", 0) <= step:
                kept.append(line + "\n")
        tmp = self.path.with_name(f".tmp-{self.path.name}")
        tmp.write_text("".join(kept), encoding="utf-8")
        tmp.replace(self.path)


class _Trackers:
    """TensorBoard and/or W&B, when ``run.report_to`` asks for them."""

    def __init__(self, names, path, main: bool) -> None:
        self.names, self.path, self.main = tuple(names), path, main
        self.tb = None
        self.wandb = None

    def open(self, recipe) -> None:
        if "tensorboard" in self.names:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:
                raise ImportError(
                    "run.report_to: tensorboard needs the tensorboard package: pip install tensorboard"
                ) from e
            self.tb = SummaryWriter(log_dir=str(self.path / "tensorboard"))
        if "wandb" in self.names:
            try:
                import wandb
            except ImportError as e:
                raise ImportError(
                    "run.report_to: wandb needs the wandb package: pip install wandb"
                ) from e
            self.wandb = wandb.init(
                project="longcot", name=self.path.name, config=recipe.to_dict(), dir=str(self.path)
            )

    def log(self, metrics: dict[str, Any]) -> None:
        step = metrics["step"]
        numbers = {
            k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and k != "step"
        }
        if self.tb is not None:
            for key, value in numbers.items():
                self.tb.add_scalar(key, value, step)
            self.tb.flush()
        if self.wandb is not None:
            self.wandb.log(numbers, step=step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
