"""Scoring for OpenRLHF's remote reward protocol (OpenRLHF 0.11.x), shared by the
HTTP server (``longcot serve-reward``) and the in-process ``reward_func`` file.

What OpenRLHF 0.11.2 sends (``openrlhf/utils/agent.py``, ``SingleTurnAgentExecutor``):
``{"query": [q], "prompts": [p], "labels": [l]}`` with **one sample per
request**, posted as each rollout finishes; ``q`` is
``tokenizer.decode(prompt_ids + response_ids, skip_special_tokens=False)``, so
a response that finished ends with the end-of-sequence string, and ``p`` is the
prompt *as given*: when OpenRLHF cut a long prompt to fit ``--data.max_len`` it
keeps the prompt's end, and ``p`` is then not a prefix of ``q``. It sends no
finish reason. Its client retries 5 times, 1 s apart, ignoring ``Retry-After``,
then records no reward.

What it expects back: ``{"rewards": [...], "scores": [...], "extra_logs": {...}}``.
``rewards`` feed the advantage (OpenRLHF puts the number on the response's last
token, the end-of-sequence one when it finished); ``scores`` drive dynamic
filtering; ``extra_logs`` are merged **by key** into per-sample lists
(``Experience.info``), so every response must carry the same keys, or
``split_experience_batch`` fails (``Size of info[accuracy] (3) does not match
batch_size (4)``).

Here:

- ``rewards[i]`` is :func:`longcot.rewards.scalar_reward`: the multi-stream
  discounted return at the first position (the outcome plus the γ-discounted
  repetition penalty). OpenRLHF takes one number per response, so the
  token-level streams collapse to it. A skipped (``bad_gold``) sample gets 0:
  OpenRLHF cannot drop a sample, so it is flagged in ``extra_logs["skipped"]``.
- ``scores[i]`` is 1 for a correct answer, else 0.
- ``extra_logs`` has exactly :data:`LOG_KEYS`, each the mean over the request's
  responses (one response: its own value); a skipped sample contributes zeros
  and ``skipped = 1``.
- Truncation comes from the request when it says so, else from the
  end-of-sequence string (a query that keeps special tokens but does not end
  with one was truncated), else from the budget (``longcot.adapters.common``).
- A prompt that is not a prefix of the query is matched by its end (the part
  OpenRLHF kept); ``prompt_cut`` counts those, ``prompt_missing`` the queries
  where no part of the prompt was found (the whole query is graded then, as
  OpenRLHF's own math example does).

Optional request fields for clients that know more than text:
``response_token_ids`` (the generated ids, end-of-sequence excluded),
``finish_reasons`` (``"stop"`` / ``"length"``) or ``truncated`` (booleans),
``tasks`` and ``answer_types`` (per-item ``verify`` task and type).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..constants import STATUSES
from ..rewards import REPETITION, Response, RewardSpec, SampleRewards, scalar_reward
from .common import (
    TRUNCATION_SLACK,
    TokenizerLike,
    WarnOnce,
    decide_finish,
    encode_many,
    keeps_special_tokens,
    special_token_strings,
    stream_share,
    strip_eos,
)

PromptMatch = Literal["prefix", "cut", "missing", "none"]

LOG_KEYS: tuple[str, ...] = (
    "accuracy",
    "outcome_reward",
    "repetition_reward",
    "length",
    "truncated",
    "exceeded",
    "skipped",
    *(f"status/{s}" for s in STATUSES),
    "prompt_cut",
    "prompt_missing",
    "finish_guessed",
    "over_max_length",
)
"""The ``extra_logs`` keys of every response, in this order."""

_PROBE = 32  # characters of the prompt's end searched for in a query whose prompt was cut
_FUZZ = 4  # leading characters a left-cut, re-decoded prompt may garble (U+FFFD)

_WARN = WarnOnce()  # process-wide, for callers without their own (the reward_func file)


def split_query(query: str, prompt: str | None) -> tuple[str, PromptMatch]:
    """``(response text, how the prompt matched)``: the query with its prompt removed.

    ``prefix``: the prompt starts the query. ``cut``: OpenRLHF kept only the
    prompt's end (``prompt_token_ids[-max_prompt_length:]``), so the query
    starts with a suffix of the prompt; found by the prompt's last 32
    characters, allowing 4 garbled leading characters (a token cut inside a
    character decodes to U+FFFD). ``missing``: no part of the prompt found, the
    whole query is the response. ``none``: no prompt given.
    """
    if not prompt:
        return query, "none"
    if query.startswith(prompt):
        return query[len(prompt) :], "prefix"
    tail = prompt[-_PROBE:]
    start = 0
    while (at := query.find(tail, start)) >= 0:
        end = at + len(tail)
        skip = min(_FUZZ, at)
        if end - skip <= len(prompt) and prompt.endswith(query[skip:end]):
            return query[end:], "cut"
        start = at + 1
    return query, "missing"


@dataclass(frozen=True)
class QueryBatch:
    """One request's lists (all the same length as ``queries``)."""

    queries: Sequence[str]
    labels: Sequence[Any]
    prompts: Sequence[str] | None = None
    response_token_ids: Sequence[Sequence[int]] | None = None
    finish_reasons: Sequence[str] | None = None
    truncated: Sequence[bool] | None = None
    tasks: Sequence[str | None] | None = None
    answer_types: Sequence[str | None] | None = None

    def __post_init__(self) -> None:
        n = len(self.queries)
        for name in (
            "labels",
            "prompts",
            "response_token_ids",
            "finish_reasons",
            "truncated",
            "tasks",
            "answer_types",
        ):
            seq = getattr(self, name)
            if seq is not None and len(seq) != n:
                raise ValueError(f"'{name}' has {len(seq)} items but 'query' has {n}")

    def __len__(self) -> int:
        return len(self.queries)


