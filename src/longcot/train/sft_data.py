"""SFT examples: where they come from and how they become labelled token ids.

Two sources (``data.source``):

- a chat JSONL file, one ``{"messages": [..., {"role": "assistant", "content": ...}]}``
  per line (what rejection sampling writes): every message before the last is
  the prompt, the last (an assistant reply) is the response;
- a benchmark or task (``math_train``, ``arith_train``, ``module:attr``) whose
  examples carry a reference solution in ``data.solution_field``: an
  :class:`~longcot.benchmarks.Example` attribute or a key of its ``meta``
  (MATH-train's ``solution`` is a ready short-CoT set, DESIGN §3). The prompt
  is the benchmark's own ``prompt(example, data.template)``.

Labels (:class:`ExampleEncoder`) follow three rules:

1. **Loss on the response only.** The prompt is exactly what the generate
   backends feed the model at inference (``longcot.generate.prompts.encode``:
   the chat template with its generation prompt); its labels are ``-100``.
2. **The reasoning block stays in the trained text.** R1-style chat templates
   cut ``<think>…</think>`` out of assistant messages (they render history),
   so rendering the conversation would train on the answer alone. The reply is
   therefore never passed through the template: the template renders a
   placeholder reply, which shows where the reply goes and which text ends the
   turn, and the reply is inserted verbatim. When the generation prompt
   already opens the block (``…<think>\\n``) the reply's own opening marker is
   not repeated.
3. **End-of-sequence is learned.** The turn's closing text up to and
   including its first end-of-sequence token (``<|im_end|>`` for ChatML) is
   labelled; a template whose turn ends without one is an error, since the
   model would never learn to stop. Plain-text prompts get ``eos_token``.

Over-long examples (prompt + response > ``data.max_length`` tokens) are dropped
by default, or truncated (no end-of-sequence then); both are counted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from longcot.generate.prompts import ChatTemplateMissingError, encode, validate_messages

log = logging.getLogger(__name__)

IGNORE_INDEX = -100
"""Label of a token without a loss (PyTorch's ``cross_entropy`` default)."""

_PLACEHOLDER = "LONGCOTSFTREPLYPLACEHOLDER"
"""Rendered in place of the reply to find where the template puts it. Plain
letters: templates strip whitespace and split on markers, never on these."""


class SFTDataError(ValueError):
    """An SFT example cannot be used; the message names the file and line (or the
    benchmark and example id) and says how to fix it."""


@dataclass(frozen=True)
class SFTExample:
    """One prompt and the response to train on.

    Attributes:
        prompt: chat messages (rendered with the chat template) or a plain string.
        response: the reply text, reasoning block included.
        where: ``file.jsonl:12`` or ``math_train:test/x.json``, for error messages.
    """

    prompt: list[dict[str, str]] | str
    response: str
    where: str


@dataclass
class SFTDataStats:
    """What tokenization kept and dropped (the ``summary.json`` totals)."""

    examples: int = 0
    """Examples kept for training."""
    dropped_overlong: int = 0
    """Examples longer than ``max_length`` that were dropped (``overlong: drop``, or
    ``truncate`` with a prompt that alone fills ``max_length``)."""
    truncated: int = 0
    """Examples cut to ``max_length`` (``overlong: truncate``)."""
    response_tokens: int = 0
    """Labelled tokens per epoch (tokens with a loss), summed over kept examples."""
    prompt_tokens: int = 0


def load_examples(
    source: str | None,
    *,
    solution_field: str = "solution",
    template: str = "default",
    data_dir: str | None = None,
    limit: int | None = None,
) -> list[SFTExample]:
    """Read the examples ``data.source`` names (see the module docstring).

    Raises:
        SFTDataError: a malformed row (file and line) or an example without a solution.
        FileNotFoundError: ``source`` looks like a file path that does not exist.
        ValueError: ``source`` is neither a file nor a known benchmark.
    """
    if not source:
        raise SFTDataError(
            "data.source is not set: give a chat JSONL file or a benchmark with "
            "reference solutions (e.g. math_train)"
        )
    path = Path(source)
    if path.is_file():
        return read_messages_jsonl(path, limit=limit)
    if path.suffix in (".jsonl", ".json") or (os.sep in source and ":" not in source):
        raise FileNotFoundError(f"data.source {source}: no such file")
    return benchmark_examples(
        source, solution_field=solution_field, template=template, data_dir=data_dir, limit=limit
    )


def read_messages_jsonl(path: str | os.PathLike, *, limit: int | None = None) -> list[SFTExample]:
    """Chat rows ``{"messages": [...]}``; the last message is the assistant reply to train on."""
    from longcot.jsonl import JsonlError, iter_objects

    out: list[SFTExample] = []
    try:
        for lineno, row in iter_objects(path):
            if limit is not None and len(out) >= limit:
                break
            out.append(_example_from_row(row, f"{path}:{lineno}"))
    except JsonlError as e:
        raise SFTDataError(str(e)) from None
    if not out:
        raise SFTDataError(f"{path}: no examples (the file is empty)")
    return out


def _example_from_row(row: dict[str, Any], where: str) -> SFTExample:
    hint = (
        'expected {"messages": [{"role": "user", "content": ...}, '
        '{"role": "assistant", "content": ...}]}'
    )
    messages = row.get("messages")
    if not isinstance(messages, list) or len(messages) < 2:
        raise SFTDataError(f"{where}: 'messages' must list the prompt and the reply; {hint}")
    try:
        messages = validate_messages(messages)
    except (TypeError, ValueError) as e:
        raise SFTDataError(f"{where}: {e}; {hint}") from None
    if messages[-1]["role"] != "assistant":
        raise SFTDataError(
            f"{where}: the last message must be the assistant's reply (the text trained on), "
            f"got role {messages[-1]['role']!r}"
        )
    return SFTExample(prompt=messages[:-1], response=messages[-1]["content"], where=where)


def benchmark_examples(
    name: str,
    *,
    solution_field: str,
    template: str = "default",
    data_dir: str | None = None,
    limit: int | None = None,
) -> list[SFTExample]:
    """A benchmark's or task's examples with their reference solutions as responses."""
    from longcot.benchmarks import get_benchmark

    bench = get_benchmark(name)
    out = []
    for example in bench.load(data_dir, limit=limit):
        where = f"{name}:{example.id}"
        prompt = bench.prompt(example, template)
        out.append(
            SFTExample(
                prompt=prompt, response=solution_of(example, solution_field, where), where=where
            )
        )
    if not out:
        raise SFTDataError(f"data.source {name}: the benchmark loaded no examples")
    return out


def solution_of(example: Any, field: str, where: str) -> str:
    """``example.<field>``, else ``example.meta[field]``; a non-empty string.

    Raises:
        SFTDataError: the field is missing or empty; the message lists what exists.
    """
    attributes = {f.name for f in fields(example)} - {"meta"}
    meta = getattr(example, "meta", None) or {}
    if field in attributes:
        value = getattr(example, field)
    elif field in meta:
        value = meta[field]
    else:
        raise SFTDataError(
            f"{where}: no solution field {field!r} (data.solution_field); example attributes: "
            f"{', '.join(sorted(attributes))}; meta keys: {', '.join(sorted(meta)) or 'none'}"
        )
    if not isinstance(value, str) or not value.strip():
        raise SFTDataError(
            f"{where}: solution field {field!r} is {value!r}, not a text to train on; "
            "drop the example or choose another data.solution_field"
        )
    return value


# ---- tokenization ------------------------------------------------------------------------


def eos_token_ids(tokenizer: Any, generation_config: Any = None) -> frozenset[int]:
    """Tokens that end a generation: the tokenizer's ``eos_token`` and the model's
    ``generation_config.eos_token_id`` (one id or a list)."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    extra = getattr(generation_config, "eos_token_id", None)
    if isinstance(extra, int):
        ids.add(extra)
    elif isinstance(extra, Iterable):
        ids.update(int(i) for i in extra)
    return frozenset(ids)


def check_chat_template(tokenizer: Any, examples: Sequence[SFTExample]) -> None:
    """Fail before any work when chat prompts meet a tokenizer without a chat template."""
    if any(not isinstance(e.prompt, str) for e in examples) and not getattr(
        tokenizer, "chat_template", None
    ):
        raise ChatTemplateMissingError(
            f"the tokenizer ({type(tokenizer).__name__}, {getattr(tokenizer, 'name_or_path', '')}) "
            "has no chat template, and the SFT examples are chat messages: use an instruct "
            "model's tokenizer (model.tokenizer), or a benchmark with data.template: plain"
        )


def _reply_slot(tokenizer: Any, context: list[dict[str, str]], where: str) -> tuple[str, str]:
    """``(text before the reply, text after it)`` for an assistant reply to ``context``."""
    turn = tokenizer.apply_chat_template(
        [*context, {"role": "assistant", "content": _PLACEHOLDER}],
        tokenize=False,
        add_generation_prompt=False,
    )
    if turn.count(_PLACEHOLDER) != 1:
        raise SFTDataError(
            f"{where}: the chat template does not render the assistant reply as given "
            "(it drops or repeats it), so the trained text cannot be placed"
        )
    head, _, tail = turn.partition(_PLACEHOLDER)
    return head, tail


def _strip_opener(reply: str, opener: str) -> str:
    """The reply without the text the generation prompt already wrote (``<think>\\n``)."""
    if reply.startswith(opener):
        return reply[len(opener) :]
    if opener.strip() and reply.lstrip().startswith(opener.strip()):
        return reply.lstrip()[len(opener.strip()) :].lstrip("\n")
    return reply


class ExampleEncoder:
    """Turns :class:`SFTExample` s into ``(input_ids, labels)`` (rules in the module docstring).

    Args:
        tokenizer: the policy's tokenizer.
        eos_ids: tokens that end a generation (:func:`eos_token_ids`).
    """

    def __init__(self, tokenizer: Any, eos_ids: frozenset[int] | None = None) -> None:
        self.tokenizer = tokenizer
        self.eos_ids = eos_token_ids(tokenizer) if eos_ids is None else eos_ids
        self._warned: set[str] = set()

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    def __call__(self, example: SFTExample) -> tuple[list[int], list[int]]:
        """``(input_ids, labels)`` for one example, untruncated.

        Raises:
            SFTDataError: the chat template cannot place the reply, or ends the turn
                without an end-of-sequence token.
        """
        tokenizer = self.tokenizer
        prompt_ids = encode(tokenizer, example.prompt)
        if isinstance(example.prompt, str):
            if tokenizer.eos_token_id is None:
                raise SFTDataError(
                    f"{example.where}: the tokenizer has no eos_token, so a plain-text example "
                    "cannot teach the model to stop; set one on the tokenizer"
                )
            reply_ids = tokenizer(example.response, add_special_tokens=False)["input_ids"]
            response_ids = [*reply_ids, int(tokenizer.eos_token_id)]
            return prompt_ids + response_ids, [IGNORE_INDEX] * len(prompt_ids) + response_ids

        context = validate_messages(example.prompt)
        prompt_text = tokenizer.apply_chat_template(
            context, tokenize=False, add_generation_prompt=True
        )
        head, tail = _reply_slot(tokenizer, context, example.where)
        reply = example.response
        if prompt_text.startswith(head):
            # R1-style: the generation prompt opens the reasoning block itself.
            reply = _strip_opener(reply, prompt_text[len(head) :])
        elif head.startswith(prompt_text):
            # E.g. Qwen3 renders an empty <think></think> before a reply without one.
            self._warn_once(
                "inserted",
                "the chat template inserts %r before an assistant reply; the model is trained "
                "on the reply as written after the generation prompt, as it generates it",
                head[len(prompt_text) :],
            )
        else:
            raise SFTDataError(
                f"{example.where}: the chat template renders the conversation differently with "
                "and without the generation prompt, so the prompt cannot be split from the reply"
            )
        tail_ids = tokenizer(tail, add_special_tokens=False)["input_ids"]
        stop = next((i for i, t in enumerate(tail_ids) if t in self.eos_ids), None)
        if stop is None:
            names = tokenizer.convert_ids_to_tokens(sorted(self.eos_ids)) if self.eos_ids else []
            raise SFTDataError(
                f"{example.where}: the chat template ends the assistant turn with {tail!r}, "
                f"which holds no end-of-sequence token ({', '.join(names) or 'none set'}): the "
                "model would never learn to stop. Make the tokenizer's eos_token the template's "
                "end-of-turn token"
            )
        reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
        response_ids = [*reply_ids, *tail_ids[: stop + 1]]
        return prompt_ids + response_ids, [IGNORE_INDEX] * len(prompt_ids) + response_ids


def tokenize_examples(
    tokenizer: Any,
    examples: Sequence[SFTExample],
    *,
    max_length: int,
    overlong: str = "drop",
    eos_ids: frozenset[int] | None = None,
) -> tuple[dict[str, list[list[int]]], SFTDataStats]:
    """Columns ``input_ids`` and ``labels`` for every kept example, and the counts.

    Args:
        max_length: tokens per example, prompt + response.
        overlong: ``drop`` an example longer than ``max_length``, or ``truncate`` it to
            its first ``max_length`` tokens (its end-of-sequence is then cut off, so it
            teaches no stop at the wrong place). An example whose prompt alone fills
            ``max_length`` has nothing left to train on and is dropped either way.
    """
    if overlong not in ("drop", "truncate"):
        raise ValueError(f"overlong must be 'drop' or 'truncate', got {overlong!r}")
    check_chat_template(tokenizer, examples)
    encoder = ExampleEncoder(tokenizer, eos_ids)
    columns: dict[str, list[list[int]]] = {"input_ids": [], "labels": []}
    stats = SFTDataStats()
    for example in examples:
        input_ids, labels = encoder(example)
        if len(input_ids) > max_length:
            prompt_len = next(i for i, t in enumerate(labels) if t != IGNORE_INDEX)
            if overlong == "drop" or prompt_len >= max_length:
                stats.dropped_overlong += 1
                continue
            input_ids, labels = input_ids[:max_length], labels[:max_length]
            stats.truncated += 1
        trained = sum(1 for t in labels if t != IGNORE_INDEX)
        stats.examples += 1
        stats.response_tokens += trained
        stats.prompt_tokens += len(labels) - trained
        columns["input_ids"].append(input_ids)
        columns["labels"].append(labels)
    return columns, stats
