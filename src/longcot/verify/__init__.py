"""Grade free-form answers: correct, fast, safe, and impossible to hang.

>>> from longcot.verify import grade
>>> grade(r"... so the answer is \\boxed{\\dfrac{1}{2}}.", "0.5").status
'correct'

Importing this package does not import torch or transformers.
"""

from .extract import EXTRACT_POLICIES, RULES, ExtractPolicy
from .grading import agrade_many, grade, grade_many, shared_pool
from .judge import JudgeSpec, judge_many, parse_judgement
from .pool import GraderPool, default_workers
from .reasoning import DEFAULT_THINK_MARKERS, answer_region
from .tasks import TASKS, grade_local
from .verdict import STATUSES, Status, Verdict

__all__ = [
    "DEFAULT_THINK_MARKERS",
    "EXTRACT_POLICIES",
    "RULES",
    "STATUSES",
    "TASKS",
    "ExtractPolicy",
    "GraderPool",
    "JudgeSpec",
    "Status",
    "Verdict",
    "agrade_many",
    "answer_region",
    "default_workers",
    "grade",
    "grade_local",
    "grade_many",
    "judge_many",
    "parse_judgement",
    "shared_pool",
]
