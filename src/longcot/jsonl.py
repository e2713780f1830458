"""Read JSONL files whose errors name the file and line.

Every longcot command that reads user JSONL (``grade``, analysis of result
files) goes through :func:`iter_objects`, so a malformed line always fails
the same way: ``path:line: what is wrong``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path


class JsonlError(ValueError):
    """A malformed line; the message starts with ``path:line:``."""


def iter_objects(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each non-blank line (1-based numbers)."""
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise JsonlError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
            if not isinstance(row, dict):
                raise JsonlError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, row
