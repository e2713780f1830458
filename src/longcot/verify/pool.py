"""Grader worker processes with hard per-item timeouts.

Why processes: Math-Verify's ``signal.alarm`` timeouts only work in the main
thread and cannot interrupt C-level arithmetic such as ``9^{9^{9^{9}}}``;
TRL, verl and others have hung or silently scored 0 because of it (verl PR
#5839 ended on a process pool too). Here the parent waits on a pipe with a
deadline; a worker that misses it is SIGKILLed and replaced, and the item is
reported as ``timeout``. Waiting on a pipe releases the GIL, so any number of
threads (or an asyncio loop through ``to_thread``) can share one pool.

A worker takes ~1 s to start (importing sympy), so the pool keeps one spare
ready: a killed worker is replaced at once, and a new spare starts in the
background. POSIX only (Linux, macOS).
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

from .verdict import Verdict
from .worker import Reply, Request

log = logging.getLogger(__name__)
STARTUP_TIMEOUT = 120.0  # seconds; a cold import of sympy on a loaded machine
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding longcot/


def default_workers() -> int:
    """This process's share of the cores: the cores it may use (CPU affinity, e.g.
    under Slurm or taskset) divided by the processes on this machine.

    ``accelerate launch`` / ``torchrun`` start one process per device and set
    ``LOCAL_WORLD_SIZE``; each rank grades its own rollouts, so without the
    division 8 ranks on a 64-core node would start 8 x 64 graders. At least 1.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    return max(1, cores // local_processes())


def local_processes() -> int:
    """Processes sharing this machine in a distributed launch (1 when not launched)."""
    for name in ("LOCAL_WORLD_SIZE", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


class WorkerStartError(RuntimeError):
    """A grader process could not start (its stderr is in the message)."""


class _Worker:
    """One grader process and the parent's ends of its two pipes."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        env = dict(os.environ)
        # Works from a source checkout too (PYTHONPATH=src), not only when installed.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "longcot.verify.worker", str(to_child_r), str(to_parent_w)],
                pass_fds=(to_child_r, to_parent_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
        finally:
            os.close(to_child_r)
            os.close(to_parent_w)
        self.tx = Connection(to_child_w, readable=False)
        self.rx = Connection(to_parent_r, writable=False)

    def wait_ready(self) -> None:
        if self.rx.poll(STARTUP_TIMEOUT):
            try:
                if self.rx.recv()[0] == "ready":
                    return
            except (EOFError, OSError):
                pass
        self.kill()
        err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""
        raise WorkerStartError(
            f"grader worker failed to start (exit {self.proc.returncode}): {err}"
        )

    def submit(self, batch: list[Request]) -> bool:
        try:
            self.tx.send(batch)
            return True
        except OSError:  # BrokenPipeError: the worker is gone
            return False

    def reply(self, timeout: float) -> Reply | None:
        """The next reply, or None if it missed the deadline or the worker died."""
        try:
            if not self.rx.poll(timeout):
                return None
            return self.rx.recv()
        except (EOFError, OSError):
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("grader pid %d did not exit after SIGKILL", self.proc.pid)
        for conn in (self.tx, self.rx):
            conn.close()
        if self.proc.stderr:
            self.proc.stderr.close()

    def describe_failure(self) -> str:
        code = self.proc.poll()
        return "time limit reached" if code is None else f"worker died (exit code {code})"


def _to_verdict(reply: Reply) -> Verdict:
    status, extracted, reason = reply
    if status == "error":
        # The grader raised: it could not tell, which is not "wrong". The status
        # is the "could not tell" one, ``timeout``; the reason ("grader error:
        # ...") keeps it apart from a real time-out ("time limit reached ...").
        return Verdict("timeout", extracted, reason)
    return Verdict(status, extracted, reason)


class GraderPool:
    """A fixed number of grader processes shared by any number of threads.

    Args:
        workers: number of processes grading at once; defaults to the usable
            CPU cores. One extra spare is kept ready to replace a killed one.

    Use as a context manager, or call :meth:`close`. ``longcot.verify.grade``
    and ``grade_many`` use one shared pool created on first use.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.size = default_workers() if workers is None else workers
        if self.size < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spares: queue.Queue[_Worker] = queue.Queue()
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._start_error: Exception | None = None
        self.replaced = 0  # workers killed and replaced, for metrics
        for _ in range(self.size):
            self._start_async(self._idle)
        self._start_async(self._spares)

    def grow(self, workers: int) -> None:
        """Raise the number of workers to ``workers`` (never shrinks); safe while in use."""
        with self._lock:
            extra = workers - self.size
            if extra <= 0:
                return
            self.size = workers
        for _ in range(extra):
            self._start_async(self._idle)

    def _start_async(self, target: queue.Queue) -> None:
        threading.Thread(target=self._start, args=(target,), daemon=True).start()

    def _start(self, target: queue.Queue) -> None:
        try:
            worker = _Worker()
            worker.wait_ready()
        except Exception as e:
            self._start_error = e
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._live.add(worker)
        target.put(worker)

    def _acquire(self) -> _Worker:
        while True:
            if self._start_error is not None:
                raise self._start_error
            if self._closed:
                raise RuntimeError("GraderPool is closed")
            try:
                worker = self._idle.get(timeout=0.5)
            except queue.Empty:
                continue
            if worker.proc.poll() is None:
                return worker
            # Died while idle (OOM killer, a stray signal): replace it and let
            # the item go to a healthy worker instead of failing it.
            log.warning("grader pid %d died while idle; replacing", worker.proc.pid)
            self._replace(worker)

    def pids(self) -> list[int]:
        """Process ids of the live workers (spare included), for diagnostics."""
        with self._lock:
            return [w.proc.pid for w in self._live]

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
            self.replaced += 1
        worker.kill()
        try:
            self._idle.put(self._spares.get_nowait())
        except queue.Empty:  # spare not ready yet: start a worker directly
            self._start_async(self._idle)
            return
        self._start_async(self._spares)

    def _run_batch(self, batch: list[Request], timeout: float) -> list[Verdict]:
        """Grade a batch on one worker; each item gets ``timeout`` seconds from its start.

        Items after a timed-out one go to the replacement worker: one
        pathological item costs its own time limit, never its neighbours'.
        """
        verdicts: list[Verdict] = []
        while len(verdicts) < len(batch):
            worker = self._acquire()
            pending = batch[len(verdicts) :]
            if not worker.submit(pending):
                self._replace(worker)
                continue
            for _ in pending:
                started = time.monotonic()
                reply = worker.reply(timeout)
                if reply is None:
                    elapsed = time.monotonic() - started
                    reason = (
                        f"{worker.describe_failure()} after {elapsed:.1f}s (limit {timeout:g}s)"
                    )
                    log.debug("grader %s; replaced", reason)
                    self._replace(worker)
                    verdicts.append(Verdict("timeout", None, reason))
                    break
                verdicts.append(_to_verdict(reply))
            else:
                self._idle.put(worker)
        return verdicts

    def run(self, request: Request, timeout: float) -> Verdict:
        """Grade one request within ``timeout`` seconds of a worker taking it."""
        return self._run_batch([request], timeout)[0]

    def map(self, requests: Iterable[Request], timeout: float) -> list[Verdict]:
        """Grade many requests in order, in batches spread over the workers."""
        requests = list(requests)
        if not requests:
            return []
        # ~4 batches per worker balances load; at most 64 items per batch
        # bounds what a killed worker makes us resend.
        size = max(1, min(64, -(-len(requests) // (4 * self.size))))
        batches = [requests[i : i + size] for i in range(0, len(requests), size)]
        if len(batches) == 1:
            return self._run_batch(batches[0], timeout)
        with ThreadPoolExecutor(max_workers=min(self.size, len(batches))) as ex:
            results = ex.map(lambda b: self._run_batch(b, timeout), batches)
            return [v for batch in results for v in batch]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for w in workers:
            w.kill()

    def __enter__(self) -> GraderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
