"""Shared by the SFT tests: a small chat dataset and a CPU recipe around the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

from longcot.config import load_recipe


def write_chat_jsonl(path: Path, n: int) -> Path:
    """``n`` chat rows whose replies differ in length (so per-micro-batch means would differ)."""
    rows = []
    for i in range(n):
        a, b = i % 7 + 1, i % 5 + 2
        steps = " ".join(f"{a} + {k} = {a + k}." for k in range(1 + (i * 3) % 11))
        reply = f"<think>\n{steps}\n</think>\nThe answer is \\boxed{{{a + b}}}."
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": f"What is {a} + {b}?"},
                    {"role": "assistant", "content": reply},
                ]
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def recipe(model_dir, data, output, *sets):
    base = [
        f"model.path={model_dir}",
        "model.device=cpu",
        "model.dtype=float32",
        f"data.source={data}",
        "data.max_length=256",
        "optim.lr=1e-3",
        "optim.warmup_ratio=0",
        "eval.after_training=false",
        f"run.output={output}",
        "run.progress=false",
    ]
    return load_recipe(None, [*base, *sets], command="sft")
