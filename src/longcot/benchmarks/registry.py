"""The benchmarks longcot knows, in one visible dict, and a lookup with an escape hatch.

The first four are the paper's evaluation suite (§2.5); ``mmlu_pro`` is the
full split MMLU-Pro-1k is drawn from; ``math_train`` holds the 7,500 MATH
training problems that rejection sampling and RL start from (§3.1).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

# Synthetic tasks (arith, arith_train) are generated in memory by longcot.tasks,
# which does not import this package at module level, so there is no cycle.
from longcot.tasks.synthetic import SYNTHETIC

from .benchmark import Benchmark
from .hub import math_train_from_hub, mmlu_pro_1k_subset, theoremqa_from_hub
from .parsers import parse_aime, parse_math500, parse_math_train, parse_mmlu_pro, parse_theoremqa

if TYPE_CHECKING:
    from longcot.verify import Verdict

    from .example import Example
    from .prompts import Message


class BenchmarkLike(Protocol):
    """What evaluation needs of a benchmark: :class:`Benchmark` or a user's own class."""

    name: str
    task: str
    default_samples: int

    def load(self, source: Any = None, *, limit: int | None = None) -> list[Example]: ...

    def prompt(self, example: Example, template: Any = "default") -> list[Message] | str: ...

    def score(self, example: Example, response: str, **grade_kwargs: Any) -> Verdict: ...


BENCHMARKS: dict[str, Benchmark] = {
    "math500": Benchmark(
        name="math500",
        task="math",
        parse_record=parse_math500,
        local_dir="math500",
        local_files=("test.jsonl",),
        hub_id="HuggingFaceH4/MATH-500",
        hub_split="test",
        description="MATH-500: the 500-problem MATH test subset of PRM800K",
    ),
    "aime24": Benchmark(
        name="aime24",
        task="aime",
        parse_record=parse_aime,
        local_dir="aime24",
        local_files=("test.jsonl",),
        hub_id="HuggingFaceH4/aime_2024",
        hub_split="train",  # the hub copy has a single split, named "train"
        # 30 problems: the paper samples 16 per problem to steady the mean.
        default_samples=16,
        description="AIME 2024 I and II, 30 problems, integer answers 0-999",
    ),
    "theoremqa": Benchmark(
        name="theoremqa",
        task="theoremqa",
        parse_record=parse_theoremqa,
        local_dir="theoremqa",
        local_files=("theoremqa_test.json",),
        hub_id="TIGER-Lab/TheoremQA",
        hub_split="test",
        hub_adapter=theoremqa_from_hub,
        description="TheoremQA, 800 theorem-driven questions with typed answers",
    ),
    "mmlu_pro_1k": Benchmark(
        name="mmlu_pro_1k",
        task="choice",
        parse_record=parse_mmlu_pro,
        local_dir="mmlu_pro",
        local_files=("mmlu-pro-1k.jsonl",),
        # No hub copy of the 1k subset exists: it is drawn from the full test
        # split with the authors' recipe (hub.mmlu_pro_1k_subset).
        hub_id="TIGER-Lab/MMLU-Pro",
        hub_split="test",
        hub_adapter=mmlu_pro_1k_subset,
        description="MMLU-Pro-1k: 1,000 questions stratified by source, options A-J",
    ),
    "mmlu_pro": Benchmark(
        name="mmlu_pro",
        task="choice",
        parse_record=parse_mmlu_pro,
        local_dir="mmlu_pro",
        # The parquet is the hub's own export; test.jsonl is a plain dump of it.
        local_files=("test-00000-of-00001.parquet", "test.jsonl"),
        hub_id="TIGER-Lab/MMLU-Pro",
        hub_split="test",
        description="MMLU-Pro test split, 12,032 questions",
    ),
    "math_train": Benchmark(
        name="math_train",
        task="math",
        parse_record=parse_math_train,
        local_dir="math_train",
        local_files=("train.jsonl",),
        # The original MATH release was taken down from the hub; this copy holds
        # the same 7,500 training problems (problem, level, type, solution).
        hub_id="DigitalLearningGmbH/MATH-lighteval",
        hub_split="train",
        hub_adapter=math_train_from_hub,
        description="MATH training split, 7,500 problems (2 without a boxed answer)",
    ),
}
"""Benchmark name -> :class:`Benchmark`. Add your own by inserting an entry, or
pass ``"package.module:attr"`` to :func:`get_benchmark`."""

_REQUIRED = ("name", "task", "default_samples", "load", "prompt", "score")


def get_benchmark(name: str) -> BenchmarkLike:
    """The benchmark registered as ``name``, a synthetic task
    (``longcot.tasks.synthetic.SYNTHETIC``: ``arith``, ``arith_train``), or a
    user object ``"module:attr"``.

    The escape hatch imports ``module`` and returns its ``attr``, which must be
    a :class:`Benchmark` or any object with ``name``, ``task``,
    ``default_samples``, ``load``, ``prompt`` and ``score``
    (:class:`BenchmarkLike`).

    Raises:
        ValueError: ``name`` is not registered (the message lists the known
            names) or ``module:attr`` cannot be imported or found.
        TypeError: the imported object is not benchmark-shaped.
    """
    if name in BENCHMARKS:
        return BENCHMARKS[name]
    if name in SYNTHETIC:
        return SYNTHETIC[name]
    if ":" not in name:
        raise ValueError(
            f"unknown benchmark {name!r}; known benchmarks: {', '.join(sorted(BENCHMARKS))}; "
            f"synthetic tasks: {', '.join(sorted(SYNTHETIC))} "
            "(or give your own as 'package.module:attr')"
        )
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise ValueError(f"benchmark {name!r}: expected 'package.module:attr'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"benchmark {name!r}: cannot import module {module_name!r}: {e}") from e
    try:
        obj = getattr(module, attr)
    except AttributeError as e:
        raise ValueError(
            f"benchmark {name!r}: module {module_name!r} has no attribute {attr!r}"
        ) from e
    missing = [a for a in _REQUIRED if not hasattr(obj, a)]
    if missing:
        raise TypeError(
            f"benchmark {name!r} is a {type(obj).__name__}, not a benchmark: it lacks {missing}"
        )
    return obj
