"""``longcot sample`` with a scripted teacher: exact acceptance, tokens and files; resume; shards; failures."""

from __future__ import annotations

import json

import pytest

from curate_support import ScriptedTeacher, read_jsonl, write_jsonl
from longcot import cli
from longcot.config import load_recipe
from longcot.curate import CurationDataError, merge_shards, run_sample
from longcot.runs import ConfigMismatchError
from longcot.train.sft_data import read_messages_jsonl

PROBLEMS = [
    {"id": "p1", "problem": "One?", "gold": "1"},
    {"id": "p2", "problem": "Two?", "gold": "2"},
    {"id": "p3", "problem": "Three?", "gold": "3"},
]

# (text, finish_reason, tokens) per problem and sample index; tokens are 10 + s.
OUTPUTS = {
    "One?": [r"so \boxed{1}", r"so \boxed{9}", r"so  \boxed{1}", r"then \boxed{1}"],
    "Two?": [r"\boxed{5}", r"\boxed{6}", r"\boxed{7}", r"cut off \boxed{2}"],
    "Three?": [r"a \boxed{3}", "a \\boxed{3} ", r"b: \boxed{3}", "no idea"],
}


def script(text: str, s: int):
    question = next(q for q in OUTPUTS if q in text)
    finish = "length" if (question, s) == ("Two?", 3) else "stop"
    return OUTPUTS[question][s], finish, 10 + s


@pytest.fixture
def source(tmp_path):
    return write_jsonl(tmp_path / "problems.jsonl", PROBLEMS)


def _recipe(source, out, *sets):
    return load_recipe(
        None,
        [
            f"data.source={source}",
            "model.path=scripted",
            f"run.output={out}",
            "rollout.n=4",
            "curate.ns=[1, 2, 4]",
            "curate.keep_per_prompt=2",
            "curate.backoff=0",
            "reward.grade_workers=0",
            "run.progress=false",
            *sets,
        ],
        command="sample",
    )


