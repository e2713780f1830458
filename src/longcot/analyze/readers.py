"""Read a run folder as the commands wrote it (the contract: ``train/run_dir.py``'s docstring).

A folder is one of:

- a **training or curation run** (``sft``, ``rl``, ``sample``, ...): ``run.json`` names
  its ``kind``; ``metrics.jsonl``, ``summary.json``, ``eval/<tag>/`` and
  ``rollouts.jsonl`` are read when present;
- an **evaluation** (``longcot eval --output``): ``config.json`` and ``summary.json``
  (or ``<benchmark>.jsonl`` rows) without ``run.json``; it is one checkpoint;
- a **rejection-sampling** output without ``run.json``: ``summary.json`` with ``by_n``
  rows, or a ``candidates/`` folder.

Anything else is a :class:`NotARunError` naming the folder. Files are only read,
never repaired: a half-written last JSONL line (a run still writing, or killed
mid-write) is skipped with a note; a bad line before the end is an error naming
the file and line. Nothing here imports ``longcot.evaluate`` or ``longcot.train``
(DESIGN §1: analysis reads files, data flows one way).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longcot.jsonl import JsonlError

_STEP_TAG_RE = re.compile(r"^step_(\d+)$")
FINAL_TAG = "final"
"""The eval tag of a run's final model; ``step_000010`` tags carry their step."""


class RunFolderError(ValueError):
    """A run folder's file is unreadable; the message names the file."""


