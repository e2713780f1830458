"""One loader for every recipe: sectioned YAML + ``--set section.key=value`` overrides.

A recipe is a YAML mapping of sections (``sections.py``)::

    model:     {path: smollm2-135m-instruct}
    rollout:   {n: 4, max_new_tokens: 256}
    reward:    {preset: paper}
    run:       {output: runs/x, max_steps: 20}

Rules, each an error that names the file (or ``--set``) and the key:
- an unknown section, or a section the command does not read;
- an unknown key in a section (the message lists the known ones);
- a value a section rejects (the section's own check says why).

``--set rollout.n=8`` parses ``8`` as YAML (so it is an int), and nested keys
reach into mappings (``--set rollout.backend_options.threads=2``). Command
defaults (``COMMAND_DEFAULTS``) sit under the file, the file under ``--set``.

The flat files of longcot 0.1 (an eval recipe, a reward YAML) are still read:
their keys are moved into sections with a warning that shows the new layout.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .checks import SettingError
from .curate_section import CurateSection
from .sections import (
    AlgorithmSection,
    DataSection,
    EvalSection,
    ModelSection,
    OptimSection,
    RolloutSection,
    RunSection,
)

log = logging.getLogger(__name__)

SECTIONS: tuple[str, ...] = (
    "model",
    "data",
    "rollout",
    "reward",
    "algorithm",
    "optim",
    "eval",
    "run",
    "curate",
)

_TYPES: dict[str, type] = {
    "model": ModelSection,
    "data": DataSection,
    "rollout": RolloutSection,
    "algorithm": AlgorithmSection,
    "optim": OptimSection,
    "eval": EvalSection,
    "run": RunSection,
    "curate": CurateSection,
}

COMMAND_SECTIONS: dict[str, tuple[str, ...]] = {
    "eval": ("model", "rollout", "eval", "run"),
    "sft": ("model", "data", "optim", "eval", "run"),
    "rl": ("model", "data", "rollout", "reward", "algorithm", "optim", "eval", "run"),
    "sample": ("model", "data", "rollout", "reward", "curate", "run"),
    "construct": ("model", "data", "rollout", "reward", "curate", "run"),
    "silver": ("model", "data", "rollout", "reward", "curate", "run"),
    "serve-reward": ("reward",),
}
"""Which sections each command reads; any other section in its recipe is an error."""

COMMAND_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    # Paper §3.1: SFT at lr 5e-6 (RL's 5e-7 is the section default).
    "sft": {"optim": {"lr": 5e-6}},
}


class RecipeError(ValueError):
    """A recipe cannot be used; the message names the file or ``--set`` and the key."""


@dataclass(frozen=True)
class Recipe:
    """Every section, validated. Sections a command does not read keep their defaults."""

    model: ModelSection
    data: DataSection
    rollout: RolloutSection
    reward: Any
    """A :class:`longcot.rewards.RewardSpec` (``None`` when the command has no reward)."""
    algorithm: AlgorithmSection
    optim: OptimSection
    eval: EvalSection
    run: RunSection
    curate: CurateSection = dataclasses.field(default_factory=CurateSection)
    source: str = "defaults"
    command: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The resolved recipe as plain data (written to a run folder as ``recipe.yaml``)."""
        out: dict[str, Any] = {}
        for name in COMMAND_SECTIONS.get(self.command, SECTIONS):
            section = getattr(self, name)
            if section is None:
                continue
            data = section.to_dict() if name == "reward" else dataclasses.asdict(section)
            out[name] = _plain(data)
        return out

    def replace(self, **sections: Any) -> Recipe:
        return dataclasses.replace(self, **sections)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def parse_set(item: str) -> tuple[list[str], Any]:
    """``"rollout.n=8"`` -> ``(["rollout", "n"], 8)``; the value is read as YAML."""
    import yaml

    from longcot.yamlio import load_yaml

    key, sep, raw = item.partition("=")
    path = [p.strip() for p in key.split(".")]
    if not sep or len(path) < 2 or not all(path):
        raise RecipeError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. rollout.n=8")
    try:
        value = load_yaml(raw) if raw.strip() else None
    except yaml.YAMLError as e:
        raise RecipeError(f"--set {item!r}: the value is not valid YAML ({e})") from None
    return path, value


