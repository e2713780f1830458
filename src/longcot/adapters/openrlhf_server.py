"""The reward server behind ``longcot serve-reward`` (FastAPI on uvicorn, ``[serve]`` extra).

Endpoints:

- ``POST /get_reward``: OpenRLHF's protocol (see :mod:`longcot.adapters.openrlhf`).
- ``GET /health``: ``{"status": "ok", ...}`` with the reward settings in use.

Robustness rules, each tested in ``tests/test_adapters_openrlhf_server.py``:

- Bodies over ``max_body_bytes`` are refused with 413, from the
  ``Content-Length`` header or, for chunked uploads, while reading, so an
  oversized upload never sits whole in memory.
- Malformed JSON is a 400; a body of the wrong shape or types, or lists of
  different lengths, a 422, each with a message naming the problem.
- Grading runs off the event loop, in a thread pool of ``max_concurrency``
  threads (each handing its batch to ``verify.grade_many``'s worker
  processes), so ``/health`` answers while grading is busy. At most
  ``max_pending`` requests wait for a thread; past that the server answers
  503 with ``Retry-After`` instead of queueing without bound.
- A failure inside one request is a 500 for that request only.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..rewards import RewardSpec
from .common import TokenizerLike
from .openrlhf import score_queries

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
    tasks: list[str] | None = None
    answer_types: list[str | None] | None = None

    @model_validator(mode="after")
    def _same_lengths(self) -> RewardRequest:
        n = len(self.query)
        for name in (
            "prompts",
            "labels",
            "response_token_ids",
            "finish_reasons",
            "tasks",
            "answer_types",
        ):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"'{name}' has {len(value)} items but 'query' has {n}")
        return self


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


def create_app(
    spec: RewardSpec,
    *,
    tokenizer: TokenizerLike | None = None,
    tokenizer_name: str | None = None,
    max_body_bytes: int = 32 * 1024 * 1024,
    max_items: int = 4096,
    max_concurrency: int = 4,
    max_pending: int = 256,
) -> FastAPI:
    """Build the ASGI app. ``max_*`` bound memory and queueing (see the module docstring)."""
    for name, value in (
        ("max_body_bytes", max_body_bytes),
        ("max_items", max_items),
        ("max_concurrency", max_concurrency),
        ("max_pending", max_pending),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")

    executor = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="longcot-reward")
    gate = asyncio.Semaphore(max_concurrency)
    state = {"pending": 0, "served": 0, "failed": 0}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        executor.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(title="longcot reward server", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "tokenizer": tokenizer_name,
            "pending": state["pending"],
            "served": state["served"],
            "failed": state["failed"],
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
        if state["pending"] >= max_pending:
            raise HTTPException(
                503, "reward server busy, retry later", headers={"Retry-After": "1"}
            )
        state["pending"] += 1
        try:
            async with gate:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(executor, _score, spec, req, tokenizer)
        except ValueError as e:
            state["failed"] += 1
            raise HTTPException(422, str(e)) from None
        except Exception as e:
            state["failed"] += 1
            log.exception("reward request failed")
            raise HTTPException(500, f"{type(e).__name__}: {e}") from None
        finally:
            state["pending"] -= 1
        state["served"] += 1
        return JSONResponse(result)

    return app


def _score(spec: RewardSpec, req: RewardRequest, tokenizer: TokenizerLike | None) -> dict[str, Any]:
    return score_queries(
        spec,
        req.query,
        req.prompts,
        req.labels,
        tokenizer=tokenizer,
        response_token_ids=req.response_token_ids,
        finish_reasons=req.finish_reasons,
        tasks=req.tasks,
        answer_types=req.answer_types,
    )
