"""One dataclass for an evaluation run, loaded from flat YAML plus CLI overrides.

``recipes/eval_paper.yaml`` is the paper's setup (§2.5): MATH-500, AIME 2024,
TheoremQA and MMLU-Pro-1k at temperature 0.7, top-p 0.95, up to 16,384 new
tokens, 16 samples per AIME problem and 4 per problem elsewhere.

Which fields decide the *outputs* of a run (and so must agree when a run
resumes into an existing output folder) is stated once, in
:data:`RESULT_FIELDS`; the rest (which benchmarks, how many problems and
samples, grading resources, chunk size) may change between invocations, so a
run can be extended with more samples or problems.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from longcot.constants import THINK_MARKERS as DEFAULT_THINK_MARKERS

BACKENDS = ("hf", "vllm", "openai")
"""Backend names ``--backend`` accepts (``longcot.generate``)."""

PAPER_BENCHMARKS = ("math500", "aime24", "theoremqa", "mmlu_pro_1k")
"""The paper's evaluation suite (§2.5)."""

RESULT_FIELDS = (
    "model",
    "backend",
    "backend_options",
    "temperature",
    "top_p",
    "max_new_tokens",
    "seed",
    "template",
    "think_markers",
    "require_think_close",
    "extract",
    "verifier",
    "judge",
)
"""Fields that change what a sample *is*: mixing samples that differ in any of
them in one output folder would make its numbers meaningless, so resuming with
a different value is an error (see ``store.ResultStore.check_config``)."""

PERFORMANCE_OPTIONS = frozenset(
    {
        "threads",
        "shared_prefix",
        "max_batch_rows",
        "max_batch_tokens",
        "max_concurrency",
        "concurrency",
        "request_timeout",
        "timeout",
        "max_retries",
        "retries",
        "backoff",
        "max_backoff",
        "gpu_memory_utilization",
        "tensor_parallel_size",
        "api_key",
        "api_key_env",
    }
)
"""``backend_options`` keys that change speed or access, not outputs; they are
left out of the resume check so a run can resume with more threads or a new
API key. Every other option (device, dtype, base_url, ...) must match."""


EVAL_SECTION_FIELDS = (
    "benchmarks",
    "samples",
    "temperature",
    "top_p",
    "max_new_tokens",
    "limit",
    "data_dir",
    "seed",
    "template",
    "think_markers",
    "require_think_close",
    "extract",
    "grade_timeout",
    "grade_workers",
    "chunk_completions",
    "verifier",
    "judge",
)
"""EvalConfig fields that come from a recipe's ``eval`` section (the rest:
``model.path``, ``rollout.backend``/``backend_options``, ``run.output``)."""


def recipe_key(field_name: str) -> tuple[str, str]:
    """The ``(section, key)`` of a recipe that sets an EvalConfig field."""
    if field_name == "model":
        return "model", "path"
    if field_name in ("backend", "backend_options"):
        return "rollout", field_name
    if field_name == "output":
        return "run", "output"
    return "eval", field_name


class EvalConfigError(ValueError):
    """A setting is invalid; the message names it, its value and how to fix it."""

    def __init__(self, name: str, value: object, hint: str) -> None:
        super().__init__(f"eval setting {name}={value!r}: {hint}")
        self.name = name
        self.value = value