class NotARunError(RunFolderError):
    """The folder is not something a longcot command wrote."""


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; errors name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RunFolderError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from e
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def iter_rows(path: Path, notes: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Stream the objects of a JSONL file, tolerating only a torn last line.

    Writers append whole lines and flush (``metrics.jsonl``, ``rollouts.jsonl``,
    eval results), so the only damage a live or killed run leaves is a last line
    without its newline. That line is skipped and a note is added to ``notes``;
    any other bad line raises :class:`~longcot.jsonl.JsonlError` with ``path:line``.
    """
    pending: tuple[int, str] | None = None  # (line number, error) of a bad line not yet judged
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if pending is not None:  # a bad line followed by more: corrupt, not torn
                raise JsonlError(f"{path}:{pending[0]}: {pending[1]}")
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                if line.endswith("\n"):
                    raise JsonlError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
                pending = (lineno, f"not valid JSON ({e.msg})")
                continue
            if not isinstance(row, dict):
                raise JsonlError(f"{path}:{lineno}: expected a JSON object")
            yield row
    if pending is not None and notes is not None:
        notes.append(f"{path}:{pending[0]}: a half-written last line (run still writing?) skipped")


def step_of_tag(tag: str) -> int | None:
    """``step_000010`` -> 10; ``final`` and other names -> None."""
    m = _STEP_TAG_RE.match(tag)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Checkpoint:
    """One evaluation folder (``longcot eval``'s layout) and where it sits in its run.

    Attributes:
        tag (`str`): ``step_000010``, ``final``, or ``""`` for a bare ``longcot eval`` folder.
        step (`int | None`): the training step evaluated (``final`` is the run's last
            step); ``None`` when unknown (a bare evaluation, a run with no steps logged).
        path (`Path`): the folder.
        config (`dict`): ``config.json`` (``{}`` when absent).
        summary (`dict`): ``summary.json`` (``{}`` while the evaluation is still running).
        benchmarks (`tuple[str, ...]`): benchmark names, from the summary or the
            ``<benchmark>.jsonl`` files.
    """

    tag: str
    step: int | None
    path: Path
    config: dict[str, Any]
    summary: dict[str, Any]
    benchmarks: tuple[str, ...]

    def rows_path(self, benchmark: str) -> Path:
        # The file name rule of longcot.runs.store (module:attr benchmarks are not portable
        # names); repeated here so reading a folder never imports the writer's stack.
        return self.path / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', benchmark)}.jsonl"

    def benchmark_summary(self, benchmark: str) -> dict[str, Any]:
        """``summary.json``'s entry for ``benchmark`` (``{}`` when absent)."""
        entry = (self.summary.get("benchmarks") or {}).get(benchmark)
        return entry if isinstance(entry, dict) else {}


def read_checkpoint(path: Path, tag: str, step: int | None) -> Checkpoint:
    config = read_json(path / "config.json") if (path / "config.json").is_file() else {}
    summary = read_json(path / "summary.json") if (path / "summary.json").is_file() else {}
    names = list((summary.get("benchmarks") or {}).keys())
    if not names:
        names = sorted(p.stem for p in path.glob("*.jsonl"))
    return Checkpoint(tag, step, path, config, summary, tuple(names))


@dataclass
class Run:
    """Everything the report reads from one folder.

    Attributes:
        path: the folder.
        name: its label in legends and tables (the folder name; see :func:`load_runs`).
        kind: ``run.json``'s ``kind`` (``sft``, ``rl``, ``sample``, ...), or ``eval`` /
            ``sample`` for folders recognised by their files.
        info: ``run.json`` (``{}`` for a bare evaluation or sampling folder).
        recipe_path: ``recipe.yaml`` when present.
        metrics: ``metrics.jsonl`` rows in file order.
        summary: ``summary.json`` (``{}`` while the run is still going).
        checkpoints: evaluations, ordered by step (unknown steps last).
        rollouts: ``rollouts.jsonl`` when present.
        notes: what was skipped while reading, for the report.
    """

    path: Path
    name: str
    kind: str
    info: dict[str, Any] = field(default_factory=dict)
    recipe_path: Path | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    rollouts: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def last_step(self) -> int | None:
        """The run's last step: ``summary.json`` ``steps``, else the last metrics row's."""
        steps = self.summary.get("steps")
        if isinstance(steps, int) and not isinstance(steps, bool):
            return steps
        logged = [r["step"] for r in self.metrics if isinstance(r.get("step"), int)]
        return max(logged) if logged else None

    @property
    def final(self) -> Checkpoint | None:
        """The checkpoint the comparison table reports: ``final``, else the latest one."""
        for c in self.checkpoints:
            if c.tag == FINAL_TAG:
                return c
        return self.checkpoints[-1] if self.checkpoints else None

    def recipe(self) -> dict[str, Any]:
        """``recipe.yaml`` as sections (``{}`` when absent or unreadable, with a note)."""
        if self.recipe_path is None:
            return {}
        import yaml

        from longcot.yamlio import load_yaml

        try:
            data = load_yaml(self.recipe_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:  # a broken recipe costs only the SFT-token grouping
            self.notes.append(f"{self.recipe_path}: not readable ({e}); recipe ignored")
            return {}
        return data if isinstance(data, dict) else {}


def detect_kind(path: Path) -> str:
    """The kind of folder at ``path``, or :class:`NotARunError` naming it and what was looked for."""
    if not path.is_dir():
        raise NotARunError(f"{path}: no such folder")
    if (path / "run.json").is_file():
        kind = read_json(path / "run.json").get("kind")
        if not isinstance(kind, str) or not kind:
            raise RunFolderError(f"{path / 'run.json'}: no string field 'kind'")
        return kind
    if (path / "config.json").is_file() and (
        (path / "summary.json").is_file() or any(path.glob("*.jsonl"))
    ):
        return "eval"
    summary = path / "summary.json"
    if (path / "candidates").is_dir() or (summary.is_file() and "by_n" in read_json(summary)):
        return "sample"
    raise NotARunError(
        f"{path}: not a longcot run folder: no run.json (sft, rl, sample), no config.json with "
        "summary.json (eval) and no summary.json with 'by_n' (sample). Pass the folder a "
        "command's --output wrote."
    )


def _eval_checkpoints(run: Run) -> list[Checkpoint]:
    root = run.path / "eval"
    if not root.is_dir():
        return []
    out = []
    last = run.last_step
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        tag = sub.name
        step = step_of_tag(tag)
        if tag == FINAL_TAG:
            step = last
        elif step is None:
            run.notes.append(f"{sub}: tag is neither step_N nor final; left out of the curves")
        out.append(read_checkpoint(sub, tag, step))
    # A final evaluation at the same step as a step_N one evaluates the same weights:
    # keep one point per step on the curves (the final one, which the table reports).
    final_steps = {c.step for c in out if c.tag == FINAL_TAG and c.step is not None}
    out = [c for c in out if c.tag == FINAL_TAG or c.step not in final_steps]
    return sorted(out, key=lambda c: (c.step is None, c.step or 0, c.tag == FINAL_TAG))


def load_run(path: str | os.PathLike, name: str | None = None) -> Run:
    """Read one folder (see the module docstring); ``name`` defaults to the folder name."""
    path = Path(path)
    kind = detect_kind(path)
    run = Run(path=path, name=name or path.resolve().name, kind=kind)
    if kind == "eval":
        run.checkpoints = [read_checkpoint(path, "", None)]
        return run
    if (path / "run.json").is_file():
        run.info = read_json(path / "run.json")
    if (path / "recipe.yaml").is_file():
        run.recipe_path = path / "recipe.yaml"
    if (path / "summary.json").is_file():
        run.summary = read_json(path / "summary.json")
    if (path / "metrics.jsonl").is_file():
        rows = list(iter_rows(path / "metrics.jsonl", run.notes))
        run.metrics = [r for r in rows if isinstance(r.get("step"), int)]
        if len(run.metrics) < len(rows):
            run.notes.append(
                f"{path / 'metrics.jsonl'}: {len(rows) - len(run.metrics)} rows without an "
                "integer 'step' skipped"
            )
    if (path / "rollouts.jsonl").is_file():
        run.rollouts = path / "rollouts.jsonl"
    run.checkpoints = _eval_checkpoints(run)
    return run


def load_runs(paths: list[str | os.PathLike]) -> list[Run]:
    """Read several folders; labels are folder names, lengthened with parents where they clash.

    ``runs/a/final`` and ``runs/b/final`` become ``a/final`` and ``b/final``, so every
    legend entry names a different run.
    """
    resolved = [Path(p).resolve() for p in paths]
    if len(set(resolved)) < len(resolved):
        dup = next(str(p) for p in resolved if resolved.count(p) > 1)
        raise RunFolderError(f"{dup}: given twice; pass each run folder once")
    names = [p.name for p in resolved]
    for depth in range(2, max(len(p.parts) for p in resolved) + 1):
        clashing = {n for n in names if names.count(n) > 1}
        if not clashing:
            break
        names = [
            "/".join(p.parts[-depth:]) if n in clashing else n
            for p, n in zip(resolved, names, strict=True)
        ]
    return [load_run(p, n) for p, n in zip(paths, names, strict=True)]
