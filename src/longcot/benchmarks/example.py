"""The item type every benchmark yields, and the errors loading can raise.

An :class:`Example` carries the reference answer in exactly the form
``longcot.verify.grade`` wants for the benchmark's task, so evaluation,
rejection sampling and RL rewards never re-interpret dataset fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from longcot.constants import BUILTIN_TASKS
from longcot.constants import Task as Task  # the one definition; re-exported here

TASKS: tuple[str, ...] = BUILTIN_TASKS

THEOREMQA_ANSWER_TYPES: tuple[str, ...] = (
    "integer",
    "float",
    "bool",
    "list of integer",
    "list of float",
    "option",
)
"""Every ``Answer_type`` in TheoremQA's test set (counts 216, 378, 115, 61, 12,
18 of 800). Any other value is a malformed record."""

Gold = str | int | float | bool | list | None
"""A reference answer: ``str`` (math LaTeX, choice letter, TheoremQA option),
``int`` (AIME, TheoremQA integer), ``float``/``bool``/``list`` (TheoremQA), or
``None`` when the dataset has no usable answer (graded ``bad_gold``)."""


@dataclass(frozen=True)
class Example:
    """One benchmark item.

    Frozen so that a loaded benchmark can be shared between threads without
    copies; ``meta`` and list-valued ``gold`` are plain containers (not
    read-only views) so that examples pickle into worker processes and dump to
    JSON as they are. Do not mutate them.

    Attributes:
        id (`str`):
            Stable identifier, unique within the benchmark: MATH's ``unique_id``
            (``"test/precalculus/807.json"``), AIME's ``id`` (``"60"``),
            MMLU-Pro's ``question_id`` (``"9701"``), TheoremQA's ``id``
            (``"jianyu_xu/Lah_number_6.json"``). Items loaded from a hub copy
            that lacks ids get their 0-based position (``"hub/17"``).
        question (`str`):
            The problem text as the dataset gives it, without options or
            instructions (those are added by the benchmark's ``prompt``).
        gold (`Gold`):
            The reference answer in the form ``verify.grade`` expects for the
            benchmark's task: LaTeX string (math), ``int`` (aime), the typed
            TheoremQA value (theoremqa), the option letter ``"A"``-``"J"``
            (choice). ``None`` when the dataset has none; such items grade
            ``bad_gold``.
        answer_type (`str`, *optional*):
            TheoremQA's ``Answer_type`` (one of :data:`THEOREMQA_ANSWER_TYPES`);
            ``None`` for every other benchmark.
        meta (`dict`):
            Everything else worth keeping, per benchmark: ``subject``/``level``/
            ``solution`` (MATH), ``solution``/``url`` (AIME), ``options``/
            ``category``/``src`` (MMLU-Pro), ``needs_picture``/``picture``/
            ``field``/``subfield``/``theorem`` (TheoremQA).
    """

    id: str
    question: str
    gold: Gold
    answer_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class BenchmarkDataError(ValueError):
    """A benchmark record is malformed; the message names the file and the record.

    Attributes:
        source (`str`): the file path, or ``hub:<dataset id>`` for hub rows.
        line (`int`, *optional*): 1-based line number (JSONL files, or where
            a JSON file stops parsing).
        record (`int`, *optional*): 0-based position of the record (JSON lists,
            parquet rows, hub rows).
        problem (`str`): what is wrong, naming the field.
    """

    def __init__(
        self, source: str, problem: str, *, line: int | None = None, record: int | None = None
    ) -> None:
        where = ""
        if line is not None:
            where = f", line {line}"
        elif record is not None:
            where = f", record {record} (0-based)"
        super().__init__(f"{source}{where}: {problem}")
        self.source = source
        self.line = line
        self.record = record
        self.problem = problem


class BenchmarkUnavailableError(OSError):
    """No local copy was given and the Hugging Face hub could not be reached.

    Subclasses ``OSError`` (like the ``ConnectionError`` it wraps) so that
    callers that already handle I/O failures keep working.
    """


class InvalidRecord(ValueError):
    """Raised by record parsers; the loader adds the file and line and re-raises
    it as :class:`BenchmarkDataError`. Parsers never know where a record came from."""
