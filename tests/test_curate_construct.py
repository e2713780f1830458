"""``longcot construct``: the action state machine on scripted outputs, unparseable ones included."""

from __future__ import annotations

import json

import pytest

from curate_support import ScriptedTeacher, read_jsonl, write_jsonl
from longcot.config import load_recipe
from longcot.curate import Trace, parse_output, run_construct
from longcot.curate.templates import TemplateError, load_templates


@pytest.mark.parametrize(
    ("action", "output", "content", "next_action", "error"),
    [
        ("clarify", "We need x.", "We need x.", "decompose", None),
        # A choice the action does not offer is ignored where there is no choice.
        ("decompose", "1. add\nNEXT: answer", "1. add", "step", None),
        ("step", "2 + 3 = 5\nNEXT: reflect", "2 + 3 = 5", "reflect", None),
        ("step", "x = 1\n**Next action:** Answer", "x = 1", "answer", None),
        ("step", "x = 1\nnext - solution", "x = 1", "step", None),
        (
            "reflect",
            "Wait, redo.\nNEXT: reflection\nNEXT: step",
            "Wait, redo.\nNEXT: reflection",
            "step",
            None,
        ),
        (
            "step",
            "2 + 3 = 5",
            "2 + 3 = 5",
            None,
            "no 'NEXT: <action>' line; after step choose one of step, reflect, answer",
        ),
        (
            "reflect",
            "ok\nNEXT: clarify",
            "ok",
            None,
            "'NEXT: clarify' is not allowed after reflect; choose one of step, answer",
        ),
        ("step", "NEXT: answer", "", None, "the step output is empty apart from its NEXT line"),
        ("answer", r"so \boxed{5}", r"so \boxed{5}", None, None),
    ],
)
def test_parse_output(action, output, content, next_action, error):
    parsed = parse_output(action, output)
    assert (parsed.content, parsed.next, parsed.error) == (content, next_action, error)


def test_trace_walks_the_machine_and_the_cap_forces_the_answer():
    trace = Trace("p", 0, max_actions=4)
    assert trace.next_action == "clarify"
    trace.apply("clarify", "given x")
    trace.apply("decompose", "1. solve")
    trace.apply("step", "x = 2\nNEXT: reflect")  # the 3rd of 4 actions: only answer is left
    assert (trace.next_action, trace.forced_answer) == ("answer", True)
    trace.apply("answer", r"\boxed{2}")
    assert trace.status == "done" and trace.next_action is None
    assert trace.response(("<think>", "</think>")) == (
        "<think>\ngiven x\n\n1. solve\n\nx = 2\n</think>\n\n\\boxed{2}"
    )
    with pytest.raises(ValueError, match="expected None"):
        trace.apply("step", "more")


def test_a_failed_trace_keeps_its_reason_and_never_closes_its_block():
    trace = Trace("p", 1, max_actions=8)
    trace.apply("clarify", "c")
    trace.apply("decompose", "d")
    trace.apply("step", "no choice made")
    assert trace.status == "failed"
    assert trace.reason.startswith("step (action 3): no 'NEXT: <action>' line")
    assert trace.response(("<think>", "</think>")) == "<think>\nc\n\nd\n\nno choice made"


PROBLEMS = [
    {"id": "p1", "problem": "One?", "gold": "1"},
    {"id": "p2", "problem": "Two?", "gold": "2"},
]


def make_teacher(**kw):
    """Trace 0 of p1 forgets its NEXT line at its first step; p2's trace 1 answers wrong."""
    teacher = ScriptedTeacher(lambda text, s: ("", "stop", 1), **kw)

    def script(text: str, s: int):
        trace = teacher.params.seed  # run.seed 0 + trace index
        problem = "p1" if "One?" in text else "p2"
        if "Action: CLARIFY" in text:
            return "We are asked for a number.", "stop", 5
        if "Action: DECOMPOSE" in text:
            return "1. find it", "stop", 4
        if "Action: SOLUTION STEP" in text:
            if (problem, trace) == ("p1", 0):
                return "2 + 3 = 5", "stop", 6
            if text.count("[step]") == 0:
                return "x = 1\nNEXT: reflect", "stop", 6
            return "so it holds\nNEXT: answer", "stop", 6
        if "Action: REFLECT" in text:
            return "Wait, let me recheck: fine.\nNEXT: step", "stop", 8
        if "Action: ANSWER" in text:
            answer = "9" if (problem, trace) == ("p2", 1) else problem[1]
            return f"The answer is \\boxed{{{answer}}}.", "stop", 7
        raise AssertionError(f"unexpected prompt {text[:80]!r}")

    teacher.script = script
    return teacher


