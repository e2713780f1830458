"""The harness with a scripted backend: reasoning blocks, resume, regrade, defaults.

A scripted backend returns chosen texts instead of sampling, so each test
states exactly which responses the verifier sees, and counts what the harness
asks of it (resume must not regenerate finished problems).
"""

from __future__ import annotations

import json

import pytest

from longcot.benchmarks import get_benchmark
from longcot.evaluate import ConfigMismatchError, EvalConfig, ResultStore, regrade, run_eval
from longcot.evaluate import backends as eval_backends
from longcot.generate.types import Completion

REQUIRED_FIELDS = {
    "benchmark",
    "id",
    "sample",
    "prompt",
    "response",
    "extracted",
    "verdict",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
    "truncated",
}


class ScriptedBackend:
    """Answers each prompt with ``script(gold, sample) -> (text, finish_reason)``."""

    name = "scripted"

    def __init__(self, golds: dict[str, object], script, *, template_suffix: str | None = None):
        self.golds = golds
        self.script = script
        self.template_suffix = template_suffix
        self.calls: list[tuple[list[str], int]] = []  # (questions, n) per generate call
        self.fail_on_call: int | None = None

    def _question(self, prompt) -> str:
        text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
        return next(q for q in self.golds if q in text)

    def render(self, prompt) -> str | None:
        if self.template_suffix is None:
            return None
        return f"<|user|>{prompt[-1]['content']}<|assistant|>{self.template_suffix}"

    def generate(self, prompts, params):
        if self.fail_on_call == len(self.calls) + 1:
            raise RuntimeError("killed")
        questions = [self._question(p) for p in prompts]
        self.calls.append((questions, params.n))
        out = []
        for q in questions:
            row = []
            for s in range(params.n):
                text, finish = self.script(self.golds[q], s)
                row.append(Completion(text, (), finish, 10, len(text.split())))
            out.append(row)
        return out

    def close(self) -> None:
        pass


@pytest.fixture
def math_golds(benchmarks_dir):
    examples = get_benchmark("math500").load(benchmarks_dir, limit=3)
    return {ex.question.strip(): ex.gold for ex in examples}


def _config(tmp_path, benchmarks_dir, **kw):
    settings = dict(
        model="scripted",
        output=str(tmp_path / "out"),
        benchmarks=("math500",),
        limit=3,
        samples=2,
        data_dir=str(benchmarks_dir),
        grade_workers=1,
    )
    settings.update(kw)
    return EvalConfig(**settings)


def _lines(tmp_path, bench="math500"):
    path = tmp_path / "out" / f"{bench}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _no_backend_loading(monkeypatch):
    def refuse(config):
        raise AssertionError("the harness loaded a backend although nothing was left to generate")

    monkeypatch.setattr(eval_backends, "open_backend", refuse)


# -- reasoning blocks ------------------------------------------------------------

