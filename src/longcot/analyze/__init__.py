"""Read what evaluation, curation and training wrote: statistics, plots and the report.

Nothing here imports from ``longcot.evaluate`` or ``longcot.train``: analysis
reads their files, so data flows one way (DESIGN §1). The keyword statistics
themselves live in :mod:`longcot.reflection`, below every producer, because
evaluation summaries and training metrics compute them too.

- :mod:`.readers`: detect a folder's kind and load its files (:func:`load_run`);
- :mod:`.stats`: accuracy, lengths (correct vs wrong, mean and p90), truncation,
  reflection rates of a set of responses;
- :mod:`.analysis`: one run's statistics per checkpoint and RL step, SFT-token curves;
- :mod:`.tables`, :mod:`.figures`, :mod:`.plots`: the report's tables and PNG figures;
- :mod:`.report`: :func:`write_report` -> ``report.html`` (self-contained) and ``report.md``.
"""

from longcot.reflection import (
    FEATURES,
    KEYWORDS,
    keyword_counts,
    reflection_from_jsonl,
    reflection_stats,
)

from .analysis import RunAnalysis, SftPoint, analyze, sampling_rows, sft_token_curves
from .readers import Checkpoint, NotARunError, Run, RunFolderError, detect_kind, load_run, load_runs
from .report import Report, write_report
from .stats import Response, ResponseStats, response_stats
from .tables import Table

__all__ = [
    "FEATURES",
    "KEYWORDS",
    "Checkpoint",
    "NotARunError",
    "Report",
    "Response",
    "ResponseStats",
    "Run",
    "RunAnalysis",
    "RunFolderError",
    "SftPoint",
    "Table",
    "analyze",
    "detect_kind",
    "keyword_counts",
    "load_run",
    "load_runs",
    "reflection_from_jsonl",
    "reflection_stats",
    "response_stats",
    "sampling_rows",
    "sft_token_curves",
    "write_report",
]
