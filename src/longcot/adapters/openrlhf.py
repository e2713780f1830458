"""Scoring for OpenRLHF's reward protocol, shared by the HTTP server and the in-process file.

OpenRLHF (``--remote_rm_url``) sends ``{"query": [...], "prompts": [...],
"labels": [...]}``: each query is the prompt followed by the response, decoded
*with* special tokens, and each label is the gold answer. It expects
``{"rewards": [...], "scores": [...], "extra_logs": {...}}``: ``rewards`` feed
the advantage, ``scores`` in [0, 1] drive its dynamic filtering, and
``extra_logs`` are scalars it logs (it sends one query per request, so batch
means are per-sample values there).

Here ``rewards`` is the outcome (cosine) reward plus the repetition stream's
sum: OpenRLHF takes one scalar per sequence, so the per-token streams collapse
as they do for TRL. ``scores`` is 1 for a correct answer, else 0. A
``bad_gold`` sample cannot be skipped through this protocol: it gets reward 0
and is counted in ``extra_logs["skipped"]``.

Optional request fields for clients that know more than text:
``response_token_ids`` (the generated ids, end-of-sequence excluded),
``finish_reasons`` (``"stop"`` / ``"length"``), ``tasks`` and ``answer_types``
(per-item ``verify`` task and type).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..rewards import REPETITION, Response, RewardSpec, batch_metrics
from .common import TokenizerLike, response_from_text


def split_query(query: str, prompt: str | None) -> tuple[str, bool]:
    """``(response, prompt_was_prefix)``: the query with its prompt removed.

    OpenRLHF decodes prompt + response together, so the prompt is normally an
    exact prefix. When it is not (a tokenizer that does not round-trip), the
    whole query is graded, as OpenRLHF's own math example does, and the caller
    counts it.
    """
    if prompt and query.startswith(prompt):
        return query[len(prompt) :], True
    return query, not prompt


def score_queries(
    spec: RewardSpec,
    queries: Sequence[str],
    prompts: Sequence[str] | None,
    labels: Sequence[Any],
    *,
    tokenizer: TokenizerLike | None = None,
    response_token_ids: Sequence[Sequence[int]] | None = None,
    finish_reasons: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    answer_types: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Grade and score one OpenRLHF batch; returns the protocol's response dict.

    Raises ValueError (with a message meant for the client) when lists differ
    in length, or when token lengths cannot be known: no ``response_token_ids``
    and no tokenizer configured.
    """
    n = len(queries)
    for name, seq in (
        ("prompts", prompts),
        ("labels", labels),
        ("response_token_ids", response_token_ids),
        ("finish_reasons", finish_reasons),
        ("tasks", tasks),
        ("answer_types", answer_types),
    ):
        if seq is not None and len(seq) != n:
            raise ValueError(f"'{name}' has {len(seq)} items but 'query' has {n}")
    if response_token_ids is None and tokenizer is None:
        raise ValueError(
            "token lengths unknown: send 'response_token_ids', or start the server with --tokenizer"
        )
    responses: list[Response] = []
    not_prefix = 0
    for i, query in enumerate(queries):
        text, ok = split_query(query, prompts[i] if prompts is not None else None)
        not_prefix += not ok
        finish = finish_reasons[i] if finish_reasons is not None else None
        if response_token_ids is not None:
            ids = list(response_token_ids[i])
            if finish is None:
                finish = "length" if len(ids) >= spec.max_length else "stop"
            eos = getattr(tokenizer, "eos_token", None)
            if eos and text.rstrip().endswith(eos):
                text = text.rstrip()[: -len(eos)]
            responses.append(Response(text, ids, finish))
        else:
            r = response_from_text(
                text, tokenizer, max_length=spec.max_length, finish_reason=finish
            )
            responses.append(Response(r.text, r.token_ids, r.finish_reason))
    samples = spec.score_batch(list(labels), responses, tasks=tasks, answer_types=answer_types)
    rewards = [
        0.0 if s.skipped else float(s.outcome_reward + s.streams[REPETITION].sum()) for s in samples
    ]
    scores = [1.0 if s.outcome == "correct" else 0.0 for s in samples]
    logs = {k: v for k, v in batch_metrics(samples).items() if not math.isnan(v)}
    logs["prompt_not_prefix"] = float(not_prefix)
    return {"rewards": rewards, "scores": scores, "extra_logs": logs}
