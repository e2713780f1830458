"""SFT data: sources, assistant-only labels with the reasoning block kept, over-long policy."""

from __future__ import annotations

import json
import logging

import pytest

from longcot.benchmarks import Example
from longcot.generate.prompts import ChatTemplateMissingError
from longcot.train.sft_data import (
    IGNORE_INDEX,
    ExampleEncoder,
    SFTDataError,
    SFTExample,
    load_examples,
    read_messages_jsonl,
    solution_of,
    tokenize_examples,
)

QUESTION = [{"role": "user", "content": "What is 1+1?"}]
REPLY = "<think>\n1+1=2, check: 2-1=1.\n</think>\nThe answer is \\boxed{2}."

# DeepSeek-R1's rule, reduced to ChatML: assistant history keeps only the text after
# </think>, and the generation prompt opens the reasoning block itself.
R1_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}{% set c = m['content'] %}"
    "{% if '</think>' in c %}{% set c = c.split('</think>')[-1] %}{% endif %}"
    "{{ '<|im_start|>assistant\\n' + c + '<|im_end|>\\n' }}"
    "{% else %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"
)
# Qwen3's rule, reduced: a reply without a reasoning block is rendered with an empty one.
EMPTY_THINK_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n' + m['content'] + '<|im_end|>\\n' }}"
    "{% else %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
NO_EOS_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
)


@pytest.fixture
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def ids(tokenizer, text):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def trained_text(tokenizer, labels):
    return tokenizer.decode([t for t in labels if t != IGNORE_INDEX])


class TestAssistantOnlyLabels:
    def test_chatml_example_is_labelled_exactly(self, tokenizer):
        input_ids, labels = ExampleEncoder(tokenizer)(SFTExample(QUESTION, REPLY, "hand:1"))
        prompt = ids(tokenizer, "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n")
        im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        response = [*ids(tokenizer, REPLY), im_end]
        assert input_ids == prompt + response
        # Prompt tokens carry no loss; every response token does, the end of turn included.
        assert labels == [IGNORE_INDEX] * len(prompt) + response
        assert labels[-1] == im_end == tokenizer.eos_token_id
        think_open, think_close = tokenizer.convert_tokens_to_ids(["<think>", "</think>"])
        assert think_open in labels and think_close in labels

    def test_r1_template_keeps_the_reasoning_it_strips_from_history(self, tokenizer):
        tokenizer.chat_template = R1_TEMPLATE
        rendered = tokenizer.apply_chat_template(
            [*QUESTION, {"role": "assistant", "content": REPLY}], tokenize=False
        )
        assert "1+1=2" not in rendered  # what training on the rendered chat would lose
        input_ids, labels = ExampleEncoder(tokenizer)(SFTExample(QUESTION, REPLY, "hand:1"))
        # The generation prompt wrote "<think>\n": the reply continues inside the block.
        assert tokenizer.decode(input_ids) == (
            "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n<think>\n"
            "1+1=2, check: 2-1=1.\n</think>\nThe answer is \\boxed{2}.<|im_end|>"
        )
        assert trained_text(tokenizer, labels) == (
            "1+1=2, check: 2-1=1.\n</think>\nThe answer is \\boxed{2}.<|im_end|>"
        )

    def test_template_that_inserts_an_empty_block_trains_the_reply_as_written(
        self, tokenizer, caplog
    ):
        tokenizer.chat_template = EMPTY_THINK_TEMPLATE
        with caplog.at_level(logging.WARNING):
            input_ids, labels = ExampleEncoder(tokenizer)(SFTExample(QUESTION, REPLY, "hand:1"))
        assert "inserts" in caplog.text
        assert trained_text(tokenizer, labels) == REPLY + "<|im_end|>"
        assert "<think>\n\n</think>" not in tokenizer.decode(input_ids)

    def test_plain_text_prompt_ends_with_eos(self, tokenizer):
        input_ids, labels = ExampleEncoder(tokenizer)(SFTExample("3+4=", "7", "plain:1"))
        assert input_ids == [*ids(tokenizer, "3+4="), *ids(tokenizer, "7"), tokenizer.eos_token_id]
        assert trained_text(tokenizer, labels) == "7<|im_end|>"

    def test_template_that_ends_the_turn_without_eos_is_an_error(self, tokenizer):
        tokenizer.chat_template = NO_EOS_TEMPLATE
        with pytest.raises(SFTDataError, match=r"hand:1: .*no end-of-sequence token.*<\|im_end\|>"):
            ExampleEncoder(tokenizer)(SFTExample(QUESTION, REPLY, "hand:1"))

    def test_chat_examples_need_a_chat_template(self, tokenizer):
        tokenizer.chat_template = None
        with pytest.raises(ChatTemplateMissingError, match="no chat template"):
            tokenize_examples(tokenizer, [SFTExample(QUESTION, REPLY, "x")], max_length=64)
        # Plain-text examples do not need one.
        _, stats = tokenize_examples(tokenizer, [SFTExample("1+1=", "2", "x")], max_length=64)
        assert stats.examples == 1


