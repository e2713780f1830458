"""The output folder of a sample -> grade -> append run: incremental JSONL and its config.

Shared by evaluation, the trainer's periodic evaluation and curation (one
store, DESIGN §1). Layout::

    <output>/config.json          the settings of the latest invocation
    <output>/<group>.jsonl        one line per graded sample, appended as graded
                                  (a group is a benchmark, or a curation source)
    <output>/summary.json, ...    written by whoever owns the folder

Lines are appended and flushed to disk chunk by chunk, so a killed run loses
only the samples in flight. A kill can leave the last line half written; it is
dropped (and the file cut back to the last whole line) on the next read. A bad
line anywhere else is not a kill but corruption, and is an error naming the
file and line rather than a silent skip.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, Self


class StoredConfig(Protocol):
    """What a store needs of a run's settings: a JSON round trip and the
    fields that must agree when a run resumes into the folder."""

    def to_dict(self) -> dict[str, Any]: ...

    def fingerprint(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = ...) -> Self: ...


log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"

Key = tuple[str, int]
"""A sample's identity within a group: (problem id, sample index)."""


class ConfigMismatchError(ValueError):
    """Resuming into an output folder written with different result-deciding settings.

    Attributes:
        differences: field name -> (value in the folder, value now).
    """

    def __init__(self, path: Path, differences: dict[str, tuple[Any, Any]]) -> None:
        lines = "\n".join(
            f"  {name}: {old!r} in {path}, {new!r} now" for name, (old, new) in differences.items()
        )
        super().__init__(
            f"{path.parent} holds results of a different configuration, so resuming would mix "
            f"samples that are not comparable. Differing fields:\n{lines}\n"
            "Use another --output folder, or rerun with the stored values."
        )
        self.differences = differences


class ResultsFileError(ValueError):
    """A results file is corrupt somewhere other than its last line."""


def row_key(row: dict[str, Any]) -> Key:
    return (str(row["id"]), int(row["sample"]))


def _file_stem(group: str) -> str:
    # "module:attr" benchmarks make names that are not portable file names.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", group)


class ResultStore:
    """Reads and writes one output folder of graded samples.

    Args:
        root: the folder.
        config_type: the settings class stored in ``config.json``
            (:class:`longcot.evaluate.EvalConfig` by default).
    """

    def __init__(
        self, root: str | os.PathLike, config_type: type[StoredConfig] | None = None
    ) -> None:
        self.root = Path(root)
        if config_type is None:
            from longcot.evaluate.config import EvalConfig  # the common case

            config_type = EvalConfig
        self.config_type = config_type

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    def results_path(self, group: str) -> Path:
        return self.root / f"{_file_stem(group)}.jsonl"

    # -- config -----------------------------------------------------------

    def stored_config(self) -> StoredConfig | None:
        """The config of the folder's last run, or ``None`` for a new folder."""
        if not self.config_path.is_file():
            return None
        with self.config_path.open(encoding="utf-8") as fh:
            return self.config_type.from_dict(json.load(fh), source=str(self.config_path))

    def check_config(self, config: StoredConfig) -> None:
        """Accept ``config`` for this folder, or raise :class:`ConfigMismatchError`.

        Only the fields of ``config.fingerprint()`` must agree (for an eval,
        :data:`~longcot.evaluate.config.RESULT_FIELDS`); the stored config is
        then replaced by ``config``, so the folder records the latest
        groups, limit and samples.
        """
        stored = self.stored_config()
        if stored is not None:
            old, new = stored.fingerprint(), config.fingerprint()
            diff = {k: (old[k], new[k]) for k in new if old.get(k) != new[k]}
            if diff:
                raise ConfigMismatchError(self.config_path, diff)
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_atomic(self.config_path, json.dumps(config.to_dict(), indent=2) + "\n")

    # -- results ----------------------------------------------------------

    def read(self, group: str) -> list[dict[str, Any]]:
        """All lines of a group's results, in file order; ``[]`` if none yet.

        A half-written last line (a killed run) is dropped and cut from the
        file. Duplicate keys keep the first line (a warning says so).
        """
        path = self.results_path(group)
        if not path.is_file():
            return []
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the file ends with a newline, as every whole write does
        rows: list[dict[str, Any]] = []
        seen: set[Key] = set()
        offset = 0  # byte offset of the current line's start
        for lineno, line in enumerate(lines, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    key = row_key(row)
                except (
                    json.JSONDecodeError,
                    UnicodeDecodeError,
                    KeyError,
                    TypeError,
                    ValueError,
                ) as e:
                    if lineno != len(lines):
                        raise ResultsFileError(
                            f"{path}:{lineno}: not a valid result line ({e}); the file is "
                            "corrupt before its end, so it was not written by an interrupted run"
                        ) from e
                    log.warning(
                        "%s:%d: dropping a half-written last line (%d bytes) from an interrupted run",
                        path,
                        lineno,
                        len(line),
                    )
                    self._truncate(path, offset)
                    return rows
                if key in seen:
                    log.warning("%s:%d: duplicate sample %s; keeping the first", path, lineno, key)
                else:
                    seen.add(key)
                    rows.append(row)
            offset += len(line) + 1
        if raw and not raw.endswith(b"\n"):
            # The last line is whole but lost its newline: add it so appends start a new line.
            with path.open("ab") as fh:
                fh.write(b"\n")
        return rows

    def done(self, group: str) -> set[Key]:
        return {row_key(r) for r in self.read(group)}

    def append(self, group: str, rows: Iterable[dict[str, Any]]) -> None:
        """Append lines and push them to disk before returning (a kill keeps them)."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if not text:
            return
        with self.results_path(group).open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def rewrite(self, group: str, rows: Iterable[dict[str, Any]]) -> None:
        """Replace a group's results atomically (``--regrade``): a crash keeps the old file."""
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        self._write_atomic(self.results_path(group), text)

    def write_text(self, name: str, text: str) -> Path:
        path = self.root / name
        self._write_atomic(path, text)
        return path

    @staticmethod
    def _truncate(path: Path, size: int) -> None:
        with path.open("r+b") as fh:
            fh.truncate(size)

    @staticmethod
    def _write_atomic(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