CASES = {
    # closed block: the answer after </think> counts, not the box inside it
    "closed": (
        lambda g, s: (f"<think>maybe \\boxed{{0}}</think> So \\boxed{{{g}}}.", "stop"),
        "correct",
    ),
    # cut off at the cap inside the block: no answer, although the box holds the gold
    "unclosed_at_cap": (lambda g, s: (f"<think>so far \\boxed{{{g}}} and", "length"), "no_answer"),
    # no markers at all: the whole response is graded
    "none": (lambda g, s: (f"So the answer is \\boxed{{{g}}}.", "stop"), "correct"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reasoning_block_cases(tmp_path, benchmarks_dir, math_golds, case):
    script, status = CASES[case]
    result = run_eval(
        _config(tmp_path, benchmarks_dir), backend=ScriptedBackend(math_golds, script)
    )
    lines = _lines(tmp_path)
    assert {line["verdict"]["status"] for line in lines} == {status}
    summary = result.summary["benchmarks"]["math500"]
    if case == "unclosed_at_cap":
        assert all(line["truncated"] and line["extracted"] is None for line in lines)
        assert summary["cap_hit_rate"] == 1.0 and summary["no_answer_rate"] == 1.0
        assert summary["accuracy"] == 0.0 and summary["accuracy_truncated"] == 0.0
    else:
        assert summary["accuracy"] == 1.0 and summary["accuracy_finished"] == 1.0


def test_template_that_opens_the_block_requires_its_close(tmp_path, benchmarks_dir, math_golds):
    # An R1-style template ends with "<think>\n": the response starts inside the
    # block, so a box without "</think>" is unfinished reasoning.
    def script(gold, sample):
        if sample == 0:
            return f"reasoning \\boxed{{{gold}}}", "length"
        return f"reasoning</think> \\boxed{{{gold}}}", "stop"

    backend = ScriptedBackend(math_golds, script, template_suffix="<think>\n")
    run_eval(_config(tmp_path, benchmarks_dir), backend=backend)
    by_sample = {(line["sample"], line["verdict"]["status"]) for line in _lines(tmp_path)}
    assert by_sample == {(0, "no_answer"), (1, "correct")}
    assert all(line["require_think_close"] for line in _lines(tmp_path))


def test_markers_off_grades_whole_responses(tmp_path, benchmarks_dir, math_golds):
    backend = ScriptedBackend(math_golds, CASES["unclosed_at_cap"][0])
    run_eval(_config(tmp_path, benchmarks_dir, think_markers=None), backend=backend)
    assert {line["verdict"]["status"] for line in _lines(tmp_path)} == {"correct"}


# -- lines, defaults, summary ------------------------------------------------------


def test_lines_summary_and_paper_default_samples(tmp_path, benchmarks_dir):
    golds = {
        ex.question.strip(): ex.gold for ex in get_benchmark("aime24").load(benchmarks_dir, limit=1)
    }
    backend = ScriptedBackend(golds, lambda g, s: (f"\\boxed{{{g if s < 4 else 1}}}", "stop"))
    config = _config(tmp_path, benchmarks_dir, benchmarks=("aime24",), limit=1, samples=None)
    result = run_eval(config, backend=backend)
    lines = _lines(tmp_path, "aime24")
    assert len(lines) == 16 and backend.calls[0][1] == 16  # AIME: 16 samples per problem
    assert all(set(line) >= REQUIRED_FIELDS for line in lines)
    aime = result.summary["benchmarks"]["aime24"]
    assert aime["accuracy"] == pytest.approx(4 / 16)
    assert aime["pass@16"] == 1.0 and aime["maj@16"] == 0.0 and aime["maj@4"] == 1.0
    assert {p.name for p in result.files} == {"summary.json", "summary.md"}
    assert "| pass@16 |" in (tmp_path / "out" / "summary.md").read_text()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["benchmarks"]["aime24"]


def test_backend_returning_the_wrong_shape_is_an_error(tmp_path, benchmarks_dir, math_golds):
    backend = ScriptedBackend(math_golds, CASES["none"][0])
    backend.generate = lambda prompts, params: [[] for _ in prompts]
    with pytest.raises(RuntimeError, match="returned"):
        run_eval(_config(tmp_path, benchmarks_dir), backend=backend)


# -- resume ----------------------------------------------------------------------------


def test_resume_after_a_crash_regenerates_nothing_finished(tmp_path, benchmarks_dir, math_golds):
    # chunk_completions=2 with 2 samples: one problem per backend call, 3 calls in all.
    config = _config(tmp_path, benchmarks_dir, chunk_completions=2)
    crashing = ScriptedBackend(math_golds, CASES["none"][0])
    crashing.fail_on_call = 2
    with pytest.raises(RuntimeError, match="killed"):
        run_eval(config, backend=crashing)
    first = crashing.calls[0][0][0]
    assert {line["sample"] for line in _lines(tmp_path)} == {0, 1}  # problem 1 was kept

    resumed = ScriptedBackend(math_golds, CASES["none"][0])
    result = run_eval(config, backend=resumed)
    asked = [q for questions, _ in resumed.calls for q in questions]
    assert first not in asked and len(asked) == 2
    keys = [(line["id"], line["sample"]) for line in _lines(tmp_path)]
    assert len(keys) == len(set(keys)) == 6
    assert (result.generated, result.skipped) == (4, 2)


def test_a_partly_done_problem_gets_only_its_missing_samples(tmp_path, benchmarks_dir, math_golds):
    script = lambda g, s: (f"sample {s}: \\boxed{{{g}}}", "stop")  # noqa: E731
    config = _config(tmp_path, benchmarks_dir, limit=1, samples=3)
    run_eval(config, backend=ScriptedBackend(math_golds, script))
    path = tmp_path / "out" / "math500.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n")  # only sample 0 survived

    again = ScriptedBackend(math_golds, script)
    run_eval(config, backend=again)
    assert [n for _, n in again.calls] == [3]  # seeds follow sample indices: regenerate 0..2
    after = _lines(tmp_path)
    assert [line["sample"] for line in after] == [0, 1, 2]  # 0 kept, 1 and 2 appended
    assert all(line["response"].startswith(f"sample {line['sample']}:") for line in after)


def test_finished_run_loads_no_backend(tmp_path, benchmarks_dir, math_golds, monkeypatch):
    config = _config(tmp_path, benchmarks_dir)
    run_eval(config, backend=ScriptedBackend(math_golds, CASES["none"][0]))
    _no_backend_loading(monkeypatch)
    result = run_eval(config)
    assert (result.generated, result.skipped) == (0, 6)


def test_mismatch_fails_before_generating(tmp_path, benchmarks_dir, math_golds):
    run_eval(
        _config(tmp_path, benchmarks_dir), backend=ScriptedBackend(math_golds, CASES["none"][0])
    )
    backend = ScriptedBackend(math_golds, CASES["none"][0])
    with pytest.raises(ConfigMismatchError, match="max_new_tokens"):
        run_eval(_config(tmp_path, benchmarks_dir, max_new_tokens=99), backend=backend)
    assert backend.calls == []


def test_extending_samples_keeps_existing_lines(tmp_path, benchmarks_dir, math_golds):
    backend = ScriptedBackend(math_golds, CASES["none"][0])
    run_eval(_config(tmp_path, benchmarks_dir, limit=1, samples=1), backend=backend)
    run_eval(_config(tmp_path, benchmarks_dir, limit=2, samples=2), backend=backend)
    assert sorted((line["id"], line["sample"]) for line in _lines(tmp_path)) == sorted(
        (i, s) for i in {line["id"] for line in _lines(tmp_path)} for s in (0, 1)
    )
    assert len(_lines(tmp_path)) == 4


# -- regrade --------------------------------------------------------------------------------


def test_regrade_regrades_without_generating(tmp_path, benchmarks_dir, math_golds, monkeypatch):
    config = _config(tmp_path, benchmarks_dir)
    run_eval(config, backend=ScriptedBackend(math_golds, CASES["closed"][0]))
    store = ResultStore(config.output)
    # As if an older verifier had got every sample wrong.
    stale = [
        {**row, "verdict": {"status": "incorrect", "extracted": "0"}, "extracted": "0"}
        for row in store.read("math500")
    ]
    store.rewrite("math500", stale)
    _no_backend_loading(monkeypatch)
    result = regrade(config)
    lines = _lines(tmp_path)
    assert len(lines) == 6 and {line["verdict"]["status"] for line in lines} == {"correct"}
    assert all(line["extracted"] == line["verdict"]["extracted"] != "0" for line in lines)
    assert result.summary["benchmarks"]["math500"]["accuracy"] == 1.0


def test_regrade_of_an_empty_folder_is_an_error(tmp_path, benchmarks_dir):
    with pytest.raises(FileNotFoundError, match="nothing to regrade"):
        regrade(_config(tmp_path, benchmarks_dir))


# -- an HTTP backend -----------------------------------------------------------------------


def test_openai_backend_through_the_harness(tmp_path, benchmarks_dir, math_golds, caplog):
    """Token counts come from the server's usage; reasoning split out by the server
    (``reasoning_content``) and cut off at the cap is no answer, not graded."""
    import httpx

    from longcot.generate.openai_backend import OpenAIBackend

    def handler(request):
        body = json.loads(request.content)
        gold = next(g for q, g in math_golds.items() if q in body["messages"][-1]["content"])
        if body["seed"] % 2 == 0:  # sample 0: finished, answer after the reasoning
            message = {"content": f"\\boxed{{{gold}}}", "reasoning_content": "hmm"}
            finish = "stop"
        else:  # sample 1: still reasoning at the cap, a box inside the reasoning
            message = {"content": "", "reasoning_content": f"maybe \\boxed{{{gold}}}"}
            finish = "length"
        return httpx.Response(
            200,
            json={
                "choices": [{"message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 7},
            },
        )

    backend = OpenAIBackend("served", transport=httpx.MockTransport(handler))
    result = run_eval(_config(tmp_path, benchmarks_dir, backend="openai"), backend=backend)
    lines = _lines(tmp_path)
    assert {(line["sample"], line["verdict"]["status"], line["truncated"]) for line in lines} == {
        (0, "correct", False),
        (1, "no_answer", True),
    }
    assert {(line["prompt_tokens"], line["completion_tokens"]) for line in lines} == {(12, 7)}
    assert result.summary["benchmarks"]["math500"]["accuracy_truncated"] == 0.0
    assert "does not show its rendered prompts" in caplog.text