def _recipe(tmp_path, out, *sets):
    source = write_jsonl(tmp_path / "problems.jsonl", PROBLEMS)
    return load_recipe(
        None,
        [
            f"data.source={source}",
            "model.path=scripted",
            f"run.output={out}",
            "rollout.n=2",
            "curate.backoff=0",
            "reward.grade_workers=0",
            "run.progress=false",
            *sets,
        ],
        command="construct",
    )


def test_construct_grades_filters_and_keeps_failures_with_their_reason(tmp_path):
    out = tmp_path / "run"
    result = run_construct(_recipe(tmp_path, out), backend=make_teacher())
    s = result.summary
    assert (s["traces"], s["traces_done"], s["traces_failed"], s["forced_answers"]) == (4, 3, 1, 0)
    # 3 actions for the failed trace, 6 (clarify, decompose, step, reflect, step, answer) for the others.
    assert s["mean_actions"] == (3 + 6 * 3) / 4
    by_n = {row["n"]: row for row in s["by_n"]}
    assert by_n[1]["acceptance"] == 0.5 and by_n[1]["kept"] == 1  # p1's trace 0 failed
    assert by_n[2]["acceptance"] == 0.5 and by_n[2]["coverage"] == 1.0 and by_n[2]["kept"] == 2
    rows = {(r["id"], r["sample"]): r for r in read_jsonl(out / "candidates" / "problems.jsonl")}
    failed = rows[("p1", 0)]
    assert failed["construct"]["status"] == "failed"
    assert failed["verdict"]["status"] == "no_answer"
    assert "no 'NEXT: <action>' line" in failed["verdict"]["reason"]
    assert rows[("p2", 1)]["verdict"]["status"] == "incorrect"
    good = rows[("p1", 1)]
    assert good["construct"]["actions"] == [
        "clarify",
        "decompose",
        "step",
        "reflect",
        "step",
        "answer",
    ]
    assert good["completion_tokens"] == 5 + 4 + 6 + 8 + 6 + 7
    assert good["response"].startswith("<think>\nWe are asked for a number.\n\n1. find it\n\nx = 1")
    assert good["response"].endswith("</think>\n\nThe answer is \\boxed{1}.")
    sft = read_jsonl(out / "sft_n2.jsonl")
    assert [(r["id"], r["sample"]) for r in sft] == [("p1", 1), ("p2", 0)]
    assert sft[0]["messages"][0]["content"].startswith("One?")  # the problem's own prompt
    steps = read_jsonl(out / "steps" / "problems.jsonl")
    assert len(steps) == 3 + 6 * 3
    assert {r["action"] for r in steps} == {"clarify", "decompose", "step", "reflect", "answer"}
    assert json.loads((out / "run.json").read_text())["kind"] == "construct"


def test_the_cap_forces_an_answer(tmp_path):
    result = run_construct(
        _recipe(tmp_path, tmp_path / "run", "curate.max_actions=4"), backend=make_teacher()
    )
    assert result.summary["forced_answers"] == 3
    assert result.summary["mean_actions"] == (3 + 4 * 3) / 4


def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    reference = run_construct(_recipe(tmp_path, tmp_path / "ref"), backend=make_teacher())
    out = tmp_path / "run"
    recipe = _recipe(tmp_path, out)
    with pytest.raises(KeyboardInterrupt):
        run_construct(recipe, backend=make_teacher(interrupt_after=5))
    assert not (out / "candidates" / "problems.jsonl").exists()
    done = len(read_jsonl(out / "steps" / "problems.jsonl"))
    teacher = make_teacher()
    result = run_construct(recipe, backend=teacher)
    assert result.summary["generated_actions"] == 21 - done
    assert result.summary["by_n"] == reference.summary["by_n"]
    for name in ("sft_n1.jsonl", "sft_n2.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
    again = make_teacher()
    run_construct(recipe, backend=again)
    assert again.calls == 0


def test_user_templates_replace_the_packaged_ones_file_by_file(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "step.txt").write_text(
        "Problem: {{problem}}\nSo far: {{log}}\nAction: SOLUTION STEP (custom wording)\n"
    )
    teacher = make_teacher()
    run_construct(
        _recipe(tmp_path, tmp_path / "run", f"curate.templates={folder}"), backend=teacher
    )
    assert any("(custom wording)" in p for p in teacher.prompts_seen)
    assert any("Action: CLARIFY" in p for p in teacher.prompts_seen)  # still the packaged one
    (folder / "answer.txt").write_text("{{problem}} {{solution}}")
    with pytest.raises(TemplateError, match=r"answer\.txt: unknown placeholder \{\{solution\}\}"):
        load_templates(("answer",), str(folder))