class TestOverlong:
    def examples(self):
        return [SFTExample(QUESTION, "x " * n, f"row:{n}") for n in (5, 40, 80)]

    def lengths(self, tokenizer):
        encoder = ExampleEncoder(tokenizer)
        return [len(encoder(e)[0]) for e in self.examples()]

    def test_drop_is_the_default_and_counted(self, tokenizer):
        short, mid, _ = self.lengths(tokenizer)
        columns, stats = tokenize_examples(tokenizer, self.examples(), max_length=mid)
        assert (stats.examples, stats.dropped_overlong, stats.truncated) == (2, 1, 0)
        assert [len(r) for r in columns["input_ids"]] == [short, mid]
        assert stats.response_tokens == sum(
            sum(t != IGNORE_INDEX for t in labels) for labels in columns["labels"]
        )

    def test_truncate_keeps_the_start_without_eos(self, tokenizer):
        short, mid, _ = self.lengths(tokenizer)
        columns, stats = tokenize_examples(
            tokenizer, self.examples(), max_length=mid - 1, overlong="truncate"
        )
        assert (stats.examples, stats.dropped_overlong, stats.truncated) == (3, 0, 2)
        assert [len(r) for r in columns["input_ids"]] == [short, mid - 1, mid - 1]
        for labels in columns["labels"][1:]:
            assert labels[-1] != tokenizer.eos_token_id  # no stop taught mid-reply

    def test_truncate_drops_an_example_whose_prompt_fills_the_window(self, tokenizer):
        prompt_len = len(ExampleEncoder(tokenizer)(SFTExample(QUESTION, "", "x"))[0]) - 1
        _, stats = tokenize_examples(
            tokenizer, self.examples(), max_length=prompt_len, overlong="truncate"
        )
        assert (stats.examples, stats.dropped_overlong, stats.truncated) == (0, 3, 0)


class TestSources:
    def write(self, tmp_path, lines):
        path = tmp_path / "sft.jsonl"
        path.write_text("\n".join(lines) + "\n")
        return path

    def test_messages_jsonl(self, tmp_path):
        row = {"messages": [*QUESTION, {"role": "assistant", "content": REPLY}], "id": 7}
        path = self.write(tmp_path, [json.dumps(row), "", json.dumps(row)])
        examples = load_examples(str(path))
        assert len(examples) == 2
        assert examples[0].prompt == QUESTION and examples[0].response == REPLY
        assert examples[1].where == f"{path}:3"
        assert len(load_examples(str(path), limit=1)) == 1

    @pytest.mark.parametrize(
        ("line", "problem"),
        [
            ("{not json", "not valid JSON"),
            ('{"prompt": "x"}', "'messages' must list the prompt and the reply"),
            (
                '{"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "a"}]}',
                "last message must be the assistant",
            ),
            (
                '{"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]}',
                "message 0 must be a dict",
            ),
        ],
    )
    def test_malformed_line_names_file_and_line(self, tmp_path, line, problem):
        good = json.dumps({"messages": [*QUESTION, {"role": "assistant", "content": "2"}]})
        path = self.write(tmp_path, [good, line])
        with pytest.raises(SFTDataError, match=rf"sft\.jsonl:2: .*{problem}"):
            read_messages_jsonl(path)

    def test_missing_file_and_unknown_source(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="no such file"):
            load_examples(str(tmp_path / "missing.jsonl"))
        with pytest.raises(ValueError, match=r"unknown benchmark 'nope'.*math_train"):
            load_examples("nope")
        with pytest.raises(SFTDataError, match=r"data\.source is not set"):
            load_examples(None)

    def test_empty_file_is_an_error(self, tmp_path):
        path = self.write(tmp_path, [""])
        with pytest.raises(SFTDataError, match="no examples"):
            read_messages_jsonl(path)

    def test_solution_from_attribute_or_meta(self):
        ex = Example(id="7", question="q", gold="2", meta={"short_cot": "1+1=2 \\boxed{2}"})
        assert solution_of(ex, "short_cot", "t:7") == "1+1=2 \\boxed{2}"
        assert solution_of(ex, "gold", "t:7") == "2"
        with pytest.raises(
            SFTDataError, match=r"t:7: no solution field 'long_cot'.*meta keys: short_cot"
        ):
            solution_of(ex, "long_cot", "t:7")
        with pytest.raises(SFTDataError, match="not a text to train on"):
            solution_of(Example(id="8", question="q", gold=None), "gold", "t:8")

    def test_math_train_solutions(self, benchmarks_dir):
        examples = load_examples("math_train", data_dir=str(benchmarks_dir), limit=3)
        assert len(examples) == 3
        for example in examples:
            assert example.prompt[-1]["role"] == "user"
            assert "\\boxed" in example.response
            assert example.where.startswith("math_train:")
