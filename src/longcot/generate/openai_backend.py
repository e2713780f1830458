"""The ``openai`` backend: any OpenAI-compatible server over HTTP (vLLM, SGLang, llama.cpp, APIs).

Chat prompts go to ``/chat/completions``, plain-text prompts to ``/completions``.
Each sample is its own request (``n=1``): the server's ``usage`` then counts
exactly that completion's tokens, which the OpenAI API does not split per choice
when ``n > 1``; servers with prefix caching (vLLM, SGLang) reuse the prompt.
Requests run on a thread pool bounded by ``max_concurrency``; 429, 5xx, timeouts
and dropped connections are retried with exponential backoff, honouring a
``Retry-After`` header. Other 4xx answers fail at once: retrying a bad request
only repeats it.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from email.utils import parsedate_to_datetime

import httpx

from longcot.generate.prompts import is_chat, validate_messages
from longcot.generate.types import Completion, FinishReason, Prompt, SamplingParams

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
"""408/409/429 and 5xx are transient; vLLM answers 503 while loading, hosted APIs 429 when busy."""


class OpenAIBackendError(RuntimeError):
    """The server refused a request (after retries for transient errors)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _finish(reason: str | None) -> FinishReason:
    # "length" is the only truncation; "stop", "eos", "content_filter", "tool_calls" all ended.
    return "length" if reason == "length" else "stop"


class OpenAIBackend:
    """Generate through an OpenAI-compatible HTTP server.

    Args:
        model: the served model id; or the server's URL (``http://host:8000/v1``),
            in which case the first id from ``GET /models`` is used.
        base_url: the API root including ``/v1``, defaults to ``http://127.0.0.1:8000/v1``.
        api_key: bearer token; defaults to ``$OPENAI_API_KEY`` (local servers need none).
        max_concurrency: requests in flight at once, defaults to 8.
        max_retries: retries per request after the first attempt, defaults to 6.
        backoff: first retry delay in seconds, doubled each retry (plus up to 10 %
            jitter) up to ``max_backoff``, defaults to 1.0 and 60.0.
        timeout: seconds per request, defaults to 600 (long CoT answers take minutes).
        transport: an ``httpx`` transport, for tests.
        sleep: the sleep function used between retries, for tests.
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key: str | None = None,
        max_concurrency: int = 8,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        timeout: float = 600.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency={max_concurrency}: must be >= 1")
        if model.startswith(("http://", "https://")):
            base_url, model = model, ""
        api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_concurrency),
        )
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._jitter = random.Random()
        self.retries = 0
        """Retries made so far (for logs and tests)."""
        self.model = model or self._first_model()

    def _first_model(self) -> str:
        data = self._request("GET", "/models").get("data") or []
        if not data:
            raise OpenAIBackendError(f"{self.client.base_url}/models lists no model")
        return data[0]["id"]

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = min(self.max_backoff, self.backoff * 2**attempt)
        delay *= 1 + 0.1 * self._jitter.random()  # spread clients that failed together
        after = _retry_after_seconds(response) if response is not None else None
        return min(self.max_backoff, max(delay, after)) if after is not None else delay

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API call with retries; returns the decoded JSON body."""
        for attempt in range(self.max_retries + 1):
            response = None
            try:
                response = self.client.request(method, path, json=body)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                failure = f"{type(e).__name__}: {e}"
            else:
                if response.status_code < 400:
                    return response.json()
                failure = f"HTTP {response.status_code}: {response.text[:500]}"
                if response.status_code not in RETRY_STATUS:
                    raise OpenAIBackendError(
                        f"{method} {path} failed with {failure}", response.status_code
                    )
            if attempt == self.max_retries:
                status = response.status_code if response is not None else None
                raise OpenAIBackendError(
                    f"{method} {path} failed after {attempt + 1} attempts; last: {failure}", status
                )
            delay = self._delay(attempt, response)
            log.warning("%s %s: %s; retry %d in %.1f s", method, path, failure, attempt + 1, delay)
            self.retries += 1
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _body(self, prompt: Prompt, params: SamplingParams, sample: int) -> tuple[str, dict]:
        body: dict = {
            "model": self.model,
            "n": 1,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
        }
        if params.seed is not None:
            # One request per sample, so each sample needs its own seed.
            body["seed"] = params.seed + sample
        if params.stop:
            body["stop"] = list(params.stop)
        if is_chat(prompt):
            body["messages"] = validate_messages(prompt)
            return "/chat/completions", body
        body["prompt"] = prompt
        return "/completions", body

    def _one(self, prompt: Prompt, params: SamplingParams, sample: int) -> Completion:
        path, body = self._body(prompt, params, sample)
        data = self._request("POST", path, body)
        choices = data.get("choices") or []
        if not choices:
            raise OpenAIBackendError(f"POST {path} returned no choices: {str(data)[:300]}")
        choice = choices[0]
        if path == "/chat/completions":
            message = choice.get("message") or {}
            text = message.get("content") or ""
            # Reasoning servers (vLLM --reasoning-parser) split the reasoning out;
            # put it back in <think> so answers are graded after the block (DESIGN §3).
            reasoning = message.get("reasoning_content") or message.get("reasoning")
            if reasoning:
                closed = choice.get("finish_reason") != "length" or bool(text)
                text = f"<think>{reasoning}</think>{text}" if closed else f"<think>{reasoning}"
        else:
            text = choice.get("text") or ""
        usage = data.get("usage") or {}
        token_ids = tuple(choice.get("token_ids") or ())
        completion_tokens = usage.get("completion_tokens")
        extra: dict = {"finish_reason": choice.get("finish_reason")}
        if completion_tokens is None:
            completion_tokens = len(token_ids)
            extra["usage_missing"] = True
        if choice.get("stop_reason") is not None:
            extra["stop"] = choice["stop_reason"]
        return Completion(
            text=text,
            token_ids=token_ids,
            finish_reason=_finish(choice.get("finish_reason")),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(completion_tokens),
            extra=extra,
        )

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        jobs = [(i, j) for i in range(len(prompts)) for j in range(params.n)]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, max(1, len(jobs)))) as pool:
            futures = {job: pool.submit(self._one, prompts[job[0]], params, job[1]) for job in jobs}
            # A request that failed after its retries fails the call: cancel what has not started.
            _, pending = wait(futures.values(), return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            return [
                [futures[(i, j)].result() for j in range(params.n)] for i in range(len(prompts))
            ]

    def close(self) -> None:
        """Close the HTTP connections. Idempotent."""
        self.client.close()
