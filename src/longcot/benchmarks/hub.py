"""Load a benchmark from the public Hugging Face hub when no local copy is given.

Hub copies do not all have the layout of the local files, so each benchmark
may name an adapter here that rewrites hub rows into the local layout; the
same record parser then validates both. ``datasets`` is imported only when
the hub is actually used (it costs about 1.5 s to import).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .example import BenchmarkUnavailableError

Rows = list[dict[str, Any]]


def load_hub_rows(dataset_id: str, config: str | None, split: str, *, local_hint: str) -> Rows:
    """All rows of one split of a hub dataset, as plain dicts.

    Args:
        dataset_id (`str`): e.g. ``"HuggingFaceH4/MATH-500"``.
        config (`str`, *optional*): the dataset configuration, or ``None``.
        split (`str`): e.g. ``"test"``.
        local_hint (`str`): how to give a local copy instead; it ends the
            error message when the hub cannot be reached.

    Raises:
        BenchmarkUnavailableError: ``datasets`` is missing, the machine is
            offline (``HF_HUB_OFFLINE=1`` and nothing cached, or no network),
            or the dataset does not exist.
    """
    try:
        import datasets
    except ImportError as e:
        raise BenchmarkUnavailableError(
            f"loading {dataset_id} from the Hugging Face hub needs the `datasets` package "
            f"(pip install datasets). {local_hint}"
        ) from e
    try:
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except OSError as e:
        # datasets raises ConnectionError when offline or unreachable (after
        # about 25 s of retries without HF_HUB_OFFLINE=1), and
        # DatasetNotFoundError (a FileNotFoundError) for a wrong id; both are
        # OSError. Anything else is a bug worth its own traceback.
        where = f"{dataset_id}" + (f" (config {config})" if config else "") + f", split {split!r}"
        raise BenchmarkUnavailableError(
            f"could not load {where} from the Hugging Face hub: {type(e).__name__}: {e}. "
            f"No local copy was given. {local_hint} Or run once with network access so "
            "that `datasets` caches it; the cache then also works with HF_HUB_OFFLINE=1."
        ) from e
    # to_list() returns the stored Arrow values, so an image column comes back
    # as {"bytes", "path"} without PIL decoding it.
    return ds.to_list()


# -- adapters: hub layout -> local layout --------------------------------------


def _typed_theoremqa_answer(text: str, answer_type: str) -> Any:
    """Undo ``str()`` on a TheoremQA answer (the hub copy stores ``"[1, 2]"``,
    ``"True"``, ``"0.25"``). Returns ``text`` unchanged when it does not parse,
    so that the record parser reports it with its position. No ``eval``: list
    reprs of ints and floats are valid JSON."""
    stripped = text.strip()
    try:
        if answer_type == "integer":
            return int(stripped)
        if answer_type == "float":
            value = float(stripped)
            return value if math.isfinite(value) else text
        if answer_type == "bool":
            return {"True": True, "False": False}.get(stripped, text)
        if answer_type.startswith("list of"):
            return json.loads(stripped)
    except ValueError:
        return text
    return text


def theoremqa_from_hub(rows: Rows) -> Rows:
    """``TIGER-Lab/TheoremQA`` keeps only Question, Answer (as ``str``),
    Answer_type and Picture (wenhuchen/TheoremQA push_to_hub.py): restore typed
    answers and give each row its position as id (``"hub/17"``)."""
    out = []
    for index, row in enumerate(rows):
        row = dict(row)
        row.setdefault("id", f"hub/{index}")
        answer, answer_type = row.get("Answer"), row.get("Answer_type")
        if isinstance(answer, str) and isinstance(answer_type, str):
            row["Answer"] = _typed_theoremqa_answer(answer, answer_type)
        out.append(row)
    return out


def math_train_from_hub(rows: Rows) -> Rows:
    """MATH-train hub copies hold problem/level/type/solution but no answer and
    no file id: the answer is the last ``\\boxed{}`` of the solution (as in the
    local file, through the verifier's own extractor, DESIGN §2), the id the
    row's position (``"hub/17"``)."""
    from longcot.verify.extract import last_boxed

    out = []
    for index, row in enumerate(rows):
        row = dict(row)
        row.setdefault("unique_id", f"hub/{index}")
        solution = row.get("solution")
        if "answer" not in row:
            row["answer"] = last_boxed(solution) if isinstance(solution, str) else None
        out.append(row)
    return out


def mmlu_pro_1k_subset(rows: Rows, size: int = 1000) -> Rows:
    """MMLU-Pro-1k from the 12,032-row MMLU-Pro test split.

    The recipe of the authors' harness (tongyx361/metagen,
    notebooks/downsample-mmlu-pro.ipynb): a stratified 1/12 of each ``src``
    group with seed 0 (1,004 rows), then ``size`` rows of that with seed 0,
    i.e. pandas ``groupby("src").sample(frac=1/12, random_state=0)`` then
    ``.sample(n=1000, random_state=0)``. Applied to the staged test split it
    gives exactly the staged ``mmlu-pro-1k.jsonl`` (a test checks this).
    """
    import pandas as pd

    # Sample positions only, so rows keep their Python lists (pandas would
    # turn the options into numpy arrays).
    frame = pd.DataFrame({"src": [row.get("src") for row in rows]})
    stratified = frame.groupby("src").sample(frac=1 / 12, random_state=0)
    if len(stratified) < size:
        raise ValueError(
            f"MMLU-Pro-1k needs the full MMLU-Pro test split: the stratified 1/12 sample "
            f"of these {len(rows)} rows has {len(stratified)} rows, fewer than {size}"
        )
    picked = stratified.sample(n=size, random_state=0)
    return [rows[position] for position in picked.index]