@dataclass
class _Item:
    response: Response
    prompt: PromptMatch
    finish_source: str
    over_max_length: bool


def _finish_from_request(batch: QueryBatch, i: int) -> str | None:
    finish = batch.finish_reasons[i] if batch.finish_reasons is not None else None
    if batch.truncated is not None:
        said = "length" if batch.truncated[i] else "stop"
        if finish is not None and finish != said:
            raise ValueError(
                f"item {i}: finish_reasons says {finish!r} but truncated says {batch.truncated[i]!r}"
            )
        finish = said
    return finish


def _split(
    batch: QueryBatch, eos: Sequence[str], special: Sequence[str]
) -> list[tuple[str, PromptMatch, bool, bool]]:
    """``(response text, prompt match, ended with end-of-sequence, query keeps special
    tokens)`` per query."""
    out = []
    for i, query in enumerate(batch.queries):
        text, match = split_query(query, batch.prompts[i] if batch.prompts is not None else None)
        text, ended = strip_eos(text, eos)
        out.append((text, match, ended, not ended and keeps_special_tokens(query, special)))
    return out


def _items(
    spec: RewardSpec,
    batch: QueryBatch,
    splits: list[tuple[str, PromptMatch, bool, bool]],
    encoded: Sequence[Sequence[int]] | None,
    warn: WarnOnce,
) -> list[_Item]:
    """Responses with their finish decided; ``encoded``: the texts' token ids when
    the request sent no ``response_token_ids``."""
    items = []
    for i, (text, match, ended, kept) in enumerate(splits):
        if batch.response_token_ids is not None:
            ids = [int(t) for t in batch.response_token_ids[i]]
            slack = 0  # the generated ids themselves: no drift
        else:
            ids = list(encoded[i])
            slack = TRUNCATION_SLACK
        finish, source = decide_finish(
            len(ids),
            max_length=spec.max_length,
            ended_with_eos=ended,
            finish_reason=_finish_from_request(batch, i),
            special_tokens_kept=kept,
            slack=slack,
        )
        if source == "special" and len(ids) + slack < spec.max_length:
            warn(
                "short-truncated",
                "a response of %d tokens has no end-of-sequence in a query decoded with special "
                "tokens: scored as truncated, though max_length is %d. Set max_length to the "
                "rollout's generation budget (OpenRLHF --rollout.max_new_tokens)",
                len(ids),
                spec.max_length,
            )
        over = len(ids) > spec.max_length + slack
        if over:
            warn(
                "over",
                "a response has %d tokens, more than max_length %d: set max_length to the "
                "rollout's generation budget (OpenRLHF --rollout.max_new_tokens)",
                len(ids),
                spec.max_length,
            )
        if source == "guessed":
            warn(
                "guessed",
                "a response of %d tokens has no end-of-sequence and is shorter than max_length "
                "%d: scored as finished. Send 'truncated' per item if the client strips special "
                "tokens; if max_length exceeds the rollout's budget, lower it",
                len(ids),
                spec.max_length,
            )
        if match == "missing":
            warn(
                "missing",
                "a query does not contain its prompt (nor the prompt's end): the whole query is "
                "graded as the response",
            )
        items.append(_Item(Response(text, ids, finish), match, source, over))
    return items


