"""An OpenAI-compatible server over any longcot backend (FastAPI): ``longcot serve-model``.

Serves ``/v1/chat/completions``, ``/v1/completions``, ``/v1/models`` and ``/health``
so that the ``openai`` backend, and any OpenAI client, can talk to a local
checkpoint. Generation is serialised with a lock: one model, one batch at a
time (concurrent requests queue; for throughput serve with vLLM instead).

Tests inject failures through :class:`FaultPlan` (``create_app(..., faults=plan)``):
``plan.add(500)`` makes the next API request answer 500, ``plan.add(429,
retry_after=0.1)`` answers 429 with a ``Retry-After`` header, ``delay=`` holds
the answer back to trigger client timeouts. Nothing else in the app knows about it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from longcot.generate.types import Backend, Completion, GenerationConfigError, SamplingParams


@dataclass(frozen=True)
class Fault:
    status: int
    """HTTP status to answer with instead of the real answer."""
    retry_after: float | None = None
    """Seconds for a ``Retry-After`` header; ``None`` sends none."""
    delay: float = 0.0
    """Seconds to wait before answering."""


class FaultPlan:
    """A queue of injected answers, consumed one per API request, in order. Thread-safe."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.requests = 0
        """API requests seen (faulted or not)."""
        self.injected = 0
        """Faults answered so far."""

    def add(
        self, status: int, *, times: int = 1, retry_after: float | None = None, delay: float = 0.0
    ) -> FaultPlan:
        with self._lock:
            self._queue.extend([Fault(status, retry_after, delay)] * times)
        return self

    def clear(self) -> None:
        """Drop faults not yet answered (counters are kept)."""
        with self._lock:
            self._queue.clear()

    def next(self) -> Fault | None:
        with self._lock:
            self.requests += 1
            if not self._queue:
                return None
            self.injected += 1
            return self._queue.popleft()


class _Request(BaseModel):
    # Unknown OpenAI fields (logprobs, user, ...) are accepted and ignored.
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    n: int = 1
    temperature: float = 1.0  # OpenAI's defaults, not the paper's
    top_p: float = 1.0
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool = False


class ChatRequest(_Request):
    messages: list[dict[str, Any]]


class CompletionRequest(_Request):
    prompt: str | list[str]


def _error(status: int, message: str, kind: str, headers: dict | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "code": status}}
    return JSONResponse(body, status_code=status, headers=headers)


def _text_content(content: Any) -> str:
    """OpenAI content is a string or a list of parts; keep the text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def create_app(
    backend: Backend,
    model_name: str,
    *,
    faults: FaultPlan | None = None,
    default_max_tokens: int = 16384,
) -> FastAPI:
    """The FastAPI app serving ``backend`` under the model id ``model_name``."""
    app = FastAPI(title="longcot serve-model")
    lock = threading.Lock()
    app.state.faults = faults

    @app.middleware("http")
    async def inject_faults(request: Request, call_next):
        if faults is not None and request.url.path.startswith("/v1/"):
            fault = faults.next()
            if fault is not None:
                await asyncio.sleep(fault.delay)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
                return _error(fault.status, "injected fault", "injected", headers)
        return await call_next(request)

    def params_of(req: _Request) -> SamplingParams:
        stop = (req.stop,) if isinstance(req.stop, str) else tuple(req.stop or ())
        return SamplingParams(
            n=req.n,
            temperature=req.temperature,
            top_p=req.top_p,
            max_new_tokens=req.max_completion_tokens or req.max_tokens or default_max_tokens,
            seed=req.seed,
            stop=stop,
        )

    def run(req: _Request, prompts: list) -> tuple[list[list[Completion]], None] | JSONResponse:
        if req.stream:
            return _error(
                400, "stream=true is not supported by longcot serve-model", "invalid_request_error"
            )
        if req.model not in (None, model_name):
            return _error(
                404,
                f"model {req.model!r} is not served; this server has {model_name!r}",
                "not_found",
            )
        try:
            params = params_of(req)
            with lock:
                return backend.generate(prompts, params), None
        except (GenerationConfigError, ValueError, TypeError) as e:
            return _error(400, str(e), "invalid_request_error")

    def envelope(kind: str, choices: list[dict], results: list[list[Completion]]) -> dict:
        completion_tokens = sum(c.completion_tokens for cs in results for c in cs)
        prompt_tokens = sum(cs[0].prompt_tokens for cs in results if cs)
        return {
            "id": f"{kind}-{uuid.uuid4().hex}",
            "object": kind,
            "created": int(time.time()),
            "model": model_name,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def choice_fields(c: Completion) -> dict:
        # token_ids and stop_reason are extensions (vLLM uses the same names).
        return {
            "finish_reason": c.finish_reason,
            "stop_reason": c.extra.get("stop"),
            "token_ids": list(c.token_ids),
        }

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": model_name}

    @app.get("/v1/models")
    def models() -> dict:
        return {
            "object": "list",
            "data": [{"id": model_name, "object": "model", "owned_by": "longcot"}],
        }

    @app.post("/v1/chat/completions")
    def chat(req: ChatRequest):
        messages = [
            {"role": str(m.get("role", "user")), "content": _text_content(m.get("content"))}
            for m in req.messages
        ]
        out = run(req, [messages])
        if isinstance(out, JSONResponse):
            return out
        results = out[0]
        choices = [
            {"index": j, "message": {"role": "assistant", "content": c.text}, **choice_fields(c)}
            for j, c in enumerate(results[0])
        ]
        return envelope("chat.completion", choices, results)

    @app.post("/v1/completions")
    def completions(req: CompletionRequest):
        prompts = [req.prompt] if isinstance(req.prompt, str) else list(req.prompt)
        out = run(req, prompts)
        if isinstance(out, JSONResponse):
            return out
        results = out[0]
        # OpenAI numbers choices prompt-major: prompt i, sample j -> i * n + j.
        choices = [
            {"index": i * req.n + j, "text": c.text, **choice_fields(c)}
            for i, cs in enumerate(results)
            for j, c in enumerate(cs)
        ]
        return envelope("text_completion", choices, results)

    return app


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run ``app`` on uvicorn in a background thread; yield its ``http://host:port/v1`` URL.

    ``port=0`` lets the OS pick a free port (read back from the bound socket), so
    parallel test runs never collide.
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="longcot-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
