"""The model judge (``longcot.verify.judge``): parsing, verdicts, failures, and its use in reward, eval and curation."""

from __future__ import annotations

import json

import pytest

from curate_support import ScriptedTeacher
from longcot.config import RecipeError, load_recipe
from longcot.rewards import Response
from longcot.verify import JudgeSpec, judge_many, parse_judgement
from longcot.verify.judge import JudgeError, judge_prompt


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("VERDICT: correct", "correct"),
        ("The forms differ but agree.\nVERDICT: correct", "correct"),
        ("**Verdict:** wrong", "incorrect"),
        ("verdict: Incorrect", "incorrect"),
        ("VERDICT: not_found", "no_answer"),
        ("Verdict - not found", "no_answer"),
        ("correct", "correct"),  # a bare word on the last line
        ("`wrong`.", "incorrect"),
        # The last verdict wins (the judge corrected itself).
        ("VERDICT: correct\nOn second thought:\nVERDICT: wrong", "incorrect"),
        ("<think>VERDICT: correct?</think>\nVERDICT: wrong", "incorrect"),
    ],
)
def test_parse_judgement(reply, status):
    assert parse_judgement(reply)[0] == status


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "I think the answer is correct, or maybe wrong.",  # no verdict line, no bare word
        "The student is correct",
        "VERDICT: maybe",
        "<think>VERDICT: correct",  # its reasoning never closed
        "Correctness: high",
    ],
)
def test_unparseable_judgements_are_never_correct(reply):
    status, reason = parse_judgement(reply)
    assert status is None and "unparseable" in reason
    [verdict] = judge_many([{"response": "x = 5", "gold": "5"}], lambda prompts: [reply])
    assert verdict.status == "no_answer"


def test_judge_many_asks_only_what_it_must():
    asked: list[str] = []

    def judge(prompts):
        asked.extend(p[-1]["content"] for p in prompts)
        return ["VERDICT: correct"] * len(prompts)

    items = [
        {"response": "<think>long work</think> so \\boxed{5}", "gold": "5"},
        {"response": "<think>cut off at the cap", "gold": "5"},
        {"response": "x", "gold": ""},
        {"response": "y = 7", "gold": "7", "reference": "Since y = 7, the answer is 7."},
        {"response": "inside", "gold": "1", "require_think_close": True},
    ]
    verdicts = judge_many(items, judge, JudgeSpec(tail_chars=12))
    assert [v.status for v in verdicts] == [
        "correct",
        "no_answer",
        "bad_gold",
        "correct",
        "no_answer",
    ]
    assert len(asked) == 2
    # The judge sees the last 12 characters after the reasoning block, and the reference
    # solution where there is one.
    assert "End of the student's response:\nso \\boxed{5}" in asked[0]
    assert "long work" not in asked[0]
    assert "Since y = 7, the answer is 7." in asked[1]
    assert verdicts[0].extracted == "5"  # the rule extraction, for maj@k


def test_a_failing_judge_is_retried_then_timeout_never_correct():
    calls, sleeps = [], []

    def judge(prompts):
        calls.append(1)
        raise ConnectionError("judge server down")

    verdicts = judge_many(
        [{"response": "5", "gold": "5"}] * 2,
        judge,
        JudgeSpec(retries=2, backoff=0.5),
        sleep=sleeps.append,
    )
    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    assert {v.status for v in verdicts} == {"timeout"}
    assert verdicts[0].reason == "judge error: ConnectionError: judge server down"


def test_prompt_template_placeholders_are_replaced_once():
    text = judge_prompt("I wrote {{reference}} here", "ref {{response}}")
    assert "I wrote {{reference}} here" in text and "ref {{response}}" in text


def test_judge_settings_are_checked(tmp_path):
    with pytest.raises(JudgeError, match="unknown judge setting 'modle'"):
        JudgeSpec.from_dict({"modle": "x"})
    with pytest.raises(JudgeError, match=r"judge\.max_new_tokens=0"):
        JudgeSpec(max_new_tokens=0)
    bad = tmp_path / "t.txt"
    bad.write_text("only {{response}}")
    with pytest.raises(JudgeError, match=r"t\.txt: it lacks \{\{reference\}\}"):
        JudgeSpec(template=str(bad)).prompt_template()
    with pytest.raises(RecipeError, match=r"reward: judge\.model"):
        load_recipe(None, ["reward.judge.model=7"], command="sample")


def test_the_reward_section_takes_the_judge(tmp_path):
    """RL's RewardSpec grades through a judge backend (here a module:Class backend)."""
    recipe = load_recipe(
        None,
        [
            "reward.verifier=judge",
            "reward.judge.model=judge-model",
            "reward.judge.backend=curate_support:KeywordJudge",
            "reward.judge.backend_options.keyword=boxed{42}",
        ],
        command="rl",
    )
    spec = recipe.reward
    assert spec.judge.model == "judge-model" and recipe.to_dict()["reward"]["verifier"] == "judge"
    assert type(spec).from_dict(spec.to_dict()) == spec
    scored = spec.score(
        "42", [Response(r"so \boxed{42}", [1, 2]), Response(r"so \boxed{41}", [1, 2])]
    )
    assert [s.verdict.status for s in scored] == ["correct", "incorrect"]
    assert scored[0].outcome_reward > 0 > scored[1].outcome_reward
    # RL has no teacher to stand in: the judge model must be named.
    unnamed = load_recipe(None, ["reward.verifier=judge"], command="rl").reward
    with pytest.raises(JudgeError, match=r"judge\.model is not set"):
        unnamed.score("42", [Response("x", [1])])


def test_eval_with_the_judge(tmp_path):
    from longcot.evaluate import EvalConfig, run_eval

    def script(text: str, s: int):
        if "VERDICT:" in text:
            tail = text.split("End of the student's response:")[1]
            return ("VERDICT: correct" if "right" in tail else "VERDICT: wrong"), "stop", 2
        return ("right" if s == 0 else "nope"), "stop", 4

    config = EvalConfig(
        model="scripted",
        output=str(tmp_path / "eval"),
        benchmarks=("arith",),
        samples=2,
        limit=3,
        verifier="judge",
        grade_workers=0,
    )
    result = run_eval(config, backend=ScriptedTeacher(script))
    assert result.summary["benchmarks"]["arith"]["accuracy"] == pytest.approx(0.5)
    stored = EvalConfig.from_dict(json.loads((tmp_path / "eval" / "config.json").read_text()))
    assert stored.verifier == "judge"


def test_judge_model_option_of_sample_and_eval_commands(tmp_path):
    from longcot import cli
    from longcot.commands.eval import build_config
    from longcot.commands.sample import build_recipe

    argv = [
        "sample",
        "--model",
        "m",
        "--verifier",
        "judge",
        "--judge-model",
        "j",
        "--output",
        str(tmp_path),
    ]
    recipe = build_recipe(cli.build_parser(argv).parse_args(argv), "sample")
    assert (recipe.reward.verifier, recipe.reward.judge.model) == ("judge", "j")
    argv = [
        "eval",
        "--model",
        "m",
        "--verifier",
        "judge",
        "--judge-model",
        "j",
        "--output",
        str(tmp_path / "e"),
    ]
    config = build_config(cli.build_parser(argv).parse_args(argv))
    assert (config.verifier, config.judge.model) == ("judge", "j")
