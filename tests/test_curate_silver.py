"""``longcot silver``: answers by rule or model, agreement, the RL prompt set and what was dropped."""

from __future__ import annotations

import json

import pytest

from curate_support import ScriptedTeacher, read_jsonl, write_jsonl
from longcot.config import DataSection, load_recipe
from longcot.curate import run_silver
from longcot.train.rl.prompts import load_prompts

PAIRS = [
    {"id": "a", "question": "Qa: 2+2?", "solution": r"2+2 is \boxed{4}."},
    {"id": "b", "question": "Qb: 3+4?", "solution": "Adding gives seven, so 7 in total"},
    {"id": "c", "question": "Qc: 10/2?", "solution": "Halve it. The answer is 5."},
    {"id": "d", "question": "Qd: who?", "solution": "We cannot tell from this."},
    {"id": "e", "question": "Qe: 3*4?", "solution": "Multiply.", "answer": "12"},
    {"id": "f", "question": "Qf: 1+1?", "solution": r"\boxed{2}"},
]

SAMPLES = {
    "Qa": [r"\boxed{4}", r"\boxed{5}"],
    "Qb": [r"\boxed{6}", r"\boxed{6}"],
    "Qc": [r"so \boxed{5}", r"\boxed{5.0}"],
    "Qe": [r"\boxed{11}", r"\boxed{12}"],
}


def script(text: str, s: int):
    if "What final answer does the reference solution reach?" in text:
        return (r"\boxed{7}" if "seven" in text else r"\boxed{NONE}"), "stop", 4
    key = text.split(":")[0].split()[-1]
    return SAMPLES[key][s], "stop", 6


def _recipe(tmp_path, *sets):
    source = write_jsonl(tmp_path / "web.jsonl", PAIRS)
    return load_recipe(
        None,
        [
            f"data.source={source}",
            "model.path=scripted",
            f"run.output={tmp_path / 'run'}",
            "rollout.n=2",
            "curate.backoff=0",
            "curate.retries=0",
            "curate.chunk_completions=2",
            "reward.grade_workers=0",
            "run.progress=false",
            *sets,
        ],
        command="silver",
    )


def test_silver_keeps_agreed_pairs_and_says_why_the_others_went(tmp_path):
    teacher = ScriptedTeacher(script, fail=lambda text: text.startswith("Qf"))
    result = run_silver(_recipe(tmp_path), backend=teacher)
    s = result.summary
    assert (s["pairs"], s["kept"]) == (6, 3)
    assert s["answers"] == {"given": 1, "rule": 3, "model": 1}  # a, c, f by rule; b by the model
    assert s["dropped"] == {"no_answer": 1, "answer_failed": 0, "incomplete": 1, "disagreed": 1}
    assert s["agreement"] == {"0": 1, "1": 2, "2": 1}
    out = tmp_path / "run"
    prompts = read_jsonl(out / "prompts.jsonl")
    assert prompts == [
        {"id": "a", "problem": "Qa: 2+2?", "gold": "4", "task": "math", "answer_type": None},
        {"id": "c", "problem": "Qc: 10/2?", "gold": "5", "task": "math", "answer_type": None},
        {"id": "e", "problem": "Qe: 3*4?", "gold": "12", "task": "math", "answer_type": None},
    ]
    dropped = {d["id"]: d for d in read_jsonl(out / "dropped.jsonl")}
    assert dropped["b"]["reason"] == "disagreed" and "'7'" in dropped["b"]["detail"]
    assert dropped["d"]["reason"] == "no_answer" and "NONE" in dropped["d"]["detail"]
    assert dropped["f"]["reason"] == "incomplete"
    # What longcot rl reads, as it reads it.
    items = load_prompts(DataSection(source=str(out / "prompts.jsonl")))
    assert [(i.id, i.gold, i.task) for i in items] == [
        ("a", "4", "math"),
        ("c", "5", "math"),
        ("e", "12", "math"),
    ]
    assert json.loads((out / "run.json").read_text())["kind"] == "silver"
    # A rerun with a working teacher fills the failed samples; nothing else is generated.
    fixed = ScriptedTeacher(lambda text, s: (r"\boxed{2}", "stop", 6))
    again = run_silver(_recipe(tmp_path), backend=fixed)
    assert again.summary["generated"] == 2 and again.summary["kept"] == 4


def test_without_the_model_fallback_unboxed_solutions_are_dropped(tmp_path):
    teacher = ScriptedTeacher(script)
    result = run_silver(
        _recipe(tmp_path, "curate.answer_fallback=false", "data.limit=4"), backend=teacher
    )
    assert result.summary["answers"]["model"] == 0
    assert result.summary["dropped"]["no_answer"] == 2  # b and d
    assert not any("What final answer" in p for p in teacher.prompts_seen)


def test_a_judge_sees_the_reference_solution(tmp_path):
    def judging(text: str, s: int):
        if "VERDICT:" in text:
            return "VERDICT: correct", "stop", 2
        return script(text, s)

    teacher = ScriptedTeacher(judging)
    result = run_silver(_recipe(tmp_path, "reward.verifier=judge", "data.limit=3"), backend=teacher)
    judged = [p for p in teacher.prompts_seen if "VERDICT:" in p]
    assert len(judged) == 6 and any(r"2+2 is \boxed{4}." in p for p in judged)
    assert result.summary["kept"] == 3  # the judge agreed with every sample


def test_the_rule_reads_math_train_solutions_as_their_own_answers(benchmarks_dir):
    """The strict rule on MATH's reference solutions agrees with the dataset's answers."""
    from dataclasses import replace

    from longcot.curate import load_items
    from longcot.curate.silver import rule_answer
    from longcot.verify import grade_many

    recipe = load_recipe(
        None,
        ["data.source=math_train", f"data.data_dir={benchmarks_dir}", "data.limit=200"],
        command="silver",
    )
    items = load_items(recipe.data, recipe.curate, task="math", need_gold=False)
    answers = [rule_answer(replace(i, gold=None), "strict") for i in items]
    assert all(a is not None and a[1] in ("rule: boxed", "rule: boxes") for a in answers)
    verdicts = grade_many(
        [
            {"response": rf"\boxed{{{a[0]}}}", "gold": i.gold}
            for i, a in zip(items, answers, strict=True)
        ],
        workers=0,
    )
    assert [v.status for v in verdicts].count("correct") == len(items)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "x", "question": "q"}, r"web\.jsonl:1: no 'solution' \(or 'reference'\) text"),
        ({"id": "x", "solution": "s"}, r"web\.jsonl:1: needs 'prompt'"),
    ],
)
def test_malformed_pairs_name_file_and_line(tmp_path, row, message):
    from longcot.curate import CurationDataError

    source = write_jsonl(tmp_path / "web.jsonl", [row])
    recipe = load_recipe(
        None,
        [f"data.source={source}", "model.path=m", f"run.output={tmp_path / 'o'}"],
        command="silver",
    )
    with pytest.raises(CurationDataError, match=message):
        run_silver(recipe, backend=ScriptedTeacher(script))
