"""Run pipeline stages in dependency order, several at once, with one live progress view.

Each ``sft`` / ``rl`` stage runs as its own ``python -m longcot.cli`` process
with one torch thread (``OMP_NUM_THREADS=1``), so ``workers`` stages share the
machine's cores without OpenMP threads stalling each other; its output goes to
``<stage>.log`` beside the run folder. Progress is read from the run folders
themselves (the last ``step`` of ``metrics.jsonl``), so the view shows every
stage, whatever process runs it.

A stage that fails stops the pipeline: running stages are stopped, and the
error names the stage and shows the end of its log. Finished stages stay
finished, so the next run starts from where this one stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .stages import Stage, clear, state, write_recipe

POLL_S = 0.5


class StageFailed(RuntimeError):
    """A stage's command exited with an error; the message holds the end of its log."""


@dataclass
class _Running:
    stage: Stage
    proc: subprocess.Popen | None
    started: float


def last_step(stage: Stage) -> int:
    """The last step a run folder logged (0 before its first)."""
    path = stage.output / "metrics.jsonl"
    if not path.is_file():
        return 0
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = fh.read().splitlines()
    for line in reversed(lines):
        try:
            return int(json.loads(line).get("step", 0))
        except (ValueError, json.JSONDecodeError):
            continue
    return 0


def _start(stage: Stage, how: str) -> subprocess.Popen | None:
    if stage.command == "model":
        from longcot.tasks.demo_model import DemoModelSpec, build_demo_model

        clear(stage)
        build_demo_model(stage.output, DemoModelSpec(**stage.recipe))
        (stage.output / "demo_spec.json").write_text(json.dumps(stage.recipe))
        return None
    if how == "fresh":
        clear(stage)
    recipe = write_recipe(stage)
    cmd = [sys.executable, "-m", "longcot.cli", stage.command, "--recipe", str(recipe)]
    if how == "resume":
        cmd.append("--resume")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    log = stage.log_path().open("w", encoding="utf-8")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)


def _tail(stage: Stage, lines: int = 25) -> str:
    path = stage.log_path()
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def run_stages(
    stages: Sequence[Stage], *, workers: int, console=None, progress: bool = True
) -> dict:
    """Run every stage that is not done; returns ``{stage name: "reused" | seconds}``.

    Raises:
        StageFailed: a stage exited with an error (the others are stopped first).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console(stderr=True)
    names = {s.name for s in stages}
    for s in stages:
        missing = [a for a in s.after if a not in names]
        if missing:
            raise ValueError(f"stage {s.name} waits for unknown stages {missing}")
    plan = {s.name: state(s) for s in stages}
    done = {name for name, how in plan.items() if how == "done"}
    result: dict[str, float | str] = {name: "reused" for name in done}
    waiting = [s for s in stages if s.name not in done]
    running: list[_Running] = []
    bar = Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not progress,
    )
    tasks = {
        s.name: bar.add_task(
            s.label or s.name,
            total=s.steps,
            completed=s.steps if s.name in done else 0,
            status="reused" if s.name in done else "waiting",
        )
        for s in stages
    }
    with bar:
        try:
            while waiting or running:
                for r in list(running):
                    code = r.proc.poll() if r.proc is not None else 0
                    if code is None:
                        bar.update(tasks[r.stage.name], completed=last_step(r.stage))
                        continue
                    running.remove(r)
                    if code != 0:
                        bar.update(tasks[r.stage.name], status="[red]failed")
                        raise StageFailed(
                            f"stage {r.stage.name} ({r.stage.command}) failed with exit code "
                            f"{code}; its log is {r.stage.log_path()}:\n{_tail(r.stage)}"
                        )
                    seconds = time.monotonic() - r.started
                    done.add(r.stage.name)
                    result[r.stage.name] = round(seconds, 1)
                    bar.update(
                        tasks[r.stage.name], completed=r.stage.steps, status=f"done {seconds:.0f} s"
                    )
                for s in list(waiting):
                    if len(running) >= workers:
                        break
                    if all(a in done for a in s.after):
                        waiting.remove(s)
                        bar.update(tasks[s.name], status="running")
                        started = time.monotonic()
                        proc = _start(s, plan[s.name])
                        running.append(_Running(s, proc, started))
                if waiting and not running:
                    raise ValueError(
                        f"stages {[s.name for s in waiting]} wait for each other (a cycle)"
                    )
                time.sleep(POLL_S if running else 0)
        finally:
            for r in running:
                if r.proc is not None and r.proc.poll() is None:
                    r.proc.terminate()
                    try:
                        r.proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        r.proc.kill()
    return result