def test_acceptance_tokens_and_drops_are_exact(source, tmp_path):
    """Hand-computed from OUTPUTS (keep at most 2 per prompt, exact dedup, drop truncated)."""
    result = run_sample(_recipe(source, tmp_path / "run"), backend=ScriptedTeacher(script))
    by_n = {row["n"]: row for row in result.summary["by_n"]}
    # N=1: p1 s0 and p3 s0 correct; p2 s0 wrong.
    assert by_n[1]["acceptance"] == pytest.approx(2 / 3)
    assert (by_n[1]["kept"], by_n[1]["tokens_kept"], by_n[1]["coverage"]) == (
        2,
        20,
        pytest.approx(2 / 3),
    )
    # N=2: shares 1/2, 0/2, 2/2; p3 s1 is p3 s0 up to whitespace.
    assert by_n[2]["acceptance"] == pytest.approx(0.5)
    assert by_n[2]["dropped"]["duplicate"] == 1 and by_n[2]["dropped"]["not_correct"] == 3
    # N=4: shares 3/4, 1/4 (truncated, so not kept), 3/4; p1 s2 duplicates p1 s0.
    assert by_n[4]["acceptance"] == pytest.approx(1.75 / 3)
    assert by_n[4]["solved"] == 1.0 and by_n[4]["coverage"] == pytest.approx(2 / 3)
    assert (by_n[4]["kept"], by_n[4]["tokens_kept"]) == (4, 10 + 13 + 10 + 12)
    assert by_n[4]["dropped"] == {
        "not_correct": 5,
        "truncated": 1,
        "no_closed_think": 0,
        "duplicate": 2,
        "near_duplicate": 0,
        "over_limit": 0,
    }
    out = tmp_path / "run"
    rows = read_jsonl(out / "sft_n4.jsonl")
    assert [(r["id"], r["sample"]) for r in rows] == [("p1", 0), ("p1", 3), ("p3", 0), ("p3", 2)]
    assert rows[0]["messages"][-1] == {"role": "assistant", "content": r"so \boxed{1}"}
    assert rows[0]["messages"][0]["role"] == "user" and "One?" in rows[0]["messages"][0]["content"]
    # What longcot sft reads, as it reads it.
    assert [e.response for e in read_messages_jsonl(out / "sft_n4.jsonl")] == [
        r"so \boxed{1}",
        r"then \boxed{1}",
        r"a \boxed{3}",
        r"b: \boxed{3}",
    ]
    candidates = read_jsonl(out / "candidates" / "problems.jsonl")
    assert len(candidates) == 12 and {c["verdict"]["status"] for c in candidates} == {
        "correct",
        "incorrect",
        "no_answer",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["by_n"] == result.summary["by_n"]
    assert {"recipe.yaml", "run.json", "metrics.jsonl", "summary.md", "by_n.png"} <= {
        p.name for p in out.iterdir()
    }
    assert json.loads((out / "run.json").read_text())["kind"] == "sample"
    per_prompt = read_jsonl(out / "per_prompt.jsonl")
    assert per_prompt[1] == {
        "id": "p2",
        "by_n": {
            "1": {"candidates": 1, "correct": 0, "kept": 0},
            "2": {"candidates": 2, "correct": 0, "kept": 0},
            "4": {"candidates": 4, "correct": 1, "kept": 0},
        },
    }


def test_smaller_n_datasets_are_nested_in_larger_ones(source, tmp_path):
    run_sample(_recipe(source, tmp_path / "run"), backend=ScriptedTeacher(script))
    keys = {
        n: {(r["id"], r["sample"]) for r in read_jsonl(tmp_path / "run" / f"sft_n{n}.jsonl")}
        for n in (1, 2, 4)
    }
    assert keys[1] <= keys[2] <= keys[4]


def test_resume_after_a_kill_loses_and_duplicates_nothing(source, tmp_path):
    reference = run_sample(
        _recipe(source, tmp_path / "ref", "curate.chunk_completions=4"),
        backend=ScriptedTeacher(script),
    )
    out = tmp_path / "killed"
    recipe = _recipe(source, out, "curate.chunk_completions=4")  # one prompt per backend call
    with pytest.raises(KeyboardInterrupt):
        run_sample(recipe, backend=ScriptedTeacher(script, interrupt_after=3))
    partial = read_jsonl(out / "candidates" / "problems.jsonl")
    assert 0 < len(partial) < 12
    teacher = ScriptedTeacher(script)
    result = run_sample(recipe, backend=teacher)
    rows = read_jsonl(out / "candidates" / "problems.jsonl")
    keys = [(r["id"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12
    assert result.summary["generated"] == 12 - len(partial)
    assert result.summary["by_n"] == reference.summary["by_n"]
    for n in (1, 2, 4):
        assert (out / f"sft_n{n}.jsonl").read_bytes() == (
            tmp_path / "ref" / f"sft_n{n}.jsonl"
        ).read_bytes()
    # A third run finds everything stored and asks the teacher nothing.
    again = ScriptedTeacher(script)
    assert run_sample(recipe, backend=again).summary["skipped"] == 12 and again.calls == 0


def test_more_candidates_extend_a_run_and_keep_the_first_ones(source, tmp_path):
    out = tmp_path / "run"
    run_sample(
        _recipe(source, out, "rollout.n=2", "curate.ns=[1, 2]"), backend=ScriptedTeacher(script)
    )
    first = (out / "sft_n2.jsonl").read_bytes()
    result = run_sample(_recipe(source, out), backend=ScriptedTeacher(script))
    assert result.summary["generated"] == 6 and result.summary["skipped"] == 6
    assert (out / "sft_n2.jsonl").read_bytes() == first


def test_shards_merged_equal_one_run(source, tmp_path):
    run_sample(_recipe(source, tmp_path / "one"), backend=ScriptedTeacher(script))
    shards = []
    for i in range(2):
        folder = tmp_path / f"shard{i}"
        run_sample(_recipe(source, folder, f"curate.shard={i}/2"), backend=ScriptedTeacher(script))
        shards.append(folder)
    assert [r["id"] for r in read_jsonl(shards[1] / "candidates" / "problems.jsonl")][::4] == ["p2"]
    merged = merge_shards(shards, tmp_path / "merged")
    one = json.loads((tmp_path / "one" / "summary.json").read_text())
    assert merged.summary["by_n"] == one["by_n"]
    for name in ("sft_n1.jsonl", "sft_n2.jsonl", "sft_n4.jsonl", "per_prompt.jsonl"):
        assert (tmp_path / "merged" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()

    def key(r):
        return r["id"], r["sample"]

    one_rows = sorted(read_jsonl(tmp_path / "one" / "candidates" / "problems.jsonl"), key=key)
    merged_rows = sorted(read_jsonl(tmp_path / "merged" / "candidates" / "problems.jsonl"), key=key)
    assert merged_rows == one_rows


def test_merge_refuses_missing_or_mismatched_shards(source, tmp_path):
    folders = []
    for i, extra in ((0, ()), (1, ("rollout.temperature=0.5",))):
        folder = tmp_path / f"s{i}"
        run_sample(
            _recipe(source, folder, f"curate.shard={i}/2", *extra), backend=ScriptedTeacher(script)
        )
        folders.append(folder)
    with pytest.raises(ValueError, match=r"give each of 0/2 … 1/2 exactly once"):
        merge_shards([folders[0]], tmp_path / "m")
    with pytest.raises(ValueError, match=r"other settings .*rollout\.temperature"):
        merge_shards(folders, tmp_path / "m")


def test_a_failing_teacher_is_retried_recorded_then_filled_by_a_rerun(source, tmp_path, caplog):
    out = tmp_path / "run"
    recipe = _recipe(source, out, "curate.chunk_completions=4", "curate.retries=2")
    teacher = ScriptedTeacher(script, fail=lambda text: "Two?" in text)
    result = run_sample(recipe, backend=teacher)
    # p2's call: the first try and 2 retries, then recorded; p1 and p3 went through.
    assert teacher.calls == 2 + 3
    errors = read_jsonl(out / "candidates" / "problems.errors.jsonl")
    assert errors == [
        {
            "benchmark": "problems",
            "id": "p2",
            "samples": [0, 1, 2, 3],
            "error": "RuntimeError: server error 500 (scripted)",
        }
    ]
    assert result.summary["failed"] == 4
    assert result.summary["by_n"][-1]["incomplete"] == 1
    assert "retry 1/2" in caplog.text
    fixed = run_sample(recipe, backend=ScriptedTeacher(script))
    assert fixed.summary["generated"] == 4
    assert fixed.summary["by_n"][-1]["incomplete"] == 0
    assert fixed.summary["by_n"][-1]["acceptance"] == pytest.approx(1.75 / 3)


def test_changed_settings_are_refused_before_any_generation(source, tmp_path):
    out = tmp_path / "run"
    run_sample(_recipe(source, out), backend=ScriptedTeacher(script))
    teacher = ScriptedTeacher(script)
    with pytest.raises(ConfigMismatchError, match=r"rollout\.temperature"):
        run_sample(_recipe(source, out, "rollout.temperature=0.3"), backend=teacher)
    assert teacher.calls == 0
    # Filters are not settings of the candidates: they re-derive without generating.
    again = run_sample(_recipe(source, out, "curate.keep_per_prompt=1"), backend=teacher)
    assert teacher.calls == 0 and again.summary["by_n"][-1]["kept"] == 2
    assert again.summary["by_n"][-1]["dropped"]["over_limit"] == 2


def test_where_selects_problems_by_field(tmp_path):
    rows = [
        {**p, "level": lvl}
        for p, lvl in zip(PROBLEMS, ("Level 1", "Level 2", "Level 1"), strict=True)
    ]
    source = write_jsonl(tmp_path / "problems.jsonl", rows)
    result = run_sample(
        _recipe(source, tmp_path / "run", "curate.where={level: Level 1}"),
        backend=ScriptedTeacher(script),
    )
    assert result.summary["prompts"] == 2
    with pytest.raises(CurationDataError, match=r"curate\.where field 'levl' is not a field"):
        run_sample(
            _recipe(source, tmp_path / "x", "curate.where={levl: 1}"),
            backend=ScriptedTeacher(script),
        )


def test_where_on_math_train_levels(benchmarks_dir, tmp_path):
    from longcot.curate import load_items

    recipe = load_recipe(
        None,
        [
            "data.source=math_train",
            f"data.data_dir={benchmarks_dir}",
            "data.limit=5",
            "curate.where={level: Level 1}",
        ],
        command="sample",
    )
    items = load_items(recipe.data, recipe.curate, task="math")
    assert len(items) == 5 and [i.index for i in items] == list(range(5))
    assert all(i.reference and i.gold for i in items)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"id": "a", "problem": "x", "gold": "1"}\n{"id": "b", "problem": "y"\n',
            r"problems\.jsonl:2: not valid JSON",
        ),
        ('{"id": "a", "problem": "x"}\n', r"problems\.jsonl:1: no 'gold' answer"),
        ('{"id": "a", "gold": "1"}\n', r"problems\.jsonl:1: needs 'prompt'"),
        (
            '{"id": "a", "problem": "x", "gold": 1}\n{"id": "a", "problem": "y", "gold": 2}\n',
            "id 'a' appears twice",
        ),
        ("[1, 2]\n", r"problems\.jsonl:1: expected a JSON object"),
    ],
)
def test_malformed_input_names_file_and_line(tmp_path, text, message):
    source = tmp_path / "problems.jsonl"
    source.write_text(text)
    teacher = ScriptedTeacher(script)
    with pytest.raises(CurationDataError, match=message):
        run_sample(_recipe(source, tmp_path / "run"), backend=teacher)
    assert teacher.calls == 0


def test_the_command_line_reports_bad_input_in_one_line(tmp_path, capsys):
    source = tmp_path / "problems.jsonl"
    source.write_text('{"id": "a", "problem": "x"}\n')
    code = cli.main(
        [
            "sample",
            "--model",
            "m",
            "--source",
            str(source),
            "--output",
            str(tmp_path / "o"),
            "--no-progress",
        ]
    )
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "problems.jsonl:1: no 'gold' answer" in err


def test_ns_above_n_is_an_error(source, tmp_path):
    with pytest.raises(
        ValueError, match=r"curate\.ns=\[1, 8\]: 8 candidates asked for, but rollout\.n is 4"
    ):
        run_sample(
            _recipe(source, tmp_path / "run", "curate.ns=[1, 8]"), backend=ScriptedTeacher(script)
        )


def test_the_judge_can_replace_the_rule_verifier(source, tmp_path):
    """verifier: judge without a judge model: the teacher judges (its calls interleave safely)."""

    def judge_or_answer(text: str, s: int):
        if "VERDICT:" in text:  # the judge prompt: say correct when the tail holds "then"
            tail = text.split("End of the student's response:")[1]
            return ("VERDICT: correct" if "then" in tail else "VERDICT: wrong"), "stop", 3
        return script(text, s)

    result = run_sample(
        _recipe(source, tmp_path / "run", "reward.verifier=judge"),
        backend=ScriptedTeacher(judge_or_answer),
    )
    [kept] = read_jsonl(tmp_path / "run" / "sft_n4.jsonl")
    assert (kept["id"], kept["sample"]) == ("p1", 3)
    rows = read_jsonl(tmp_path / "run" / "candidates" / "problems.jsonl")
    # Only p1 s3 says "then": the judge, not the rules, decided.
    assert [(r["id"], r["sample"]) for r in rows if r["verdict"]["status"] == "correct"] == [
        ("p1", 3)
    ]
    assert rows[0]["verdict"]["reason"] == "judge said 'wrong'"
    assert result.summary["by_n"][-1]["acceptance"] == pytest.approx(1 / 12)


def test_command_line_run_and_resume_by_folder(tmp_path, capsys):
    """A teacher given as module:Class; rerunning with --output alone reads the stored recipe."""
    source = write_jsonl(tmp_path / "problems.jsonl", PROBLEMS)  # golds 1, 2, 3
    out = tmp_path / "run"
    argv = ["sample", "--backend", "curate_support:EchoTeacher", "--model", "echo"]
    argv += ["--source", str(source), "--n", "4", "--ns", "2,4", "--output", str(out)]
    argv += ["--set", "reward.grade_workers=0", "--no-progress"]
    assert cli.main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    # Sample s answers s: p1 is right at s = 1, p2 at s = 2, p3 at s = 3.
    assert [(r["n"], r["kept"]) for r in summary["by_n"]] == [(2, 1), (4, 3)]
    printed = capsys.readouterr().out
    assert "12 generated now, 0 already stored" in printed and "sft_n4.jsonl" in printed
    assert cli.main(["sample", "--output", str(out), "--no-progress"]) == 0
    assert "0 generated now, 12 already stored" in capsys.readouterr().out
