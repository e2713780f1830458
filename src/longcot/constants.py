"""Names every layer shares, in one dependency-free module.

``verify`` (no torch), ``rewards`` (no verify at import time), the trainer and
the adapters all need the same reasoning markers, verdict statuses and task
names; keeping them here means no layer has to import another just for a
string, and no copy can drift.
"""

from __future__ import annotations

from typing import Literal, get_args

THINK_MARKERS: tuple[str, str] = ("<think>", "</think>")
"""Default ``(open, close)`` reasoning-block markers (DESIGN §3)."""

Status = Literal["correct", "incorrect", "no_answer", "bad_gold", "timeout"]
"""A verdict's status: ``correct``/``incorrect`` (a comparison was made),
``no_answer`` (nothing to extract, e.g. reasoning cut off at the cap),
``bad_gold`` (the reference is unusable), ``timeout`` (the grader could not tell)."""

STATUSES: tuple[str, ...] = get_args(Status)

Task = Literal["math", "aime", "theoremqa", "choice"]
"""A built-in grading task (``longcot.verify.grade(task=...)``). ``math``:
MATH-style LaTeX answers. ``aime``: an integer 0-999. ``theoremqa``: typed
answers. ``choice``: an option letter A-J. Any other task is a
``module:function`` grader."""

BUILTIN_TASKS: tuple[str, ...] = get_args(Task)
"""The names of :data:`Task`; ``longcot.verify.TASKS`` has one grader each (a test checks)."""
