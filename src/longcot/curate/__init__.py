"""Data curation (paper §3, §5): rejection sampling, constructed long CoT, filtered silver data.

>>> from longcot.config import load_recipe
>>> from longcot.curate import run_sample
>>> result = run_sample(load_recipe("recipes/sample_tiny_cpu.yaml", command="sample"))  # doctest: +SKIP
>>> result.summary["by_n"][-1]["acceptance"]  # doctest: +SKIP

- :func:`run_sample` (``longcot sample``): N candidates per problem from a
  teacher, graded by the one verifier (or a model judge), the correct ones kept
  and written as chat SFT rows, with the datasets for every smaller N derived
  from the first N candidates; :func:`merge_shards` joins sharded runs.
- :func:`run_construct` (``longcot construct``): traces built by prompting a
  short-CoT model through clarify -> decompose -> step <-> reflect -> answer,
  graded and filtered the same way.
- :func:`run_silver` (``longcot silver``): web QA pairs -> short answers ->
  kept when the teacher agrees -> an RL prompt set.

Every stage runs through the shared sample -> grade -> append -> resume loop
(``longcot.runs``). Importing this package does not import torch.
"""

from .actions import ACTIONS, Trace, parse_output
from .construct import run_construct
from .derive import check_ns, default_ns, derive
from .sample import CurationResult, merge_shards, run_sample
from .select import DROP_REASONS, KeepRules, select
from .silver import run_silver
from .sources import CurationDataError, CurationItem, load_items

__all__ = [
    "ACTIONS",
    "DROP_REASONS",
    "CurationDataError",
    "CurationItem",
    "CurationResult",
    "KeepRules",
    "Trace",
    "check_ns",
    "default_ns",
    "derive",
    "load_items",
    "merge_shards",
    "parse_output",
    "run_construct",
    "run_sample",
    "run_silver",
    "select",
]
