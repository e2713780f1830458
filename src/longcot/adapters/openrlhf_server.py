"""The reward server behind ``longcot serve-reward`` (FastAPI on uvicorn, ``[serve]`` extra).

Endpoints:

- ``POST /get_reward``: OpenRLHF's protocol (see :mod:`longcot.adapters.openrlhf`).
- ``GET /health``: ``{"status": "ok", ...}`` with the reward settings and queue counters.

Robustness rules, each tested in ``tests/test_adapters_openrlhf_server.py`` (requests)
and ``tests/test_adapters_openrlhf_queue.py`` (queueing):

- Bodies over ``max_body_bytes`` are refused with 413, from the
  ``Content-Length`` header or, for chunked uploads, while reading, so an
  oversized upload never sits whole in memory.
- Malformed JSON is a 400; a body of the wrong shape or types, or lists of
  different lengths, a 422, each with a message naming the problem.
- Requests **queue** rather than being refused: OpenRLHF 0.11 posts one sample
  per request, thousands at once, and its client gives up after 5 tries 1 s
  apart, so a 503 under a normal rollout would be a lost reward. Queued
  requests are graded together in batches (:class:`~longcot.adapters.batching.MicroBatcher`,
  ``max_concurrency`` batches of up to ``max_batch_items`` responses at a
  time), off the event loop, so ``/health`` answers while grading is busy.
  Only past ``max_pending`` queued responses (a memory bound, far above a
  rollout batch) does the server answer 503 with ``Retry-After``.
- A failure inside one request is a 4xx/500 for that request only, even when it
  was batched with others.
- A request whose client disconnects while it waits leaves the queue ungraded
  (``abandoned`` in ``/health``): under overload, OpenRLHF's client times out
  and resends, and the stale copy must not be graded too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..rewards import RewardSpec
from .batching import MicroBatcher, QueueFull
from .common import TokenizerLike, WarnOnce, special_token_strings
from .openrlhf import QueryBatch, score_requests

log = logging.getLogger(__name__)

Label = str | int | float | bool | list[str | int | float | bool] | None


class RewardRequest(BaseModel):
    """The body of ``POST /get_reward``. Unknown extra fields are ignored, so
    newer OpenRLHF versions that add fields keep working."""

    model_config = ConfigDict(extra="ignore", strict=True)

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Label]
    response_token_ids: list[list[int]] | None = None
    finish_reasons: list[Literal["stop", "length"]] | None = None
    truncated: list[bool] | None = None
    tasks: list[str | None] | None = None
    answer_types: list[str | None] | None = None

    @model_validator(mode="after")
    def _same_lengths(self) -> RewardRequest:
        # QueryBatch checks that every list matches ``query`` (one rule for the
        # server and the in-process reward function); its ValueError becomes a 422.
        self.to_batch()
        return self

    def to_batch(self) -> QueryBatch:
        return QueryBatch(
            self.query,
            self.labels,
            self.prompts,
            self.response_token_ids,
            self.finish_reasons,
            self.truncated,
            self.tasks,
            self.answer_types,
        )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPException(413, f"body of {declared} bytes exceeds the limit of {limit}")
        except ValueError:
            raise HTTPException(400, "invalid Content-Length header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _disconnected(request: Request) -> None:
    """Return when the client disconnects (the body has been read: the next ASGI
    message is ``http.disconnect``)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def create_app(
    spec: RewardSpec,
    *,
    tokenizer: TokenizerLike | None = None,
    tokenizer_name: str | None = None,
    eos: Sequence[str] | None = None,
    max_body_bytes: int = 32 * 1024 * 1024,
    max_items: int = 4096,
    max_concurrency: int = 2,
    max_batch_items: int = 256,
    max_pending: int = 65536,
    warm_up: bool = True,
) -> FastAPI:
    """Build the ASGI app.

    Args:
        spec: reward settings; ``spec.max_length`` must equal the rollout's
            generation budget (OpenRLHF ``--rollout.max_new_tokens``).
        tokenizer: the policy's tokenizer, to count tokens of text-only requests.
        eos: end-of-sequence strings (default: the tokenizer's ``eos_token``).
        max_body_bytes, max_items: per-request limits (413 past them).
        max_concurrency: batches graded at once.
        max_batch_items: responses per batch, at most.
        max_pending: queued responses before 503 (a memory bound: at 60 KB per
            14K-token response, 65,536 is about 4 GB).
        warm_up: grade one response at start-up, so the grader processes are
            running before the first request (starting them took about 9 s here,
            which the first rollout's requests would otherwise wait).
    """
    for name, value in (
        ("max_body_bytes", max_body_bytes),
        ("max_items", max_items),
        ("max_concurrency", max_concurrency),
        ("max_batch_items", max_batch_items),
        ("max_pending", max_pending),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")

    warn = WarnOnce()
    special = special_token_strings(tokenizer) if tokenizer is not None else ()

    def score(batches: list[QueryBatch]) -> list[dict[str, Any]]:
        return score_requests(
            spec, batches, tokenizer=tokenizer, eos=eos, special=special, warn=warn
        )

    batcher: MicroBatcher[QueryBatch, dict[str, Any]] = MicroBatcher(
        score,
        size=len,
        max_batch_items=max_batch_items,
        max_concurrency=max_concurrency,
        max_pending_items=max_pending,
    )
    state = {"served": 0, "failed": 0, "abandoned": 0}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            probe = QueryBatch(
                [r"\boxed{1}"], ["1"], response_token_ids=[[1]], finish_reasons=["stop"]
            )
            await asyncio.to_thread(score_requests, spec, [probe], warn=WarnOnce())
        yield
        batcher.shutdown()

    app = FastAPI(title="longcot reward server", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        s = batcher.stats
        return {
            "status": "ok",
            "tokenizer": tokenizer_name,
            "pending": s.pending_items,
            "running_batches": s.running_batches,
            "batches": s.batches,
            "responses": s.items,
            "rejected": s.rejected,
            "served": state["served"],
            "failed": state["failed"],
            "abandoned": state["abandoned"],
            "reward": spec.to_dict(),
        }

    @app.post("/get_reward")
    async def get_reward(request: Request) -> JSONResponse:
        body = await _read_body(request, max_body_bytes)
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise HTTPException(400, f"malformed JSON: {e}") from None
        if not isinstance(payload, dict):
            raise HTTPException(422, f"body must be a JSON object, got {type(payload).__name__}")
        try:
            req = RewardRequest.model_validate(payload)
        except ValidationError as e:
            errors = e.errors(include_url=False, include_context=False, include_input=False)
            return JSONResponse(status_code=422, content={"detail": errors})
        if len(req.query) > max_items:
            raise HTTPException(
                413, f"{len(req.query)} items exceed the limit of {max_items} per request"
            )
        if req.response_token_ids is None and tokenizer is None:
            raise HTTPException(
                422,
                "token lengths unknown: send 'response_token_ids', or start the server "
                "with --tokenizer",
            )
        submit = asyncio.ensure_future(batcher.submit(req.to_batch()))
        gone = asyncio.ensure_future(_disconnected(request))
        await asyncio.wait({submit, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        if not submit.done():
            # The client gave up (OpenRLHF's times out after 180 s and sends the sample
            # again): drop its place in the queue instead of grading it for nobody.
            submit.cancel()
            state["abandoned"] += 1
            return Response(status_code=499)
        try:
            result = submit.result()
        except QueueFull as e:
            raise HTTPException(
                503, f"reward server busy ({e}), retry later", headers={"Retry-After": "1"}
            ) from None
        except ValueError as e:
            state["failed"] += 1
            raise HTTPException(422, str(e)) from None
        except Exception as e:
            state["failed"] += 1
            log.exception("reward request failed")
            raise HTTPException(500, f"{type(e).__name__}: {e}") from None
        state["served"] += 1
        return JSONResponse(result)

    return app
