"""One small object per benchmark: where its data lives, how to prompt, how to score.

Where ``load`` reads from, first match wins:

1. ``source``, a file (read as it is, format by suffix) or a folder holding
   the benchmark's file directly (``<folder>/test.jsonl``) or in its
   subfolder (``<folder>/math500/test.jsonl``);
2. the ``LONGCOT_DATA`` environment variable, a folder laid out like
   ``shared/data/benchmarks`` (``<folder>/<benchmark dir>/<file>``);
3. the public Hugging Face dataset, through ``datasets.load_dataset``.

A local source that is given but lacks the file is an error, never a silent
fall-back to the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .example import TASKS, BenchmarkDataError, Example, InvalidRecord, Task
from .hub import load_hub_rows
from .prompts import Message, PromptTemplate, render_prompt
from .readers import Position, read_records

if TYPE_CHECKING:
    from longcot.verify import Verdict

DATA_ENV = "LONGCOT_DATA"
"""Environment variable naming a local benchmarks folder."""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: its data, its prompt style and its verifier task.

    Picklable (its callables are module-level functions) and stateless, so
    one object serves every thread and worker.

    Attributes:
        name (`str`):
            Registry key, e.g. ``"math500"``.
        task (`Task`):
            The ``longcot.verify.grade`` task: ``math``, ``aime``,
            ``theoremqa`` or ``choice``. It also picks the prompt style.
        parse_record (`Callable[[Mapping], Example]`):
            Validates one raw record and builds its :class:`Example`; raises
            ``InvalidRecord`` naming the bad field.
        local_dir (`str`):
            The benchmark's folder inside a benchmarks folder (``"mmlu_pro"``).
        local_files (`tuple[str, ...]`):
            File names tried in that folder, in order (``"test.jsonl"``).
        hub_id (`str`):
            Hugging Face dataset id used when no local copy is given.
        hub_split (`str`):
            The split of ``hub_id`` to load.
        hub_config (`str`, *optional*):
            The configuration of ``hub_id``; ``None`` for the default.
        hub_adapter (`Callable[[list[dict]], list[dict]]`, *optional*):
            Rewrites hub rows into the local layout (restores typed answers,
            adds ids, subsamples); ``None`` when the layouts already agree.
        default_samples (`int`, *optional*, defaults to `4`):
            Samples per problem in the paper's evaluation (§2.5: AIME 16,
            others 4); accuracy is the mean over them. At least 1.
        description (`str`, *optional*):
            One line for listings.
    """

    name: str
    task: Task
    parse_record: Callable[[Mapping[str, Any]], Example]
    local_dir: str
    local_files: tuple[str, ...]
    hub_id: str
    hub_split: str
    hub_config: str | None = None
    hub_adapter: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
    default_samples: int = 4
    description: str = ""

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(
                f"Benchmark {self.name!r}: task must be one of {TASKS}, got {self.task!r}"
            )
        if self.default_samples < 1:
            raise ValueError(
                f"Benchmark {self.name!r}: default_samples must be >= 1, got {self.default_samples}"
            )
        if not self.local_files:
            raise ValueError(f"Benchmark {self.name!r}: local_files must name at least one file")

    # -- data -------------------------------------------------------------

    def local_path(self, source: str | os.PathLike | None = None) -> Path | None:
        """The local file ``load(source)`` would read, or ``None`` for the hub.

        Raises:
            FileNotFoundError: ``source`` (or ``$LONGCOT_DATA``) is given but
                holds no file of this benchmark; the message lists the paths tried.
        """
        if source is not None:
            return self._find(Path(source), "the source argument")
        env = os.environ.get(DATA_ENV)
        if env:
            return self._find(Path(env), f"${DATA_ENV}")
        return None

    def _find(self, root: Path, origin: str) -> Path:
        if root.is_file():
            return root
        tried = [root / f for f in self.local_files] + [
            root / self.local_dir / f for f in self.local_files
        ]
        for path in tried:
            if path.is_file():
                return path
        listing = ", ".join(str(p) for p in tried)
        raise FileNotFoundError(
            f"no {self.name} data at {root} (from {origin}); looked for {listing}"
        )

    def load(
        self, source: str | os.PathLike | None = None, *, limit: int | None = None
    ) -> list[Example]:
        """Load and validate the benchmark's examples, in file order.

        Args:
            source (`str | PathLike`, *optional*):
                A local file or folder (see the module docstring). ``None``:
                ``$LONGCOT_DATA`` if set, else the Hugging Face hub.
            limit (`int`, *optional*):
                Keep only the first ``limit`` examples (only those are parsed).

        Raises:
            BenchmarkDataError: a record is malformed (bad JSON, a missing or
                ill-typed field, an impossible answer) or two share an id; the
                message names the file and line (JSONL) or 0-based record.
            FileNotFoundError: a local source was given but has no data file.
            BenchmarkUnavailableError: no local source and the hub is unreachable.
        """
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
        path = self.local_path(source)
        if path is not None:
            return self._parse_all(str(path), read_records(path, limit))
        rows = load_hub_rows(
            self.hub_id,
            self.hub_config,
            self.hub_split,
            local_hint=(
                f"Pass a local file or folder (get_benchmark('{self.name}').load('/path/to/benchmarks'), a folder "
                f"laid out as <folder>/{self.local_dir}/{self.local_files[0]}) or set "
                f"{DATA_ENV}=/path/to/benchmarks."
            ),
        )
        if self.hub_adapter is not None:
            rows = self.hub_adapter(rows)
        if limit is not None:
            rows = rows[:limit]
        return self._parse_all(
            f"hub:{self.hub_id}", ((("record", i), r) for i, r in enumerate(rows))
        )

    def _parse_all(
        self, source: str, records: Iterable[tuple[Position, Mapping[str, Any]]]
    ) -> list[Example]:
        examples: list[Example] = []
        first_seen: dict[str, Position] = {}
        for (kind, number), record in records:
            where = {kind: number}
            try:
                example = self.parse_record(record)
            except InvalidRecord as e:
                raise BenchmarkDataError(source, str(e), **where) from e
            if example.id in first_seen:
                other_kind, other_number = first_seen[example.id]
                raise BenchmarkDataError(
                    source,
                    f"duplicate id {example.id!r} (first at {other_kind} {other_number})",
                    **where,
                )
            first_seen[example.id] = (kind, number)
            examples.append(example)
        return examples

    # -- prompting and scoring --------------------------------------------

    def prompt(
        self, example: Example, template: str | PromptTemplate = "default"
    ) -> list[Message] | str:
        """The prompt for ``example``: chat messages, or one string for a
        template with ``chat=False`` (``"plain"``). ``template`` is a name in
        ``longcot.benchmarks.TEMPLATES`` or a ``PromptTemplate``."""
        return render_prompt(template, self.task, example)

    def score(self, example: Example, response: str, **grade_kwargs: Any) -> Verdict:
        """Grade one response with ``longcot.verify.grade`` for this benchmark's task.

        ``grade_kwargs`` pass through (``timeout``, reasoning markers). An
        example whose gold is ``None`` grades ``bad_gold``: the verifier, not
        this method, owns that policy.
        """
        # Imported here so that loading and prompting never start the
        # verifier's worker machinery.
        from longcot.verify import grade

        return grade(
            response,
            example.gold,
            task=self.task,
            answer_type=example.answer_type,
            **grade_kwargs,
        )
