"""Install OpenRLHF 0.11.2 and verl 0.9.1 for the adapter tests, without their GPU stack.

    .venv/bin/python tests/peers/install.py      # prints the folder; `make test` runs it

Everything in ``requirements.txt`` beside this file goes ``--no-deps`` into
``<venv>/longcot-peers/<hash of requirements.txt>/`` (``pip install
--target``), never into the venv itself: the peers pin versions the venv must
not take (antlr4 4.9.3 for verl's Hydra config, where Math-Verify's venv has
4.13.2), and OpenRLHF and verl both ship a top-level ``tests`` package, removed
here. The folder is reused while the requirements are unchanged, so only the
first run downloads (about 75 MB, mostly Ray's CPU wheel); a new requirements
file replaces the old folder. Tests run the peers
in subprocesses whose ``PYTHONPATH`` starts with this folder (:func:`peer_env`).

A failed install raises with pip's output: the peer tests must fail, not skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
ENV_DIR = "LONGCOT_PEERS_DIR"
"""Overrides the install folder (it must then already hold a complete install or be writable)."""


def target_dir() -> Path:
    """Where the peers live: ``$LONGCOT_PEERS_DIR`` or ``<venv>/longcot-peers/<hash>``."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return Path(sys.prefix) / "longcot-peers" / digest


def ensure(timeout: float = 1800.0) -> Path:
    """The install folder, installing it first if it is missing or incomplete."""
    target = target_dir()
    done = target / ".complete"
    if done.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time (make test, pytest)
        if done.exists():
            return target
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(partial),
            "-r",
            str(REQUIREMENTS),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(
                f"peer install timed out after {timeout:.0f} s: {' '.join(cmd)}"
            ) from e
        if proc.returncode != 0:
            raise RuntimeError(
                f"peer install failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        for shadow in ("tests", "scripts"):  # the peers' own test suites and scripts
            shutil.rmtree(partial / shadow, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        done.write_text(REQUIREMENTS.read_text())
        if not os.environ.get(ENV_DIR):
            for stale in target.parent.iterdir():  # installs of older requirements files
                if stale.is_dir() and stale != target:
                    shutil.rmtree(stale, ignore_errors=True)
    return target


def peer_env(target: Path, **extra: str) -> dict[str, str]:
    """Environment for a subprocess that imports the peers: their folder first on
    ``PYTHONPATH`` (so their antlr4 wins), then this checkout's ``src``."""
    env = dict(os.environ)
    src = HERE.parents[1] / "src"
    parts = [str(target), str(src), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.update(extra)
    return env


if __name__ == "__main__":
    print(ensure())