def sample_logs(sample: SampleRewards, item: _Item) -> dict[str, float]:
    """One response's ``extra_logs`` values, keyed by :data:`LOG_KEYS` (zeros when skipped)."""
    kept = not sample.skipped
    out = {
        "accuracy": float(kept and sample.outcome == "correct"),
        "outcome_reward": float(sample.outcome_reward) if kept else 0.0,
        "repetition_reward": stream_share(sample, REPETITION),
        "length": float(sample.length),
        "truncated": float(sample.truncated),
        "exceeded": float(sample.exceeded),
        "skipped": float(sample.skipped),
        **{f"status/{s}": float(sample.verdict.status == s) for s in STATUSES},
        "prompt_cut": float(item.prompt == "cut"),
        "prompt_missing": float(item.prompt == "missing"),
        "finish_guessed": float(item.finish_source == "guessed"),
        "over_max_length": float(item.over_max_length),
    }
    return {k: out[k] for k in LOG_KEYS}


def score_requests(
    spec: RewardSpec,
    batches: Sequence[QueryBatch],
    *,
    tokenizer: TokenizerLike | None = None,
    eos: Sequence[str] | None = None,
    special: Sequence[str] | None = None,
    warn: WarnOnce | None = None,
) -> list[dict[str, Any]]:
    """Score several requests with one grading call; one protocol response per request.

    ``eos``: end-of-sequence strings (default: the tokenizer's); ``special``: the
    tokenizer's special-token strings (default: read from it). Raises
    ValueError (a message meant for the client) on inconsistent lists, unknown
    tasks, or when token lengths cannot be known.
    """
    warn = warn or _WARN
    if eos is None:
        eos = (getattr(tokenizer, "eos_token", None) or "",)
    if special is None:
        special = special_token_strings(tokenizer) if tokenizer is not None else ()
    splits = [_split(b, eos, special) for b in batches]
    need = [b.response_token_ids is None for b in batches]
    if any(need) and tokenizer is None:
        raise ValueError(
            "token lengths unknown: send 'response_token_ids', or start the server with --tokenizer"
        )
    # One tokenizer call for every text-only response of every request (a fast
    # tokenizer encodes a list in Rust, off the GIL the event loop needs).
    texts = [text for sp, n in zip(splits, need, strict=True) if n for text, *_ in sp]
    encoded = iter(encode_many(tokenizer, texts) if texts else [])
    prepared = [
        _items(spec, b, sp, [next(encoded) for _ in sp] if n else None, warn)
        for b, sp, n in zip(batches, splits, need, strict=True)
    ]
    flat = [item for items in prepared for item in items]
    golds = [label for b in batches for label in b.labels]
    tasks = [
        (b.tasks[i] if b.tasks is not None else None) or spec.task
        for b in batches
        for i in range(len(b))
    ]
    types = [
        b.answer_types[i] if b.answer_types is not None else None
        for b in batches
        for i in range(len(b))
    ]
    samples = spec.score_batch(golds, [it.response for it in flat], tasks=tasks, answer_types=types)
    out, at = [], 0
    for items in prepared:
        group = samples[at : at + len(items)]
        at += len(items)
        rewards = [scalar_reward(s) for s in group]
        logs = [sample_logs(s, it) for s, it in zip(group, items, strict=True)]
        out.append(
            {
                "rewards": [0.0 if r is None else r for r in rewards],
                "scores": [1.0 if s.outcome == "correct" else 0.0 for s in group],
                "extra_logs": {
                    k: (sum(d[k] for d in logs) / len(logs) if logs else 0.0) for k in LOG_KEYS
                },
            }
        )
    return out


def score_queries(
    spec: RewardSpec,
    queries: Sequence[str],
    prompts: Sequence[str] | None,
    labels: Sequence[Any],
    *,
    tokenizer: TokenizerLike | None = None,
    eos: Sequence[str] | None = None,
    response_token_ids: Sequence[Sequence[int]] | None = None,
    finish_reasons: Sequence[str] | None = None,
    truncated: Sequence[bool] | None = None,
    tasks: Sequence[str | None] | None = None,
    answer_types: Sequence[str | None] | None = None,
    warn: WarnOnce | None = None,
) -> dict[str, Any]:
    """Score one OpenRLHF request; returns the protocol's response dict."""
    batch = QueryBatch(
        queries, labels, prompts, response_token_ids, finish_reasons, truncated, tasks, answer_types
    )
    (out,) = score_requests(spec, [batch], tokenizer=tokenizer, eos=eos, warn=warn)
    return out
