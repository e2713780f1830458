"""The reward server on a real uvicorn socket (127.0.0.1, a free port): good and
bad requests, status codes, messages, and that it keeps serving; plus the
in-process reward_func file and the serve-reward CLI settings."""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from longcot.adapters.openrlhf_server import create_app
from longcot.rewards import CosineReward, RewardSpec

RECIPE = str(Path(__file__).resolve().parents[1] / "recipes" / "rewards_paper.yaml")
PAPER = CosineReward()
SPEC = RewardSpec(max_length=64, ngram=4, grade_timeout=1.0)
# Expanding (x+1)^100000 to compare it with x^2+1 outlasts any grading time limit.
SLOW = {"query": [r"\\boxed{(x+1)^{100000}}"], "labels": ["x^2+1"], "response_token_ids": [[1, 2]]}
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@contextmanager
def serve(app):
    """Run ``app`` on a live uvicorn socket; the socket is bound first, so no port race."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("reward server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def server(tokenizer):
    app = create_app(
        SPEC, tokenizer=tokenizer, max_body_bytes=MAX_BODY, max_items=50, max_concurrency=2
    )
    with serve(app) as url:
        yield url


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def _good(n=2):
    prompts = [f"<|im_start|>user\nQ{i}<|im_end|>\n<|im_start|>assistant\n" for i in range(n)]
    answers = [r"so \boxed{4}<|im_end|>", r"so \boxed{5}<|im_end|>"] * n
    return {
        "query": [p + a for p, a in zip(prompts, answers, strict=False)],
        "prompts": prompts,
        "labels": ["4"] * n,
    }


class TestGoodRequests:
    def test_health(self, client):
        r = client.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert r.json()["reward"]["max_length"] == 64

    def test_rewards_from_text(self, client, tokenizer):
        r = client.post("/get_reward", json=_good())
        assert r.status_code == 200, r.text
        body = r.json()
        n = len(tokenizer.encode(r"so \boxed{4}", add_special_tokens=False))
        assert body["rewards"][0] == pytest.approx(PAPER(correct=True, length=n, max_length=64))
        assert body["rewards"][1] == pytest.approx(PAPER(correct=False, length=n, max_length=64))
        assert body["scores"] == [1.0, 0.0]
        assert body["extra_logs"]["count"] == 2 and body["extra_logs"]["prompt_not_prefix"] == 0

    def test_rewards_from_token_ids(self, client):
        payload = {
            "query": [r"\boxed{4}", r"\boxed{4}"],
            "labels": ["4", "4"],
            "response_token_ids": [[1, 2, 3, 4] * 3, [7]],
            "finish_reasons": ["stop", "length"],
        }
        body = client.post("/get_reward", json=payload).json()
        assert body["rewards"][0] == pytest.approx(
            PAPER(correct=True, length=12, max_length=64) + 8 * -0.05
        )
        assert body["rewards"][1] == -10.0

    def test_missing_gold_gets_zero_and_is_counted(self, client):
        payload = {"query": [r"\boxed{4}"], "labels": [None], "response_token_ids": [[1, 2]]}
        body = client.post("/get_reward", json=payload).json()
        assert body["rewards"] == [0.0] and body["extra_logs"]["skipped"] == 1

    def test_per_item_tasks(self, client):
        payload = {
            "query": ["The answer is (B)", r"\boxed{007}"],
            "labels": ["B", 7],
            "tasks": ["choice", "aime"],
            "response_token_ids": [[1], [2]],
        }
        assert client.post("/get_reward", json=payload).json()["scores"] == [1.0, 1.0]

    def test_extra_fields_are_ignored(self, client):
        assert client.post("/get_reward", json={**_good(), "future_field": 1}).status_code == 200

    def test_concurrent_requests_all_answered(self, server):
        def one(_):
            with httpx.Client(base_url=server, timeout=60) as c:
                return c.post("/get_reward", json=_good(4)).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(one, range(16)))
        assert codes == [200] * 16


class TestBadRequests:
    @pytest.mark.parametrize(
        "body,status,message",
        [
            (b'{"query": ["a"], "labels": [', 400, "malformed JSON"),
            (b"\xff\xfe", 400, "malformed JSON"),
            (b"[1, 2]", 422, "JSON object"),
        ],
    )
    def test_unparseable(self, client, body, status, message):
        r = client.post("/get_reward", content=body, headers={"content-type": "application/json"})
        assert r.status_code == status and message in r.json()["detail"]

    @pytest.mark.parametrize(
        "payload,field",
        [
            ({"query": "abc", "labels": ["1"]}, "query"),  # a string, not a list
            ({"query": [1, 2], "labels": ["1", "2"]}, "query"),  # numbers, not strings
            ({"query": ["a"]}, "labels"),  # missing
            (
                {"query": ["a"], "labels": ["1"], "response_token_ids": [["x"]]},
                "response_token_ids",
            ),
            ({"query": ["a"], "labels": ["1"], "finish_reasons": ["eos"]}, "finish_reasons"),
        ],
    )
    def test_wrong_types_name_the_field(self, client, payload, field):
        r = client.post("/get_reward", json=payload)
        assert r.status_code == 422
        assert any(field in map(str, err["loc"]) for err in r.json()["detail"]), r.text

    def test_mismatched_lengths(self, client):
        r = client.post(
            "/get_reward", json={"query": ["a", "b"], "prompts": ["p"], "labels": ["1", "2"]}
        )
        assert r.status_code == 422 and "'prompts' has 1 items but 'query' has 2" in r.text

    def test_oversized_body_by_header(self, client):
        big = json.dumps({"query": ["x" * MAX_BODY], "labels": ["1"]})
        r = client.post("/get_reward", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "exceeds" in r.json()["detail"]

    def test_oversized_chunked_body(self, client):
        def chunks():
            yield b'{"query": ["'
            for _ in range(MAX_BODY // 1024 + 2):
                yield b"x" * 1024
            yield b'"], "labels": ["1"]}'

        r = client.post(
            "/get_reward", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413

    def test_unknown_task(self, client):
        payload = {
            "query": ["a"],
            "labels": ["1"],
            "tasks": ["astrology"],
            "response_token_ids": [[1]],
        }
        r = client.post("/get_reward", json=payload)
        assert r.status_code == 422 and "unknown task" in r.json()["detail"]

    def test_too_many_items(self, client):
        r = client.post("/get_reward", json={"query": ["a"] * 51, "labels": ["1"] * 51})
        assert r.status_code == 413 and "limit of 50" in r.json()["detail"]

    def test_server_keeps_serving_after_errors(self, client):
        for _ in range(3):
            client.post("/get_reward", content=b"{", headers={"content-type": "application/json"})
        assert client.post("/get_reward", json=_good()).status_code == 200
        assert client.get("/health").json()["served"] >= 1


def _wait_pending(c: httpx.Client, n: int) -> None:
    deadline = time.monotonic() + 10
    while c.get("/health").json()["pending"] < n:
        assert time.monotonic() < deadline, "request never started grading"
        time.sleep(0.01)


class TestUnderLoad:
    def test_health_answers_while_grading_is_busy(self, server, client):
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(client.post, "/get_reward", json=SLOW)
            _wait_pending(client, 1)
            start = time.perf_counter()
            assert client.get("/health").status_code == 200
            assert time.perf_counter() - start < 0.5  # not stuck behind the 1 s grading
            body = slow.result().json()
        assert body["extra_logs"]["status/timeout"] == 1 and body["rewards"][0] == pytest.approx(
            PAPER(correct=False, length=2, max_length=64)
        )

    def test_full_queue_answers_503(self):
        app = create_app(SPEC, max_concurrency=1, max_pending=1)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as c:
            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(c.post, "/get_reward", json=SLOW)
                _wait_pending(c, 1)
                busy = c.post("/get_reward", json=SLOW)
                assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
                assert slow.result().status_code == 200
            assert c.post("/get_reward", json=SLOW).status_code == 200  # serving again


def test_text_only_request_needs_a_tokenizer():
    from fastapi.testclient import TestClient

    with TestClient(create_app(SPEC)) as c:
        r = c.post("/get_reward", json={"query": ["x"], "labels": ["1"]})
    assert r.status_code == 422 and "--tokenizer" in r.json()["detail"]


def test_create_app_validates_limits():
    with pytest.raises(ValueError, match="max_concurrency"):
        create_app(SPEC, max_concurrency=0)


def test_reward_func_file(monkeypatch, tiny_model_dir):
    import torch

    from longcot.adapters import openrlhf_reward_func as mod

    monkeypatch.setenv(mod.CONFIG_ENV, RECIPE)
    monkeypatch.setenv(mod.TOKENIZER_ENV, str(tiny_model_dir))
    mod._setup.cache_clear()
    good = _good()
    out = mod.reward_func(good["query"], good["prompts"], good["labels"])
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].shape == (2,)
    assert out["scores"].tolist() == [1.0, 0.0] and out["extra_logs"]["count"] == 2
    mod._setup.cache_clear()


def test_reward_func_file_without_config(monkeypatch):
    from longcot.adapters import openrlhf_reward_func as mod

    monkeypatch.delenv(mod.CONFIG_ENV, raising=False)
    mod._setup.cache_clear()
    with pytest.raises(RuntimeError, match=mod.CONFIG_ENV):
        mod.reward_func(["q"], ["p"], ["1"])


def test_cli_settings():
    from longcot.commands.serve_reward import build_spec

    args = argparse.Namespace(config=RECIPE, max_length=2048, preset="classic", grade_workers=None)
    spec = build_spec(args)
    assert spec.max_length == 2048 and spec.outcome.r0_wrong == 0.0
    with pytest.raises(ValueError, match="max_length"):
        build_spec(
            argparse.Namespace(config=None, max_length=None, preset=None, grade_workers=None)
        )
