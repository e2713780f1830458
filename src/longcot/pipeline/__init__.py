"""Multi-stage pipelines over longcot's commands: the laptop demo (``longcot demo``).

Stages are ``longcot sft`` / ``longcot rl`` runs on written recipes, scheduled
by dependency, several at once; finished stages are reused on a rerun.
"""

from .demo_plan import ARMS, FULL, QUICK, DemoSettings, demo_stages, settings_dict
from .findings import FINDINGS, evaluate_findings
from .report import demo_report
from .schedule import StageFailed, run_stages
from .stages import Stage

__all__ = [
    "ARMS",
    "FINDINGS",
    "FULL",
    "QUICK",
    "DemoSettings",
    "Stage",
    "StageFailed",
    "demo_report",
    "demo_stages",
    "evaluate_findings",
    "run_stages",
    "settings_dict",
]
