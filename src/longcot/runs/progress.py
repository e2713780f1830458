"""Progress reporting for long evaluations: samples/s and generated tokens/s.

The runner talks to a :class:`Progress` protocol, so tests and library users
can pass :class:`NullProgress` (or their own) and only the command line draws
a rich bar.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, description: str) -> None:
        """``total`` samples to generate and grade in this run."""

    def advance(self, samples: int, tokens: int) -> None:
        """``samples`` more were written; ``tokens`` were generated for them."""

    def close(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, samples: int, tokens: int) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """A rich progress bar with samples/s and tokens/s since the start.

    Rates are averages since ``start`` rather than rich's windowed speed: a
    chunk of hundreds of samples lands at once, so instantaneous rates jump
    between zero and huge values.
    """

    def __init__(self, console=None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self._bar = None
        self._task = None
        self._lock = threading.Lock()  # advance() is called from the grading thread
        self._t0 = 0.0
        self._tokens = 0
        self._samples = 0

    def start(self, total: int, description: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, rates="")
        self._t0 = time.perf_counter()

    def advance(self, samples: int, tokens: int) -> None:
        if self._bar is None:
            return
        with self._lock:
            self._samples += samples
            self._tokens += tokens
            dt = max(time.perf_counter() - self._t0, 1e-9)
            rates = f"{self._samples / dt:.2f} samples/s  {self._tokens / dt:,.0f} tok/s"
            self._bar.update(self._task, advance=samples, rates=rates)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
