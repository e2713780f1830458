"""Hand-written run folders in the run-folder contract, for the analysis and report tests.

Each writer produces exactly the files a longcot command writes (``train/run_dir.py``'s
layout, ``longcot eval``'s folder), with values small enough to check by hand. The
real producers are exercised end to end in ``test_report_real_runs.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

# The final evaluation of make_rl: four arith responses, one sample each.
# correct: 10 and 20 tokens; wrong: 30 (incorrect) and 64 (no_answer, truncated).
FINAL_ROWS = [
    ("Wait, 3+4=7, recheck: 7. \\boxed{7}", 10, "correct", False),
    ("Alternatively, 1+1=2. \\boxed{2}", 20, "correct", False),
    ("\\boxed{5}", 30, "incorrect", False),
    ("1" * 64, 64, "no_answer", True),
]
START_ROWS = [
    ("\\boxed{1}", 40, "incorrect", False),
    ("2" * 64, 64, "no_answer", True),
    ("wait wait \\boxed{3}", 50, "incorrect", False),
    ("4" * 64, 64, "no_answer", True),
]


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def eval_row(bench: str, i: int, sample: int, text: str, tokens: int, status: str, cut: bool):
    """One line of ``<benchmark>.jsonl`` as ``longcot eval`` writes it."""
    return {
        "benchmark": bench,
        "id": f"{bench}/{i}",
        "sample": sample,
        "prompt": [{"role": "user", "content": f"problem {i}"}],
        "response": text,
        "extracted": None,
        "verdict": {
            "status": status,
            "extracted": None,
            "reason": "",
            "correct": status == "correct",
        },
        "gold": "7",
        "prompt_tokens": 5,
        "completion_tokens": tokens,
        "finish_reason": "length" if cut else "stop",
        "truncated": cut,
    }


def write_eval(folder: Path, rows, *, bench: str = "arith", accuracy: float | None = None) -> Path:
    """An evaluation folder: config.json, ``<bench>.jsonl`` (one sample per problem), summary.json."""
    write_json(folder / "config.json", {"model": "m", "benchmarks": [bench], "samples": 1})
    write_jsonl(
        folder / f"{bench}.jsonl",
        [eval_row(bench, i, 0, *r) for i, r in enumerate(rows)],
    )
    if accuracy is None:
        accuracy = sum(r[2] == "correct" for r in rows) / len(rows)
    summary = {
        "config": {"model": "m"},
        "benchmarks": {
            bench: {"problems": len(rows), "samples_per_problem": 1, "accuracy": accuracy}
        },
    }
    write_json(folder / "summary.json", summary)
    return folder


def run_json(kind: str, folder: Path, finished: bool = True) -> dict:
    return {
        "kind": kind,
        "name": folder.name,
        "model": "runs/model",
        "longcot_version": "0.1.0",
        "started": "2026-12-01T00:00:00+00:00",
        "finished": "2026-12-01T00:01:00+00:00" if finished else None,
    }


def rl_metrics_row(step: int) -> dict:
    """A metrics.jsonl row of an RL step; values are simple functions of the step."""
    return {
        "step": step,
        "elapsed_s": 2.0 * step,
        "reward/mean": -1.0 + 0.5 * step,
        "reward/correctness": -1.0 + 0.5 * step,
        "reward/repetition": -0.01,
        "accuracy": 0.2 * step,
        "length/mean": 40.0 + 5 * step,
        "length/p90": 60.0 + 5 * step,
        "length/correct_mean": 30.0 + step,
        "length/wrong_mean": 50.0 + step,
        "truncated_rate": 0.1,
        "repeated_token_rate": 0.02,
        "reflection/wait": 0.5,
        "kl": 0.001 * step,
        "entropy": 2.0 - 0.1 * step,
    }


# rollouts.jsonl of make_rl: per step, (text, length, status, truncated).
ROLLOUTS = {
    1: [
        ("Wait, no. \\boxed{1}", 12, "correct", False),
        ("\\boxed{2}", 8, "incorrect", False),
        ("Alternatively, \\boxed{3}", 16, "correct", False),
        ("x" * 32, 32, "no_answer", True),
    ],
    2: [
        ("\\boxed{1}", 6, "correct", False),
        ("\\boxed{1}", 6, "correct", False),
        ("Wait \\boxed{2}", 10, "incorrect", False),
        ("\\boxed{9}", 4, "bad_gold", False),
    ],
}


def make_rl(folder: Path, steps: int = 3, *, rollouts: bool = True) -> Path:
    """An RL run: metrics for ``steps`` steps, rollouts for steps 1-2, eval at 0 and final."""
    write_json(folder / "run.json", run_json("rl", folder))
    (folder / "recipe.yaml").write_text("# resolved recipe\nrun: {max_steps: 3}\n")
    write_jsonl(folder / "metrics.jsonl", [rl_metrics_row(s) for s in range(1, steps + 1)])
    write_json(
        folder / "summary.json", {"steps": steps, "seconds": 12.5, "final": rl_metrics_row(steps)}
    )
    if rollouts:
        write_jsonl(
            folder / "rollouts.jsonl",
            [
                {"step": s, "id": f"t/{i}", "sample": 0, "prompt": [], "response": text,
                 "reward": 0.0, "status": status, "length": n, "truncated": cut}
                for s, rows in ROLLOUTS.items()
                for i, (text, n, status, cut) in enumerate(rows)
            ],
        )  # fmt: skip
    write_eval(folder / "eval" / "step_000000", START_ROWS)
    write_eval(folder / "eval" / "final", FINAL_ROWS)
    return folder


def make_sft(
    folder: Path,
    tokens: int,
    accuracy: float,
    *,
    source: str = "arith_train",
    field: str = "long_cot",
) -> Path:
    """An SFT run that trained on ``tokens`` response tokens and scores ``accuracy`` at final."""
    write_json(folder / "run.json", run_json("sft", folder))
    (folder / "recipe.yaml").write_text(
        f"# resolved recipe\ndata:\n  source: {source}\n  solution_field: {field}\n"
    )
    write_jsonl(
        folder / "metrics.jsonl",
        [
            {"step": 1, "elapsed_s": 1.0, "loss": 2.0, "lr": 1e-3, "train_tokens": tokens // 2},
            {"step": 2, "elapsed_s": 2.0, "loss": 1.5, "lr": 1e-3, "train_tokens": tokens},
        ],
    )
    write_json(
        folder / "summary.json",
        {"train_tokens": tokens, "examples": 8, "steps": 2, "seconds": 3.0, "final_loss": 1.5},
    )
    n_correct = round(4 * accuracy)
    rows = [
        ("\\boxed{7}", 8 + i, "correct" if i < n_correct else "incorrect", False) for i in range(4)
    ]
    write_eval(folder / "eval" / "final", rows, accuracy=accuracy)
    return folder


def make_eval(folder: Path) -> Path:
    """A bare ``longcot eval`` output folder (no run.json): the starting model."""
    return write_eval(folder, START_ROWS)


BY_N = [
    {"n": 4, "prompts": 10, "acceptance": 0.4, "coverage": 0.8, "kept": 16, "tokens_kept": 4000},
    {"n": 1, "prompts": 10, "acceptance": 0.3, "coverage": 0.3, "kept": 3, "tokens_kept": 700},
    {"n": 2, "prompts": 10, "acceptance": 0.35, "coverage": 0.5, "kept": 7},  # no tokens_kept
]


def make_sample(folder: Path, *, with_run_json: bool = False, kind: str = "sample") -> Path:
    """A rejection-sampling folder: candidates/, sft_n*.jsonl and summary.json with by_n;
    with ``run.json`` (``kind`` sample or construct) and a metrics row per graded chunk."""
    if with_run_json:
        write_json(folder / "run.json", run_json(kind, folder))
        write_jsonl(folder / "metrics.jsonl", [{"step": 1, "elapsed_s": 1.0, "candidates": 40}])
    write_jsonl(folder / "candidates" / "arith_train.jsonl", [{"id": "a/0", "response": "x"}])
    write_jsonl(folder / "sft_n1.jsonl", [{"messages": []}])
    write_json(folder / "summary.json", {"by_n": BY_N, "teacher": "t"})
    return folder
