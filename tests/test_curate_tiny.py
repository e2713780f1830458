"""Real runs: ``longcot sample``/``construct`` with the tiny model on the hf backend, and a
served teacher that fails mid-run (``longcot serve-model``'s app with injected faults)."""

from __future__ import annotations

import json

import pytest

from curate_support import read_jsonl, write_jsonl
from longcot import cli
from longcot.commands.sample import build_recipe
from longcot.config import load_recipe
from longcot.curate import run_sample
from longcot.generate.hf import HFBackend
from longcot.generate.server import FaultPlan, create_app, serve_in_thread
from longcot.train.sft_data import ExampleEncoder, read_messages_jsonl


def _argv(model, out, *extra):
    # Rows without a task take reward.task: a user grader the random model passes
    # in about 1 sample in 15 (it writes a "{"; curate_support.has_brace).
    source = out.parent / "problems.jsonl"
    if not source.exists():
        write_jsonl(
            source,
            [
                {
                    "id": f"q{i}",
                    "prompt": [{"role": "user", "content": f"{i} + {i} = ?"}],
                    "gold": "x",
                }
                for i in range(6)
            ],
        )
    return [
        "sample",
        "--model",
        str(model),
        "--source",
        str(source),
        "--n",
        "8",
        "--output",
        str(out),
        "--no-progress",
        "--set",
        "rollout.max_new_tokens=24",
        "--set",
        "rollout.temperature=1.0",
        "--set",
        "rollout.backend_options.threads=1",
        "--set",
        "reward.task=curate_support:has_brace",
        "--set",
        "reward.grade_workers=0",
        "--set",
        "curate.drop_truncated=false",
        *extra,
    ]


def test_sample_end_to_end_with_the_tiny_model(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    assert cli.main(_argv(tiny_model_dir, out)) == 0
    rows = read_jsonl(out / "candidates" / "problems.jsonl")
    assert len(rows) == 48 and len({(r["id"], r["sample"]) for r in rows}) == 48
    summary = json.loads((out / "summary.json").read_text())
    assert [row["n"] for row in summary["by_n"]] == [1, 2, 4, 8]
    # The table is what the candidates file says.
    by_id: dict[str, list] = {}
    for r in rows:
        by_id.setdefault(r["id"], []).append(r["verdict"]["status"] == "correct")
    top = summary["by_n"][-1]
    assert top["acceptance"] == pytest.approx(sum(sum(v) / 8 for v in by_id.values()) / 6)
    assert top["correct"] == sum(map(sum, by_id.values())) > 0
    kept = read_jsonl(out / "sft_n8.jsonl")
    texts = {(r["id"], r["sample"]): r["response"] for r in rows}
    assert kept and all(k["messages"][-1]["content"] == texts[(k["id"], k["sample"])] for k in kept)
    assert top["tokens_kept"] == sum(k["completion_tokens"] for k in kept)
    # longcot sft reads and labels these rows with the student's tokenizer.
    from transformers import AutoTokenizer

    encoder = ExampleEncoder(AutoTokenizer.from_pretrained(tiny_model_dir))
    ids, labels = encoder(read_messages_jsonl(out / "sft_n8.jsonl")[0])
    assert len(ids) == len(labels) and any(label != -100 for label in labels)
    assert len(read_jsonl(out / "metrics.jsonl")) >= 1


@pytest.mark.slow
def test_killed_real_run_resumes_to_the_same_candidates(tiny_model_dir, tmp_path):
    """A kill after the first chunk; the rerun writes exactly the rest."""
    base = ["--set", "curate.chunk_completions=16"]
    assert cli.main(_argv(tiny_model_dir, tmp_path / "ref", *base)) == 0

    class Killed(HFBackend):
        calls = 0

        def generate(self, prompts, params):
            Killed.calls += 1
            if Killed.calls == 2:
                raise KeyboardInterrupt("killed")
            return super().generate(prompts, params)

    argv = _argv(tiny_model_dir, tmp_path / "run", *base)
    recipe = build_recipe(cli.build_parser(argv).parse_args(argv), "sample")
    backend = Killed(str(tiny_model_dir), device="cpu", threads=1)
    with pytest.raises(KeyboardInterrupt):
        run_sample(recipe, backend=backend)
    assert 0 < len(read_jsonl(tmp_path / "run" / "candidates" / "problems.jsonl")) < 48
    assert cli.main(argv) == 0
    ref = read_jsonl(tmp_path / "ref" / "candidates" / "problems.jsonl")
    got = read_jsonl(tmp_path / "run" / "candidates" / "problems.jsonl")

    def key(r):
        return r["id"], r["sample"]

    assert [(key(r), r["response"]) for r in sorted(got, key=key)] == [
        (key(r), r["response"]) for r in sorted(ref, key=key)
    ]
    assert (tmp_path / "run" / "sft_n8.jsonl").read_bytes() == (
        tmp_path / "ref" / "sft_n8.jsonl"
    ).read_bytes()


@pytest.mark.slow
def test_a_served_teacher_failing_mid_run_is_retried_recorded_and_resumed(tiny_model_dir, tmp_path):
    """Server errors and a time-out on the first prompt's requests: the openai backend
    retries, the loop retries the call, then records it; the other prompts go on, and
    a rerun fills the hole."""
    hf = HFBackend(str(tiny_model_dir), device="cpu", threads=1)
    faults = FaultPlan()
    with serve_in_thread(create_app(hf, "tiny", faults=faults)) as url:
        sets = [
            "model.path=tiny",
            "rollout.backend=openai",
            f"rollout.backend_options={{base_url: '{url}', max_retries: 1, backoff: 0.01, "
            "timeout: 3.0, max_concurrency: 1}",
            "data.source=arith_train",
            "data.limit=3",
            "rollout.n=1",  # one request per call: the faults land where they are meant to
            "rollout.max_new_tokens=8",
            f"run.output={tmp_path / 'run'}",
            "run.progress=false",
            "reward.grade_workers=0",
            "curate.chunk_completions=1",  # one prompt per backend call
            "curate.retries=1",
            "curate.backoff=0",
        ]
        recipe = load_recipe(None, sets, command="sample")
        # The first request waits past the client's 3 s time-out, the next three get 500:
        # the backend's two tries, twice (the loop retries the call once).
        faults.add(503, delay=4.0).add(500, times=3)
        result = run_sample(recipe)
        errors = read_jsonl(tmp_path / "run" / "candidates" / "arith_train.errors.jsonl")
        assert [(e["id"], e["samples"]) for e in errors] == [("arith_train/0", [0])]
        assert "OpenAIBackendError" in errors[0]["error"]
        assert result.summary["failed"] == 1 and result.summary["generated"] == 2
        assert result.summary["by_n"][-1]["incomplete"] == 1
        assert faults.injected == 4
        again = run_sample(recipe)
        assert again.summary["generated"] == 1 and again.summary["by_n"][-1]["incomplete"] == 0
    hf.close()
