"""A curation run's stored settings, its teacher backend and its verifier.

:class:`CurationConfig` is what ``candidates/config.json`` holds: the resolved
recipe, and which of its keys decide the stored candidates
(:data:`RESULT_KEYS`). Resuming into a folder with a different value of one
of them is an error naming it (``longcot.runs.ResultStore.check_config``);
every other key may change between invocations: ``rollout.n`` and
``data.limit`` extend a run (the first candidates of each prompt stay what
they were: every backend seeds a sample from its index), and the ``curate``
filters only change what is derived from the candidates.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from longcot.config import Recipe
from longcot.generate.types import Backend, SamplingParams
from longcot.runs import Grader, settings_grader

RESULT_KEYS: tuple[tuple[str, str], ...] = (
    ("model", "path"),
    ("model", "dtype"),
    ("rollout", "backend"),
    ("rollout", "backend_options"),
    ("rollout", "temperature"),
    ("rollout", "top_p"),
    ("rollout", "max_new_tokens"),
    ("rollout", "stop"),
    ("run", "seed"),
    ("data", "source"),
    ("data", "template"),
    ("curate", "where"),
    ("curate", "shard"),
    ("reward", "task"),
    ("reward", "think_markers"),
    ("reward", "require_think_close"),
    ("reward", "extract"),
    ("reward", "verifier"),
    ("reward", "judge"),
)
"""``(section, key)`` of the recipe keys that decide what a stored candidate is."""

KIND_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "sample": (),
    "construct": (("curate", "max_actions"),),
    "silver": (("curate", "reference_extract"), ("curate", "answer_fallback")),
}
"""Keys that decide the candidates of one kind of run only."""


@dataclass(frozen=True)
class CurationConfig:
    """The settings a curation folder was written with (``candidates/config.json``)."""

    kind: str
    """``sample``, ``construct`` or ``silver``."""
    recipe: dict[str, Any]
    """The resolved recipe (``Recipe.to_dict()``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Result-deciding facts that are not recipe keys (construct: the templates' text)."""

    @classmethod
    def from_recipe(cls, kind: str, recipe: Recipe, **extra: Any) -> CurationConfig:
        return cls(kind, copy.deepcopy(recipe.to_dict()), dict(extra))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "recipe": self.recipe, "extra": self.extra}

    def fingerprint(self, *, shard: bool = True) -> dict[str, Any]:
        from longcot.evaluate.config import PERFORMANCE_OPTIONS

        out: dict[str, Any] = {"kind": self.kind}
        for section, key in RESULT_KEYS + KIND_KEYS.get(self.kind, ()):
            if key == "shard" and not shard:
                continue
            value = (self.recipe.get(section) or {}).get(key)
            if key == "backend_options":
                value = {
                    k: v for k, v in sorted((value or {}).items()) if k not in PERFORMANCE_OPTIONS
                }
            out[f"{section}.{key}"] = value
        out.update({f"extra.{k}": v for k, v in sorted(self.extra.items())})
        # JSON round trip: tuples and lists compare equal, as they read back from the file.
        return json.loads(json.dumps(out))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "settings") -> Self:
        if not isinstance(data, Mapping) or "kind" not in data or "recipe" not in data:
            raise ValueError(
                f"{source}: not a curation config (expected 'kind' and 'recipe'); "
                "is this folder an evaluation's?"
            )
        return cls(str(data["kind"]), dict(data["recipe"]), dict(data.get("extra") or {}))


def backend_options(recipe: Recipe) -> dict[str, Any]:
    """``rollout.backend_options``, with the ``model`` section's dtype, device, threads
    and trust_remote_code filled in where the backend takes them and the options
    do not already set them."""
    options = dict(recipe.rollout.backend_options)
    model = recipe.model
    taken = {
        "hf": ("dtype", "device", "threads", "trust_remote_code"),
        "vllm": ("dtype", "trust_remote_code"),
    }.get(recipe.rollout.backend, ())
    defaults = {"dtype": "auto", "device": "auto", "threads": None, "trust_remote_code": False}
    for name in taken:
        value = getattr(model, name)
        if value != defaults[name]:
            options.setdefault(name, value)
    return options


def open_teacher(recipe: Recipe) -> Backend:
    """The teacher: ``model.path`` through ``rollout.backend``."""
    from longcot.generate import load_backend

    if not recipe.model.path:
        raise ValueError(f"{recipe.source}: model.path is required (the teacher model)")
    return load_backend(recipe.rollout.backend, recipe.model.path, **backend_options(recipe))


def sampling_params(recipe: Recipe, **changes: Any) -> SamplingParams:
    """The rollout's sampling settings (``n`` is set per chunk by the loop)."""
    r = recipe.rollout
    values = {
        "n": 1,
        "temperature": r.temperature,
        "top_p": r.top_p,
        "max_new_tokens": r.max_new_tokens,
        "seed": recipe.run.seed,
        "stop": tuple(r.stop or ()),
    }
    values.update(changes)
    return SamplingParams(**values)


def needs_teacher_judge(recipe: Recipe) -> bool:
    """``verifier: judge`` without a judge model: the teacher judges (it must be shared)."""
    spec = recipe.reward
    return spec.verifier == "judge" and (spec.judge is None or spec.judge.model is None)


def make_grader(recipe: Recipe, teacher: Any = None) -> Grader:
    """The run's verifier from the ``reward`` section: the rule verifier, or a
    model judge (``reward.judge.model``, else ``teacher``, which must then be a
    ``SerialBackend`` shared with the sampling loop)."""
    return settings_grader(recipe.reward, teacher, prefix="reward.")


def warm_grader(recipe: Recipe) -> None:
    """Start the rule verifier's worker processes now (they boot in background
    threads), so their start-up overlaps loading the teacher instead of
    delaying the first graded chunk."""
    spec = recipe.reward
    if spec.verifier == "rule" and spec.grade_workers != 0:
        from longcot.verify import shared_pool

        shared_pool(spec.grade_workers)


class TimedGrader:
    """A grader that adds up the seconds it spends: the share of a run's wall
    time that goes to grading is reported (``summary.json`` ``grade_seconds``)."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader
        self.seconds = 0.0
        self.rows = 0

    def __call__(self, rows: list[dict[str, Any]]) -> list[Any]:
        t0 = time.perf_counter()
        try:
            return self.grader(rows)
        finally:
            self.seconds += time.perf_counter() - t0
            self.rows += len(rows)