def read_recipe_file(path: str | os.PathLike, command: str) -> dict[str, Any]:
    """The file's sections as a dict (flat 0.1 files migrated); errors name the file."""
    import yaml

    from longcot.yamlio import load_yaml

    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = load_yaml(fh) or {}
    except OSError as e:
        raise RecipeError(f"{path}: cannot read the recipe ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise RecipeError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    if _is_flat(data):
        data = _migrate_flat(data, command, path)
    for name, body in data.items():
        if body is None:
            data[name] = {}
        elif not isinstance(body, dict):
            raise RecipeError(
                f"{path}: section {name!r} must be a mapping of keys, got {type(body).__name__}"
            )
    return data


def _is_flat(data: dict[str, Any]) -> bool:
    """A longcot 0.1 file: settings at the top level, with scalar values where
    sections would hold mappings (``model: m``, ``output: o``). A misspelt
    section (``evl: {...}``) is not flat: it stays an unknown-section error."""
    return any(value is not None and not isinstance(value, dict) for value in data.values())


def _migrate_flat(data: dict[str, Any], command: str, path: Path) -> dict[str, Any]:
    """Read a longcot 0.1 flat recipe into sections, and show the new layout."""
    import yaml

    if command == "serve-reward" or (command != "eval" and "max_length" in data):
        out: dict[str, Any] = {"reward": dict(data)}
    elif command == "eval":
        out = {}
        for key, value in data.items():
            if key == "model":
                out.setdefault("model", {})["path"] = value
            elif key in ("backend", "backend_options"):
                out.setdefault("rollout", {})[key] = value
            elif key == "output":
                out.setdefault("run", {})["output"] = value
            else:
                out.setdefault("eval", {})[key] = value
    else:
        bad = next((k for k, v in data.items() if k in SECTIONS and not isinstance(v, dict)), None)
        if bad is not None:
            raise RecipeError(
                f"{path}: section {bad!r} must be a mapping of keys, got {type(data[bad]).__name__}"
            )
        raise RecipeError(
            f"{path}: expected sections ({', '.join(SECTIONS)}) at the top level, "
            f"found keys {sorted(data)}"
        )
    log.warning(
        "%s uses the flat recipe format of longcot 0.1; read as these sections "
        "(rewrite the file this way):\n%s",
        path,
        yaml.safe_dump(out, sort_keys=False).rstrip(),
    )
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _nested(path: list[str], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return out


def load_recipe(
    path: str | os.PathLike | None = None,
    sets: Sequence[str] = (),
    *,
    command: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recipe:
    """Read, merge and validate a recipe for ``command``.

    Args:
        path: the YAML file, or ``None`` (command defaults and overrides only).
        sets: ``--set SECTION.KEY=VALUE`` strings, applied last.
        command: which command reads it (``COMMAND_SECTIONS``).
        overrides: ``{section: {key: value}}`` from a command's own options
            (``--model``, ``--output``), applied between the file and ``sets``.

    Raises:
        RecipeError: naming the file or ``--set`` and the key.
    """
    if command not in COMMAND_SECTIONS:
        raise ValueError(f"unknown command {command!r}; known: {sorted(COMMAND_SECTIONS)}")
    allowed = COMMAND_SECTIONS[command]
    source = str(path) if path is not None else "the command line"
    layers: list[tuple[str, dict[str, Any]]] = [("defaults", COMMAND_DEFAULTS.get(command, {}))]
    if path is not None:
        layers.append((source, read_recipe_file(path, command)))
    if overrides:
        layers.append(("the command line", {k: dict(v) for k, v in overrides.items() if v}))
    set_layer: dict[str, Any] = {}
    for item in sets:
        key_path, value = parse_set(item)
        set_layer = _merge(set_layer, _nested(key_path, value))
    layers.append(("--set", set_layer))

    merged: dict[str, Any] = {}
    origin: dict[tuple[str, str], str] = {}
    for where, layer in layers:
        for name, body in layer.items():
            if name not in SECTIONS:
                raise RecipeError(
                    f"{where}: unknown section {name!r}; sections: {', '.join(SECTIONS)}"
                )
            if name not in allowed:
                raise RecipeError(
                    f"{where}: section {name!r} is not used by `longcot {command}` "
                    f"(it reads {', '.join(allowed)})"
                )
            for key in body:
                origin[(name, key)] = where
        merged = _merge(merged, layer)

    built: dict[str, Any] = {}
    for name, cls in _TYPES.items():
        built[name] = _build_section(name, cls, merged.get(name, {}), origin, source)
    built["reward"] = _build_reward(merged, allowed, built["rollout"], origin, source)
    return Recipe(**built, source=source, command=command)


def _where(origin: dict[tuple[str, str], str], section: str, key: str | None, source: str) -> str:
    return origin.get((section, key), source) if key else source


def _build_section(
    name: str, cls: type, body: dict[str, Any], origin: dict[tuple[str, str], str], source: str
) -> Any:
    known = [f.name for f in fields(cls)]
    unknown = [k for k in body if k not in known]
    if unknown:
        key = unknown[0]
        raise RecipeError(
            f"{_where(origin, name, key, source)}: unknown key {name}.{key}; "
            f"known keys of {name}: {', '.join(known)}"
        )
    try:
        return cls(**body)
    except SettingError as e:
        top = e.key.split(".")[0]
        raise RecipeError(f"{_where(origin, name, top, source)}: {name}.{e}") from None


def _build_reward(
    merged: dict[str, Any],
    allowed: tuple[str, ...],
    rollout: RolloutSection,
    origin: dict[tuple[str, str], str],
    source: str,
) -> Any:
    if "reward" not in allowed:
        return None
    from longcot.rewards import RewardSpec  # no torch; verify is imported lazily by it

    body = dict(merged.get("reward", {}))
    if "max_length" not in body:
        if "rollout" not in allowed:
            raise RecipeError(f"{source}: reward.max_length is required (the generation budget)")
        body["max_length"] = rollout.max_new_tokens  # the budget the rollout runs with
    try:
        return RewardSpec.from_dict(body)
    except (ValueError, TypeError) as e:
        key = next((k for k in body if f"{k}" in str(e)), None)
        raise RecipeError(f"{_where(origin, 'reward', key, source)}: reward: {e}") from None


def load_reward(path: str | os.PathLike, overrides: Mapping[str, Any] | None = None) -> Any:
    """The :class:`~longcot.rewards.RewardSpec` of any recipe file's ``reward``
    section (the other sections are not read, except ``rollout.max_new_tokens``
    as the budget when ``reward.max_length`` is unset). ``overrides`` (reward
    keys) win. For adapters and ``serve-reward``, which take any recipe."""
    source = str(path)
    data = read_recipe_file(path, "serve-reward")
    reward = {**data.get("reward", {}), **(overrides or {})}
    origin = {("reward", k): "the command line" for k in overrides or {}}
    if "rollout" not in data:
        return _build_reward({"reward": reward}, ("reward",), RolloutSection(), origin, source)
    rollout = _build_section("rollout", RolloutSection, data["rollout"], origin, source)
    return _build_reward({"reward": reward}, ("reward", "rollout"), rollout, origin, source)
