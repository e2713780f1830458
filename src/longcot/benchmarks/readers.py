"""Read raw records from local benchmark files: JSONL, a JSON list, or parquet.

Each reader yields ``(position, record)`` pairs, where the position is what an
error message should point at: the 1-based line of a JSONL file (what editors
show), or the 0-based index of a record in a JSON list or parquet file (what
``data[i]`` / ``df.iloc[i]`` take). The format is chosen by the file suffix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .example import BenchmarkDataError

Position = tuple[str, int]
"""``("line", n)`` (1-based) or ``("record", i)`` (0-based)."""

RawRecords = Iterator[tuple[Position, dict[str, Any]]]


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON: a reference
    # answer of NaN can only be a corrupted file, so treat it as a parse error.
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def read_jsonl(path: Path, limit: int | None = None) -> RawRecords:
    """Records of a JSON-lines file; blank lines are skipped."""
    count = 0
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if limit is not None and count >= limit:
                return
            if not line.strip():
                continue
            try:
                record = _loads(line)
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                raise BenchmarkDataError(str(path), f"invalid JSON: {e}", line=lineno) from e
            if not isinstance(record, dict):
                raise BenchmarkDataError(
                    str(path),
                    f"expected a JSON object, got {type(record).__name__}",
                    line=lineno,
                )
            count += 1
            yield ("line", lineno), record


def read_json_list(path: Path, limit: int | None = None) -> RawRecords:
    """Records of a file holding one JSON array of objects (TheoremQA's layout)."""
    try:
        data = _loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise BenchmarkDataError(
            str(path), f"invalid JSON: {e.msg} (column {e.colno})", line=e.lineno
        ) from e
    except ValueError as e:  # NaN / Infinity
        raise BenchmarkDataError(str(path), f"invalid JSON: {e}") from e
    if not isinstance(data, list):
        raise BenchmarkDataError(
            str(path), f"expected a JSON array of records, got {type(data).__name__}"
        )
    for index, record in enumerate(data[:limit] if limit is not None else data):
        if not isinstance(record, dict):
            raise BenchmarkDataError(
                str(path), f"expected a JSON object, got {type(record).__name__}", record=index
            )
        yield ("record", index), record


def read_parquet(path: Path, limit: int | None = None) -> RawRecords:
    """Rows of a parquet file (the Hugging Face hub's export format).

    pyarrow comes with ``datasets``; it is imported here, not at module load,
    because only MMLU-Pro's full split ships as parquet.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as e:  # pyarrow.ArrowInvalid subclasses ValueError
        raise BenchmarkDataError(str(path), f"unreadable parquet file: {e}") from e
    if limit is not None:
        table = table.slice(0, limit)
    # to_pylist converts the whole table in C++ (about 0.15 s for MMLU-Pro's
    # 12,032 rows), far faster than pandas' row iteration.
    for index, record in enumerate(table.to_pylist()):
        yield ("record", index), record


READERS: dict[str, Callable[[Path, int | None], RawRecords]] = {
    ".jsonl": read_jsonl,
    ".json": read_json_list,
    ".parquet": read_parquet,
}
"""Reader per file suffix. A ``.json`` file must hold one array of records."""


def read_records(path: Path, limit: int | None = None) -> RawRecords:
    """Records of ``path``, read by the reader its suffix selects (see :data:`READERS`)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise BenchmarkDataError(
            str(path),
            f"unsupported file type {path.suffix!r}; expected one of {sorted(READERS)}",
        )
    return reader(path, limit)
