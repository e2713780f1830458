"""The grader process: ``python -m longcot.verify.worker READ_FD WRITE_FD``.

Started with ``subprocess`` rather than ``multiprocessing``: spawn and
forkserver children re-import the caller's ``__main__`` module, which re-runs
an unguarded user script (or a training script's top level) inside every
grader. A fresh interpreter that imports only this module has no such side
effects, inherits no CUDA context or torch thread pool, and can be killed at
any moment without harming the parent.

Protocol: pickled messages over two pipes (``multiprocessing.connection``
framing). The worker first sends ``("ready", pid)``; then each message is a
list of :data:`Request` and the worker sends one :data:`Reply` per request,
in order, as soon as each is graded. Batches cut the per-item IPC cost; the
per-item replies let the parent time every item separately.
"""

from __future__ import annotations

import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

Request = tuple[str, Any, str, "str | None", "tuple[str, str] | None", bool, str]
"""``(response, gold, task, answer_type, think_markers, require_think_close, extract)``.

A six-item request (before ``extract`` existed) is read with ``extract="auto"``."""
Reply = tuple[str, "str | None", str]
"""``(status, extracted, reason)``; status ``"error"`` carries ``grader error: ...``."""

MAX_ERROR_CHARS = 500
"""An exception's message is cut to this length: a reply must stay small."""


def handle(request: Request) -> Reply:
    """Grade one request; never raises. A grader that raises gives ``("error", None, "grader error: ...")``."""
    from .tasks import grade_local

    response, gold, task, answer_type, markers, require_close, *rest = request
    extract = rest[0] if rest else "auto"
    try:
        v = grade_local(
            response,
            gold,
            task=task,
            answer_type=answer_type,
            think_markers=markers,
            require_think_close=require_close,
            extract=extract,
        )
        return (v.status, v.extracted, v.reason)
    except RecursionError:
        return ("error", None, "grader error: hit Python's recursion limit")
    except Exception as e:  # a bug or a library failure: report it, never hang
        return ("error", None, f"grader error: {type(e).__name__}: {e}"[:MAX_ERROR_CHARS])


_WARM_UP = (
    (r"\boxed{(3, \infty) \cup \{1\}}", r"[3, \infty)", "math", None),
    (r"\boxed{\begin{pmatrix} 1 \\ x \end{pmatrix}}", r"\text{(A)}", "math", None),
    (r"\boxed{\sqrt{2}/2}", 0.71, "theoremqa", "float"),
)


def warm_up() -> None:
    for response, gold, task, answer_type in _WARM_UP:
        handle((response, gold, task, answer_type, None, False, "auto"))


def serve(rx: Connection, tx: Connection) -> None:
    """Answer requests from ``rx`` on ``tx`` until the parent closes the pipe."""
    # Ctrl-C reaches the whole process group; the parent decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Import and exercise the heavy machinery (sympy, Math-Verify's ANTLR
    # parser: ~0.4 s of imports, then ~0.15 s for first use) before saying
    # ready, so neither is charged to the first real item's time limit.
    warm_up()
    tx.send(("ready", os.getpid()))
    while True:
        try:
            batch: list[Request] = rx.recv()
        except (EOFError, OSError):
            return
        for request in batch:
            try:
                tx.send(handle(request))
            except (BrokenPipeError, OSError):
                return


def main(argv: list[str]) -> None:
    read_fd, write_fd = int(argv[1]), int(argv[2])
    serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv)
