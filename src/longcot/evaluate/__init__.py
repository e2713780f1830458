"""The evaluation harness: sampling plan, incremental results, metrics, summary.

>>> from longcot.evaluate import EvalConfig, run_eval
>>> config = EvalConfig(model="smollm2-135m-instruct", output="runs/eval", limit=5)  # doctest: +SKIP
>>> run_eval(config).summary["benchmarks"]["math500"]["accuracy"]  # doctest: +SKIP

Importing this package does not import torch; the backend loads it when a run
has something to generate.
"""

from longcot.runs import ConfigMismatchError, ResultsFileError, ResultStore

from .config import BACKENDS, PAPER_BENCHMARKS, RESULT_FIELDS, EvalConfig, EvalConfigError
from .runner import BenchmarkPlan, EvalResult, build_plan, regrade, run_eval

__all__ = [
    "BACKENDS",
    "PAPER_BENCHMARKS",
    "RESULT_FIELDS",
    "BenchmarkPlan",
    "ConfigMismatchError",
    "EvalConfig",
    "EvalConfigError",
    "EvalResult",
    "ResultStore",
    "ResultsFileError",
    "build_plan",
    "regrade",
    "run_eval",
]
