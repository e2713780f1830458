"""longcot.benchmarks: the paper's prompts and the template table."""

from __future__ import annotations

import pytest

from longcot.benchmarks import (
    ANSWER_TYPE_HINTS,
    BENCHMARKS,
    TEMPLATES,
    THEOREMQA_ANSWER_TYPES,
    Example,
    PromptTemplate,
)
from longcot.benchmarks.prompts import BOXED_INSTRUCTION

MMLU_EXAMPLE = Example(
    id="1",
    question="  Which gas is inert?\n",
    gold="C",
    meta={
        "options": ["Oxygen", " Hydrogen", "Argon", "Chlorine"],
        "category": "chemistry",
        "src": "s",
    },
)
MATH_EXAMPLE = Example(
    id="test/algebra/1.json",
    question="What is $1+1$? ",
    gold="2",
    meta={"subject": "Algebra", "level": 1, "solution": "$\\boxed{2}$"},
)


def _user_text(messages):
    assert isinstance(messages, list) and messages[-1]["role"] == "user"
    return messages[-1]["content"]


class TestDefaultPrompts:
    @pytest.mark.parametrize("name", ["math500", "aime24", "math_train"])
    def test_math_style_is_question_then_boxed_instruction(self, name):
        messages = BENCHMARKS[name].prompt(MATH_EXAMPLE)
        assert messages == [
            {
                "role": "user",
                "content": "What is $1+1$?\n\nPlease reason step by step, "
                "and put your final answer within \\boxed{}.",
            }
        ]

    def test_mmlu_pro_has_official_instruction_options_and_box_request(self):
        text = _user_text(BENCHMARKS["mmlu_pro_1k"].prompt(MMLU_EXAMPLE))
        assert text.startswith(
            "The following are multiple choice questions (with answers) about chemistry. "
            'Think step by step and then finish your answer with "the answer is (X)" '
            "where X is the correct letter choice."
        )
        assert "Question: Which gas is inert?\nOptions:\n" in text
        # One "A. …" line per option, stripped, in order, and no letter past D.
        assert "\nA. Oxygen\nB. Hydrogen\nC. Argon\nD. Chlorine\n" in text
        assert "E. " not in text
        assert text.endswith("put the letter of your final answer within \\boxed{}.")

    def test_mmlu_pro_ten_options_run_to_j(self, benchmarks_dir):
        bench = BENCHMARKS["mmlu_pro_1k"]
        example = next(e for e in bench.load(benchmarks_dir) if len(e.meta["options"]) == 10)
        text = _user_text(bench.prompt(example))
        for letter, option in zip("ABCDEFGHIJ", example.meta["options"], strict=True):
            assert f"\n{letter}. {option.strip()}\n" in text
        assert example.meta["category"] in text

    @pytest.mark.parametrize("answer_type", THEOREMQA_ANSWER_TYPES)
    def test_theoremqa_names_the_expected_answer_form(self, answer_type):
        example = Example(id="t", question="Q?", gold=None, answer_type=answer_type)
        text = _user_text(BENCHMARKS["theoremqa"].prompt(example))
        assert text == f"Q?\n\n{ANSWER_TYPE_HINTS[answer_type]}\n{BOXED_INSTRUCTION}"

    def test_theoremqa_hints_follow_the_official_forms(self):
        # wenhuchen/TheoremQA's prompt: "a numerical value like 0.1", "a list
        # of number like [2, 3, 4]", "True/False", "an option like (a), (b), (c), (d)".
        assert "0.1" in ANSWER_TYPE_HINTS["float"]
        assert "True or False" in ANSWER_TYPE_HINTS["bool"]
        assert "[2, 3, 4]" in ANSWER_TYPE_HINTS["list of integer"]
        assert "(a), (b), (c), (d)" in ANSWER_TYPE_HINTS["option"]
        assert set(ANSWER_TYPE_HINTS) == set(THEOREMQA_ANSWER_TYPES)

    def test_real_theoremqa_prompt(self, benchmarks_dir):
        bench = BENCHMARKS["theoremqa"]
        example = bench.load(benchmarks_dir, limit=1)[0]
        assert _user_text(bench.prompt(example)) == (
            "How many ways are there to divide a set of 8 elements into 5 non-empty "
            "ordered subsets?\n\nThe answer is an integer, with no symbol or unit.\n"
            "Please reason step by step, and put your final answer within \\boxed{}."
        )


