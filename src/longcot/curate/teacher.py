"""The teacher model of a curation run, loaded once and only when something is left to generate.

:class:`Teacher` hands the same backend to every stage of a run (silver asks
it for answers, then samples it), wraps it in ``verify.judge.SerialBackend``
when it also judges (the loop grades in a second thread), and closes it at
the end if it loaded it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from longcot.config import Recipe
from longcot.runs import SampleJob

from .settings import TimedGrader, make_grader, needs_teacher_judge, open_teacher

log = logging.getLogger(__name__)


class Teacher:
    """Lazily loaded teacher backend plus the run's (timed) verifier.

    Args:
        recipe: the run's recipe (``model``, ``rollout``, ``reward``).
        backend: an already loaded backend (tests, notebooks); not closed here.
    """

    def __init__(self, recipe: Recipe, backend: Any = None) -> None:
        self.recipe = recipe
        self._given = backend
        self._backend: Any = None
        self._owned = False
        self._grader: TimedGrader | None = None

    @property
    def backend(self) -> Any:
        if self._backend is None:
            backend = self._given
            if backend is None:
                backend = open_teacher(self.recipe)
                self._owned = True
            if needs_teacher_judge(self.recipe):
                from longcot.verify.judge import SerialBackend

                backend = SerialBackend(backend)
            self._backend = backend
        return self._backend

    @property
    def grader(self) -> TimedGrader:
        """The verifier (loads the teacher only when it is also the judge)."""
        if self._grader is None:
            teacher = self.backend if needs_teacher_judge(self.recipe) else None
            self._grader = TimedGrader(make_grader(self.recipe, teacher))
        return self._grader

    @property
    def grade_seconds(self) -> float:
        return self._grader.seconds if self._grader is not None else 0.0

    def close(self) -> None:
        if self._owned and self._backend is not None:
            self._backend.close()
        self._backend = None
        self._owned = False

    def __enter__(self) -> Teacher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def with_think_close(recipe: Recipe, backend: Any, jobs: Sequence[SampleJob]) -> list[SampleJob]:
    """Set ``require_think_close`` per job: ``reward.require_think_close``, else
    whether the rendered prompt ends inside an opened reasoning block (R1-style
    templates), as ``longcot eval`` decides it."""
    from longcot.evaluate.backends import opens_reasoning, rendered_prompt

    markers = recipe.reward.think_markers
    if markers is None:
        return list(jobs)
    if recipe.reward.require_think_close:
        return [replace(j, require_think_close=True) for j in jobs]
    out = []
    for job in jobs:
        rendered = rendered_prompt(backend, job.prompt)
        out.append(
            replace(
                job,
                require_think_close=rendered is not None and opens_reasoning(rendered, markers),
            )
        )
    if any(j.require_think_close for j in out):
        log.info(
            "the teacher's chat template opens a reasoning block: unclosed responses have no answer"
        )
    return out