@dataclass(frozen=True)
class EvalConfig:
    """Everything ``longcot eval`` needs. Defaults are the paper's settings."""

    model: str
    """A named model (``smollm2-135m-instruct``), a checkpoint folder, a hub id,
    or, for ``backend: openai``, the model name the server knows."""
    output: str
    """Output folder: ``config.json``, one ``<benchmark>.jsonl`` per benchmark,
    ``summary.json`` and ``summary.md``. Reusing it resumes the run."""
    backend: str = "hf"
    """``hf`` (transformers), ``vllm`` (offline vllm.LLM), ``openai`` (HTTP), or
    ``package.module:Class`` for your own (``longcot.generate.load_backend``)."""
    backend_options: dict[str, Any] = field(default_factory=dict)
    """Passed to the backend's constructor as keywords (``device``, ``dtype``,
    ``threads``, ``base_url``, ...)."""
    benchmarks: tuple[str, ...] = PAPER_BENCHMARKS
    """Registry names (``longcot.benchmarks.BENCHMARKS``) or ``module:attr``."""
    samples: int | None = None
    """Samples per problem, >= 1. ``None``: each benchmark's paper default
    (AIME 16, others 4)."""
    temperature: float = 0.7
    """Sampling temperature, >= 0 (0 = greedy)."""
    top_p: float = 0.95
    """Nucleus mass in (0, 1]."""
    max_new_tokens: int = 16384
    """Token cap per response; a response that reaches it is truncated."""
    limit: int | None = None
    """Evaluate only the first ``limit`` problems of each benchmark (file order)."""
    data_dir: str | None = None
    """Local benchmarks folder (``shared/data/benchmarks`` layout). ``None``:
    ``$LONGCOT_DATA``, else the Hugging Face hub."""
    seed: int = 0
    """Sampling seed; the same seed, model and backend give the same samples."""
    template: str = "default"
    """Prompt template name (``longcot.benchmarks.TEMPLATES``)."""
    think_markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS
    """``(open, close)`` reasoning markers: the answer is read after ``close``
    and an unclosed block has no answer. ``None`` grades whole responses."""
    require_think_close: bool | None = None
    """``True``: the prompt opens the reasoning block, so a response without
    ``close`` has no answer. ``None`` (auto): decided per prompt from the
    rendered prompt when the backend can render it, else ``False``."""
    extract: str | None = None
    """The verifier's extraction policy (``longcot.verify.grade``): ``auto``
    (every rule, the default when ``None``) or ``strict`` (a box or an answer
    phrase only)."""
    grade_timeout: float = 5.0
    """Seconds per response in the verifier; past it the verdict is ``timeout``."""
    grade_workers: int | None = None
    """Grader processes; ``None`` = usable CPU cores."""
    chunk_completions: int = 256
    """Completions (prompts x samples) per backend call. A killed run loses at
    most two chunks (one generating, one grading); larger chunks batch better."""
    verifier: str = "rule"
    """``rule``: ``longcot.verify.grade``; ``judge``: a model judge
    (``longcot.verify.judge``) reads the end of each response and the gold answer."""
    judge: Any = None
    """Judge settings (``verify.judge.JudgeSpec`` or a mapping); ``None`` with
    ``verifier: judge``: the evaluated model judges its own responses."""

    def __post_init__(self) -> None:
        # Normalise YAML lists to tuples so configs compare and hash predictably.
        if isinstance(self.benchmarks, str):
            object.__setattr__(
                self, "benchmarks", tuple(b.strip() for b in self.benchmarks.split(",") if b)
            )
        else:
            object.__setattr__(self, "benchmarks", tuple(self.benchmarks))
        if self.think_markers is not None:
            object.__setattr__(self, "think_markers", tuple(self.think_markers))
        object.__setattr__(self, "backend_options", dict(self.backend_options or {}))
        if self.judge is not None:
            from longcot.verify.judge import JudgeError, JudgeSpec

            try:
                object.__setattr__(self, "judge", JudgeSpec.from_dict(self.judge))
            except JudgeError as e:
                raise EvalConfigError("judge", self.judge, str(e)) from None
        self._validate()

    def _validate(self) -> None:
        if not self.model:
            raise EvalConfigError("model", self.model, "give a model name, folder, hub id or URL")
        if not self.output:
            raise EvalConfigError("output", self.output, "give an output folder")
        if self.backend not in BACKENDS and ":" not in self.backend:
            raise EvalConfigError(
                "backend", self.backend, f"must be one of {', '.join(BACKENDS)} or 'module:Class'"
            )
        if not self.benchmarks:
            raise EvalConfigError("benchmarks", self.benchmarks, "name at least one benchmark")
        if len(set(self.benchmarks)) != len(self.benchmarks):
            raise EvalConfigError("benchmarks", self.benchmarks, "a benchmark is listed twice")
        if self.samples is not None and (_not_int(self.samples) or self.samples < 1):
            raise EvalConfigError("samples", self.samples, "must be >= 1, or null for defaults")
        if not self.temperature >= 0:
            raise EvalConfigError("temperature", self.temperature, "must be >= 0 (0 = greedy)")
        if not 0 < self.top_p <= 1:
            raise EvalConfigError("top_p", self.top_p, "must be in (0, 1]; 1 disables it")
        if _not_int(self.max_new_tokens) or self.max_new_tokens < 1:
            raise EvalConfigError("max_new_tokens", self.max_new_tokens, "must be an int >= 1")
        if self.limit is not None and (_not_int(self.limit) or self.limit < 1):
            raise EvalConfigError("limit", self.limit, "must be >= 1, or null for all problems")
        if _not_int(self.seed):
            raise EvalConfigError("seed", self.seed, "must be an integer")
        if self.think_markers is not None and (
            len(self.think_markers) != 2
            or not all(isinstance(m, str) and m for m in self.think_markers)
        ):
            raise EvalConfigError(
                "think_markers", self.think_markers, "give two non-empty strings, or null"
            )
        if self.extract not in (None, "auto", "strict"):
            raise EvalConfigError("extract", self.extract, "must be 'auto' or 'strict'")
        if not self.grade_timeout > 0:
            raise EvalConfigError("grade_timeout", self.grade_timeout, "must be > 0 seconds")
        if self.grade_workers is not None and (
            _not_int(self.grade_workers) or self.grade_workers < 0
        ):
            raise EvalConfigError(
                "grade_workers", self.grade_workers, "must be >= 0 (0 = in-process), or null"
            )
        if _not_int(self.chunk_completions) or self.chunk_completions < 1:
            raise EvalConfigError("chunk_completions", self.chunk_completions, "must be >= 1")
        if self.verifier not in ("rule", "judge"):
            raise EvalConfigError("verifier", self.verifier, "must be 'rule' or 'judge'")

    def samples_for(self, default_samples: int) -> int:
        """Samples per problem for a benchmark whose paper default is ``default_samples``."""
        return self.samples if self.samples is not None else default_samples

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict that :meth:`from_dict` reads back."""
        d = asdict(self)
        d["benchmarks"] = list(self.benchmarks)
        d["think_markers"] = None if self.think_markers is None else list(self.think_markers)
        return d

    def fingerprint(self) -> dict[str, Any]:
        """The :data:`RESULT_FIELDS` as JSON values: what must match on resume."""
        d = self.to_dict()
        out = {name: d[name] for name in RESULT_FIELDS}
        out["backend_options"] = {
            k: v for k, v in sorted(self.backend_options.items()) if k not in PERFORMANCE_OPTIONS
        }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "settings") -> EvalConfig:
        """Build from a flat mapping; an unknown key is an error naming it and ``source``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise EvalConfigError(
                unknown[0],
                data[unknown[0]],
                f"unknown key in {source}; known keys: {', '.join(sorted(known))}",
            )
        for name in ("model", "output"):
            if data.get(name) in (None, ""):
                raise EvalConfigError(
                    name, data.get(name), f"required (set it in {source} or on the command line)"
                )
        return cls(**data)

    @classmethod
    def from_recipe(
        cls, recipe: Any, *, model: str | None = None, output: str | None = None
    ) -> EvalConfig:
        """An evaluation from a recipe's ``model``, ``rollout`` (backend) and ``eval``
        sections; ``model``/``output`` default to ``model.path`` and ``run.output``.

        The trainer passes the checkpoint and its ``eval/step_N`` folder here, so
        periodic evaluations are configured exactly like ``longcot eval``.
        """
        ev = recipe.eval
        data = {
            "model": model if model is not None else recipe.model.path,
            "output": output if output is not None else recipe.run.output,
            "backend": recipe.rollout.backend,
            "backend_options": dict(recipe.rollout.backend_options),
        }
        for name in EVAL_SECTION_FIELDS:
            data[name] = getattr(ev, name)
        return cls.from_dict(data, source=recipe.source)

    @classmethod
    def from_yaml(
        cls, path: str | os.PathLike, overrides: Mapping[str, Any] | None = None
    ) -> EvalConfig:
        """Read an eval recipe (sectioned, or a flat longcot 0.1 file); ``overrides``
        (EvalConfig fields, e.g. from the command line) win."""
        from longcot.config import load_recipe

        sections: dict[str, dict[str, Any]] = {}
        for name, value in (overrides or {}).items():
            section, key = recipe_key(name)
            sections.setdefault(section, {})[key] = value
        return cls.from_recipe(load_recipe(path, command="eval", overrides=sections))

    def with_overrides(self, overrides: Mapping[str, Any]) -> EvalConfig:
        """A copy with some fields replaced (validated again)."""
        bad = sorted(set(overrides) - {f.name for f in fields(self)})
        if bad:
            raise EvalConfigError(bad[0], overrides[bad[0]], "unknown setting")
        return replace(self, **overrides)


def _not_int(value: object) -> bool:
    # bool is an int subclass; "samples: yes" in YAML must not mean 1.
    return not isinstance(value, int) or isinstance(value, bool)