class TestTemplates:
    def test_plain_is_the_default_text_as_a_string(self):
        for name in ("math500", "mmlu_pro_1k"):
            bench = BENCHMARKS[name]
            example = MMLU_EXAMPLE if bench.task == "choice" else MATH_EXAMPLE
            plain = bench.prompt(example, "plain")
            assert isinstance(plain, str)
            assert plain == _user_text(bench.prompt(example))

    def test_demystify_matches_the_authors_harness(self):
        # tongyx361/metagen cot_boxed_qa.yaml and eval_reasoning_dlc.yaml, rendered.
        assert _user_text(BENCHMARKS["math500"].prompt(MATH_EXAMPLE, "demystify")) == (
            'What is $1+1$?\n\nSolve the problem step by step and provide the final answer in "\\boxed{...}".'
        )
        assert _user_text(BENCHMARKS["mmlu_pro_1k"].prompt(MMLU_EXAMPLE, "demystify")) == (
            "The following are multiple choice questions (with answers) about chemistry. "
            'Think step by step and then output the answer in the format of "The answer is (X)" '
            "at the end.\n\nQuestion: Which gas is inert?\n"
            "Options: A. Oxygen\nB. Hydrogen\nC. Argon\nD. Chlorine\n\n"
            'Please solve the problem step by step and provide the final answer in "\\boxed{...}".'
        )

    def test_unknown_template_lists_the_known_ones(self):
        with pytest.raises(ValueError, match="unknown prompt template 'fancy'") as info:
            BENCHMARKS["math500"].prompt(MATH_EXAMPLE, "fancy")
        for name in TEMPLATES:
            assert name in str(info.value)

    def test_user_template_with_system_message_and_meta_fields(self, monkeypatch):
        mine = PromptTemplate(
            math="[$subject, level $level] $question Costs $$5.",
            theoremqa="$question",
            choice="$question\n$options",
            system="You are a careful solver.",
        )
        monkeypatch.setitem(TEMPLATES, "mine", mine)
        assert BENCHMARKS["math500"].prompt(MATH_EXAMPLE, "mine") == [
            {"role": "system", "content": "You are a careful solver."},
            {"role": "user", "content": "[Algebra, level 1] What is $1+1$? Costs $5."},
        ]
        # The object itself works too, and a plain variant puts the system text first.
        plain = PromptTemplate(
            math=mine.math, theoremqa="", choice="", system=mine.system, chat=False
        )
        assert BENCHMARKS["aime24"].prompt(MATH_EXAMPLE, plain) == (
            "You are a careful solver.\n\n[Algebra, level 1] What is $1+1$? Costs $5."
        )

    def test_unknown_placeholder_is_named(self):
        bad = PromptTemplate(math="$question $difficulty", theoremqa="", choice="")
        with pytest.raises(ValueError, match=r"unknown placeholder \$difficulty"):
            BENCHMARKS["math500"].prompt(MATH_EXAMPLE, bad)

    def test_lone_dollar_is_reported(self):
        bad = PromptTemplate(math="$question costs $5", theoremqa="", choice="")
        with pytest.raises(ValueError, match=r"write \$\$ for a literal \$"):
            BENCHMARKS["math500"].prompt(MATH_EXAMPLE, bad)

    def test_question_text_is_not_read_as_a_template(self):
        # LaTeX dollars and braces in the problem must pass through untouched.
        example = Example(id="x", question="Let $x$ be {a} and $$y$$.", gold="1")
        assert _user_text(BENCHMARKS["math500"].prompt(example)).startswith(
            "Let $x$ be {a} and $$y$$.\n\n"
        )
