"""The openai backend against ``longcot serve-model`` (real uvicorn on 127.0.0.1), faults included."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from longcot.generate import SamplingParams, load_backend
from longcot.generate.hf import HFBackend
from longcot.generate.openai_backend import OpenAIBackend, OpenAIBackendError, _retry_after_seconds
from longcot.generate.server import FaultPlan, create_app, serve_in_thread

MODEL_ID = "tiny"
CHAT = [{"role": "user", "content": "What is $2 + 2$?"}]


@pytest.fixture(scope="module")
def hf(tiny_model_dir):
    be = HFBackend(tiny_model_dir, device="cpu")
    yield be
    be.close()


@pytest.fixture(scope="module")
def server(hf):
    faults = FaultPlan()
    with serve_in_thread(create_app(hf, MODEL_ID, faults=faults)) as url:
        yield url, faults


@pytest.fixture
def client(server):
    url, faults = server
    faults.clear()
    delays: list[float] = []
    be = OpenAIBackend(MODEL_ID, base_url=url, max_retries=3, backoff=0.01, sleep=delays.append)
    be.delays = delays
    yield be
    be.close()


def test_health_and_models(server):
    url, _ = server
    root = url.removesuffix("/v1")
    assert httpx.get(f"{root}/health").json()["status"] == "ok"
    assert httpx.get(f"{url}/models").json()["data"][0]["id"] == MODEL_ID


def test_model_id_is_discovered_from_the_url(server):
    url, _ = server
    be = OpenAIBackend(url)
    assert be.model == MODEL_ID
    be.close()


def test_chat_and_completions_match_the_hf_backend(client, hf):
    """Each sample is one request with seed + sample index: the same as hf with that seed."""
    params = SamplingParams(n=2, max_new_tokens=8, seed=11)
    out = client.generate([CHAT, "The answer is"], params)
    assert [len(cs) for cs in out] == [2, 2]
    for prompt, cs in zip([CHAT, "The answer is"], out, strict=True):
        for j, c in enumerate(cs):
            [[ref]] = hf.generate([prompt], SamplingParams(n=1, max_new_tokens=8, seed=11 + j))
            assert c.text == ref.text
            assert c.token_ids == ref.token_ids
            # Counts come from the server's usage fields.
            assert (c.prompt_tokens, c.completion_tokens) == (
                ref.prompt_tokens,
                ref.completion_tokens,
            )
            assert c.finish_reason == ref.finish_reason
    assert client.retries == 0


def test_retries_through_injected_500(client, server):
    _, faults = server
    faults.add(500)
    [[c]] = client.generate([CHAT], SamplingParams(max_new_tokens=4))
    assert c.completion_tokens == len(c.token_ids) > 0
    assert (faults.injected, client.retries) == (1, 1)
    assert client.delays == [pytest.approx(0.01, rel=0.11)]  # backoff 0.01 s + <= 10 % jitter


def test_429_retry_after_is_honoured(client, server):
    _, faults = server
    faults.add(429, retry_after=0.5).add(503)
    [[c]] = client.generate(["The answer is"], SamplingParams(max_new_tokens=4))
    assert c.finish_reason in ("stop", "length")
    assert client.retries == 2
    assert client.delays[0] >= 0.5  # Retry-After beats the 0.01 s backoff
    assert client.delays[1] == pytest.approx(0.02, rel=0.11)  # then exponential: 0.01 x 2


def test_timeouts_are_retried(server):
    url, faults = server
    faults.clear()
    faults.add(503, delay=2.0)
    be = OpenAIBackend(MODEL_ID, base_url=url, timeout=0.5, backoff=0.01, sleep=lambda s: None)
    [[c]] = be.generate([CHAT], SamplingParams(max_new_tokens=3))
    assert c.completion_tokens > 0 and be.retries == 1
    be.close()


def test_gives_up_after_max_retries(client, server):
    _, faults = server
    faults.add(500, times=4)
    with pytest.raises(OpenAIBackendError, match="after 4 attempts") as err:
        client.generate([CHAT], SamplingParams(max_new_tokens=3))
    assert err.value.status == 500
    assert client.retries == 3


def test_client_errors_are_not_retried(client, server):
    _, faults = server
    faults.add(400)
    with pytest.raises(OpenAIBackendError, match="HTTP 400") as err:
        client.generate([CHAT], SamplingParams(max_new_tokens=3))
    assert err.value.status == 400 and client.retries == 0


def test_server_rejects_bad_parameters_with_400(server):
    url, _ = server
    body = {"model": MODEL_ID, "messages": CHAT, "temperature": -1}
    r = httpx.post(f"{url}/chat/completions", json=body)
    assert r.status_code == 400
    assert "temperature" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/completions", json={"model": "other", "prompt": "x"})
    assert r.status_code == 404


def test_completions_endpoint_numbers_choices_prompt_major(server):
    url, _ = server
    body = {"model": MODEL_ID, "prompt": ["a", "b"], "n": 2, "max_tokens": 2, "seed": 0}
    data = httpx.post(f"{url}/completions", json=body).json()
    assert [c["index"] for c in data["choices"]] == [0, 1, 2, 3]
    assert data["usage"]["completion_tokens"] == sum(len(c["token_ids"]) for c in data["choices"])


def test_concurrency_is_bounded(client):
    client_limit = OpenAIBackend(MODEL_ID, base_url=str(client.client.base_url), max_concurrency=2)
    out = client_limit.generate(["a", "b", "c"], SamplingParams(n=2, max_new_tokens=2))
    assert [len(cs) for cs in out] == [2, 2, 2]
    client_limit.close()


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)],
)
def test_retry_after_parsing(header, expected):
    response = httpx.Response(429, headers={"Retry-After": header})
    assert _retry_after_seconds(response) == expected


def test_load_backend_registry(server):
    url, _ = server
    be = load_backend("openai", MODEL_ID, base_url=url)
    assert be.name == "openai"
    be.close()
    with pytest.raises(ValueError, match="unknown backend"):
        load_backend("nope", "x")


@pytest.mark.slow
def test_serve_model_command_end_to_end(tiny_model_dir):
    """``longcot serve-model`` as a subprocess on a free port, queried by the openai backend."""
    cmd = [
        sys.executable,
        "-m",
        "longcot.cli",
        "serve-model",
        "--model",
        str(tiny_model_dir),
        "--port",
        "0",
        "--served-name",
        "t",
        "--threads",
        "1",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.monotonic() + 120
        lines = []
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        assert port, "server did not start:\n" + "".join(lines)
        be = OpenAIBackend("t", base_url=f"http://127.0.0.1:{port}/v1")
        [[c]] = be.generate([CHAT], SamplingParams(max_new_tokens=3))
        assert c.completion_tokens > 0
        be.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
