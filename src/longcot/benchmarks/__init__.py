"""Benchmarks: load validated examples, build the paper's prompts, score responses.

>>> from longcot.benchmarks import get_benchmark
>>> bench = get_benchmark("math500")
>>> examples = bench.load("../shared/data/benchmarks", limit=2)  # doctest: +SKIP
>>> bench.prompt(examples[0])  # doctest: +SKIP
[{'role': 'user', 'content': 'Convert the point ... within \\\\boxed{}.'}]
>>> bench.score(examples[0], "... so the answer is $\\\\boxed{(3, \\\\frac{\\\\pi}{2})}$")  # doctest: +SKIP
Verdict(status='correct', ...)

See ``benchmark.py`` for where ``load`` reads from, ``prompts.py`` for the
templates, ``registry.py`` for the list of benchmarks.
"""

from .benchmark import DATA_ENV, Benchmark
from .example import (
    TASKS,
    THEOREMQA_ANSWER_TYPES,
    BenchmarkDataError,
    BenchmarkUnavailableError,
    Example,
    Gold,
    Task,
)
from .prompts import ANSWER_TYPE_HINTS, TEMPLATES, PromptTemplate
from .registry import BENCHMARKS, BenchmarkLike, get_benchmark

__all__ = [
    "ANSWER_TYPE_HINTS",
    "BENCHMARKS",
    "DATA_ENV",
    "TASKS",
    "TEMPLATES",
    "THEOREMQA_ANSWER_TYPES",
    "Benchmark",
    "BenchmarkDataError",
    "BenchmarkLike",
    "BenchmarkUnavailableError",
    "Example",
    "Gold",
    "PromptTemplate",
    "Task",
    "get_benchmark",
]
