"""A training run's folder: the files every trainer writes, in one place.

The layout is the contract the report reads (``longcot sft`` and ``longcot rl``
write it the same way)::

    <run>/recipe.yaml          the resolved recipe (Recipe.to_dict())
    <run>/run.json             kind, name, model, longcot_version, started, finished
    <run>/metrics.jsonl        one row per logged step: step (int), elapsed_s, ...
    <run>/eval/<tag>/          `longcot eval`'s layout; tag step_000010 or final
    <run>/checkpoints/step_000010/   resumable checkpoints, written atomically
    <run>/final/               the final model + tokenizer (save_pretrained)
    <run>/summary.json         totals at the end

Checkpoints are written into a temporary folder and renamed into place
(:meth:`RunDir.commit_checkpoint`), so a ``step_*`` folder is always complete:
a run killed while saving leaves a stale temporary folder, never a half
checkpoint that ``--resume`` would load.

``RunDir`` is not aware of processes: under ``accelerate launch`` only the main
process calls its writing methods.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STEP_DIGITS = 6
"""Step folders and eval tags are zero-padded to this many digits (``step_000010``)."""

_STEP_RE = re.compile(r"^step_(\d+)$")
_TMP_PREFIX = ".tmp-"


def step_tag(step: int) -> str:
    """``10`` -> ``"step_000010"`` (checkpoint folders and eval tags)."""
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")
    return f"step_{step:0{STEP_DIGITS}d}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _json_value(value: Any) -> Any:
    """Plain JSON for a metrics value: tensors/numpy scalars to numbers, NaN/inf to null."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class RunDir:
    """The files of one run folder (see the module docstring for the layout).

    Args:
        path: the run folder; created by :meth:`start` or :meth:`write_recipe`.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._clock0 = time.monotonic()
        self._elapsed0 = 0.0

    # ---- paths -------------------------------------------------------------------
    @property
    def recipe_path(self) -> Path:
        return self.path / "recipe.yaml"

    @property
    def run_json_path(self) -> Path:
        return self.path / "run.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def final_dir(self) -> Path:
        return self.path / "final"

    def eval_dir(self, tag: str | int) -> Path:
        """``eval/<tag>``: ``tag`` is ``final`` or a step number (``eval/step_000010``)."""
        return self.path / "eval" / (step_tag(tag) if isinstance(tag, int) else tag)

    def exists(self) -> bool:
        """Whether a run was started here (``run.json`` exists)."""
        return self.run_json_path.is_file()

    # ---- recipe, run.json, summary -----------------------------------------------
    def write_recipe(self, recipe: Any) -> Path:
        """Write the resolved recipe (a ``Recipe`` or its ``to_dict()``) as ``recipe.yaml``."""
        import yaml

        data = recipe.to_dict() if hasattr(recipe, "to_dict") else dict(recipe)
        header = f"# resolved recipe of {self.path.name} (written by longcot)\n"
        _write_atomic(self.recipe_path, header + yaml.safe_dump(data, sort_keys=False))
        return self.recipe_path

    def read_recipe(self) -> dict[str, Any]:
        """The stored ``recipe.yaml`` as sections (``{}`` when there is none)."""
        from longcot.yamlio import load_yaml

        if not self.recipe_path.is_file():
            return {}
        return load_yaml(self.recipe_path.read_text(encoding="utf-8")) or {}

    def read_run(self) -> dict[str, Any]:
        """``run.json`` as a dict (``{}`` when the run was never started)."""
        if not self.run_json_path.is_file():
            return {}
        return json.loads(self.run_json_path.read_text(encoding="utf-8"))

    def start(self, kind: str, model: str | None, *, resume_step: int | None = None) -> None:
        """Write ``run.json`` (``finished`` null) and open ``metrics.jsonl``.

        Args:
            kind: ``sft``, ``rl``, ``sample``, ...
            model: the starting model (``model.path``).
            resume_step: when resuming from the checkpoint of this step: the original
                ``started`` time is kept, metrics rows after ``resume_step`` (logged
                after that checkpoint by the run that stopped) are dropped so the
                resumed run does not log them twice, and ``elapsed_s`` continues
                from the last kept row.
        """
        from longcot import __version__

        self.path.mkdir(parents=True, exist_ok=True)
        previous = self.read_run() if resume_step is not None else {}
        self._write_run(
            {
                "kind": kind,
                "name": self.path.name,
                "model": model,
                "longcot_version": __version__,
                "started": previous.get("started") or _now(),
                "finished": None,
            }
        )
        self._clock0 = time.monotonic()
        self._elapsed0 = 0.0
        if resume_step is not None:
            kept = self.truncate_metrics(resume_step)
            if kept:
                self._elapsed0 = float(kept[-1].get("elapsed_s") or 0.0)
        elif self.metrics_path.exists():
            self.metrics_path.unlink()
        self._remove_stale_temporaries()

    def _write_run(self, data: Mapping[str, Any]) -> None:
        _write_atomic(self.run_json_path, json.dumps(dict(data), indent=2) + "\n")

    def elapsed(self) -> float:
        """Seconds of training so far, summed over the stopped and resumed parts."""
        return self._elapsed0 + (time.monotonic() - self._clock0)

    def log(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Append one metrics row and flush it; ``elapsed_s`` is filled in when absent.

        Raises:
            ValueError: the row has no integer ``step``.
        """
        step = row.get("step")
        if isinstance(step, bool) or not isinstance(step, int):
            raise ValueError(f"a metrics row needs an integer 'step', got {step!r}")
        out = {"step": step, "elapsed_s": round(self.elapsed(), 3)}
        out.update({k: _json_value(v) for k, v in row.items() if k != "step"})
        self.path.mkdir(parents=True, exist_ok=True)
        with self.metrics_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(out) + "\n")
            fh.flush()
        return out

    def metrics(self) -> list[dict[str, Any]]:
        """Every row of ``metrics.jsonl`` (a torn last line, from a kill mid-write, is skipped)."""
        if not self.metrics_path.is_file():
            return []
        rows = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows

    def truncate_metrics(self, after_step: int) -> list[dict[str, Any]]:
        """Keep only the rows with ``step <= after_step``; returns the rows kept."""
        kept = [
            r for r in self.metrics() if isinstance(r.get("step"), int) and r["step"] <= after_step
        ]
        _write_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept))
        return kept

    def finish(self, summary: Mapping[str, Any]) -> Path:
        """Write ``summary.json`` and set ``finished`` in ``run.json``."""
        _write_atomic(
            self.summary_path,
            json.dumps({k: _json_value(v) for k, v in summary.items()}, indent=2) + "\n",
        )
        run = self.read_run()
        run["finished"] = _now()
        self._write_run(run)
        return self.summary_path

    # ---- checkpoints ---------------------------------------------------------------
    def checkpoint_path(self, step: int) -> Path:
        """Where the checkpoint of ``step`` lives once committed."""
        return self.checkpoints_dir / step_tag(step)

    def tmp_checkpoint_path(self, step: int) -> Path:
        """A temporary folder to write the checkpoint of ``step`` into before committing it."""
        return self.checkpoints_dir / f"{_TMP_PREFIX}{step_tag(step)}"

    def commit_checkpoint(self, tmp: str | os.PathLike, step: int) -> Path:
        """Move the finished folder ``tmp`` to :meth:`checkpoint_path` in one rename.

        ``tmp`` must be on the same file system (a folder under ``checkpoints/``).
        An existing checkpoint of the same step (a resumed run saving that step
        again) is replaced: the old one is moved aside first, so there is no
        moment without a complete copy.
        """
        tmp = Path(tmp)
        if not tmp.is_dir():
            raise FileNotFoundError(f"checkpoint folder {tmp} does not exist")
        final = self.checkpoint_path(step)
        final.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if final.exists():
            old = final.with_name(f"{_TMP_PREFIX}old-{final.name}")
            if old.exists():
                shutil.rmtree(old)
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def checkpoints(self) -> list[tuple[int, Path]]:
        """Committed checkpoints as ``(step, path)``, oldest first."""
        if not self.checkpoints_dir.is_dir():
            return []
        found = []
        for child in self.checkpoints_dir.iterdir():
            match = _STEP_RE.match(child.name)
            if match and child.is_dir():
                found.append((int(match.group(1)), child))
        return sorted(found)

    def latest_checkpoint(self) -> Path | None:
        """The newest committed checkpoint, or ``None``."""
        found = self.checkpoints()
        return found[-1][1] if found else None

    def prune(self, keep_last: int) -> list[Path]:
        """Delete all but the newest ``keep_last`` checkpoints; returns the deleted paths."""
        if keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last}")
        doomed = [path for _, path in self.checkpoints()[:-keep_last]]
        for path in doomed:
            shutil.rmtree(path)
        return doomed

    def _remove_stale_temporaries(self) -> None:
        """Temporary checkpoint folders left by a run killed while saving."""
        if not self.checkpoints_dir.is_dir():
            return
        for child in self.checkpoints_dir.iterdir():
            if not child.name.startswith(_TMP_PREFIX):
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink()
