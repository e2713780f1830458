"""Field checks shared by every recipe section: one error type that names the key.

Sections raise :class:`SettingError` with the bare field name; the loader
(``loader.py``) adds the file and the section, so a user reads
``recipes/x.yaml: algorithm.clip_low=-1: must be >= 0``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class SettingError(ValueError):
    """A setting is invalid; the message names it, its value and how to fix it."""

    def __init__(self, key: str, value: Any, hint: str) -> None:
        super().__init__(f"{key}={value!r}: {hint}")
        self.key = key
        self.value = value
        self.hint = hint


def is_int(value: Any) -> bool:
    # bool is an int subclass; "steps: yes" in YAML must not mean 1.
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(key: str, value: Any, *, low: int | None = None, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not is_int(value) or (low is not None and value < low):
        bound = f" >= {low}" if low is not None else ""
        raise SettingError(
            key, value, f"must be an integer{bound}" + (", or null" if optional else "")
        )


def check_number(
    key: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    optional: bool = False,
) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        parts = []
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low}")
        if high is not None:
            parts.append(f"<= {high}")
        bound = " " + " and ".join(parts) if parts else ""
        raise SettingError(
            key, value, f"must be a number{bound}" + (", or null" if optional else "")
        )


def check_choice(key: str, value: Any, choices: Iterable[str], *, escape: bool = False) -> None:
    """``value`` is one of ``choices`` (or, with ``escape``, a ``module:name`` string)."""
    choices = tuple(choices)
    if value in choices or (escape and isinstance(value, str) and ":" in value):
        return
    extra = " or 'module:name'" if escape else ""
    raise SettingError(key, value, f"must be one of {', '.join(choices)}{extra}")


def check_bool(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SettingError(key, value, "must be true or false")


def check_str(key: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise SettingError(
            key, value, "must be a non-empty string" + (", or null" if optional else "")
        )
