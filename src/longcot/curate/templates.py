"""Prompt templates for ``construct`` and ``silver``: plain text files users can edit.

The packaged files live in ``longcot/curate/templates/`` (``clarify.txt``,
``decompose.txt``, ``step.txt``, ``reflect.txt``, ``answer.txt``,
``silver_answer.txt``). ``curate.templates: DIR`` replaces them file by file:
a file in ``DIR`` with the same name wins, the others stay packaged.

A template is text with ``{{name}}`` placeholders, replaced in one pass (so a
problem or solution containing ``{{...}}`` or LaTeX braces is inserted as it
is). Each template may use only its own placeholders (:data:`PLACEHOLDERS`);
an unknown one is an error naming the file, since it would reach the model
unreplaced.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

ACTION_PLACEHOLDERS = ("problem", "log")

PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "clarify": ACTION_PLACEHOLDERS,
    "decompose": ACTION_PLACEHOLDERS,
    "step": ACTION_PLACEHOLDERS,
    "reflect": ACTION_PLACEHOLDERS,
    "answer": ACTION_PLACEHOLDERS,
    "silver_answer": ("problem", "solution"),
}
"""Template name -> the placeholders it may use."""

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


class TemplateError(ValueError):
    """A template file is missing or uses a placeholder it cannot have; the message names the file."""


def load_templates(names: tuple[str, ...], folder: str | None = None) -> dict[str, str]:
    """Template text by name: ``folder/<name>.txt`` when present, else the packaged file."""
    package = resources.files("longcot.curate") / "templates"
    if folder is not None and not Path(folder).is_dir():
        raise TemplateError(f"curate.templates {folder}: no such folder")
    out = {}
    for name in names:
        if name not in PLACEHOLDERS:
            raise TemplateError(f"unknown template {name!r}; known: {', '.join(PLACEHOLDERS)}")
        user = Path(folder) / f"{name}.txt" if folder is not None else None
        if user is not None and user.is_file():
            text, where = user.read_text(encoding="utf-8"), str(user)
        else:
            text, where = (package / f"{name}.txt").read_text(encoding="utf-8"), f"{name}.txt"
        unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(PLACEHOLDERS[name]))
        if unknown:
            raise TemplateError(
                f"{where}: unknown placeholder {{{{{unknown[0]}}}}}; "
                f"this template may use {', '.join('{{' + p + '}}' for p in PLACEHOLDERS[name])}"
            )
        out[name] = text
    return out


def fill(template: str, **values: str) -> str:
    """Replace every ``{{name}}`` by ``values[name]`` in one pass."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def digest(templates: dict[str, str]) -> str:
    """A short hash of the templates' text: editing one changes what a run generates."""
    h = hashlib.sha256()
    for name in sorted(templates):
        h.update(name.encode() + b"\0" + templates[name].encode() + b"\0")
    return h.hexdigest()[:16]
