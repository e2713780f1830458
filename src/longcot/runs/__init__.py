"""What every long sampling job shares: one resumable JSONL store and one
sample -> grade -> append -> resume loop (DESIGN §1).

Evaluation (``longcot eval``), the trainer's periodic evaluation and curation
(``longcot sample``) all run :func:`run_jobs` over a :class:`ResultStore`.
"""

from .loop import (
    Grader,
    LoopStats,
    SampleJob,
    errors_path,
    grade_rows,
    judge_grader,
    pending_work,
    result_row,
    rule_grader,
    run_jobs,
    settings_grader,
)
from .progress import NullProgress, Progress, RichProgress
from .store import ConfigMismatchError, ResultsFileError, ResultStore, StoredConfig, row_key

__all__ = [
    "ConfigMismatchError",
    "Grader",
    "LoopStats",
    "NullProgress",
    "Progress",
    "ResultStore",
    "ResultsFileError",
    "RichProgress",
    "SampleJob",
    "StoredConfig",
    "errors_path",
    "grade_rows",
    "judge_grader",
    "pending_work",
    "result_row",
    "row_key",
    "rule_grader",
    "run_jobs",
    "settings_grader",
]
