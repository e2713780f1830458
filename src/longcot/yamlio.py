"""YAML reading for recipes: safe, plus floats written the way ML people write them.

PyYAML follows YAML 1.1, where ``1e-3`` and ``5e-7`` are *strings* (a float
needs a dot: ``1.0e-3``). Learning rates are written ``5e-7`` in every paper
and recipe, so a safe loader that also resolves those as floats saves every
user the same confusing "must be a number" error.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class RecipeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``1e-3``-style numbers as floats."""


RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load_yaml(text_or_stream: Any) -> Any:
    """``yaml.load`` with :class:`RecipeLoader` (safe: plain data only)."""
    return yaml.load(text_or_stream, Loader=RecipeLoader)
