"""Run a peer driver script in a subprocess with the peers on its path; return its report.

The drivers (``openrlhf_driver.py``, ``verl_driver.py``) print one line
``REPORT <json>``; anything else they print is shown when the run fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .install import HERE, peer_env


def run_driver(script: str, target: Path, *args: str, timeout: float = 600, **env: str) -> dict:
    """``python tests/peers/<script> *args``; raises with its output unless it reported."""
    cmd = [sys.executable, str(HERE / script), *args]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=peer_env(target, **env),
        cwd=HERE.parents[1],
    )
    for line in proc.stdout.splitlines():
        if line.startswith("REPORT ") and proc.returncode == 0:
            return json.loads(line[len("REPORT ") :])
    raise AssertionError(
        f"{script} exited {proc.returncode} without a report\n"
        f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
    )
