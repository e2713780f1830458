"""The reward server under OpenRLHF's load pattern: requests queue and are batched,
a bad one fails alone, an abandoned one leaves the queue, 503 only past max_pending."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import openrlhf_server_fixtures as fx
from longcot.adapters.openrlhf_server import create_app
from openrlhf_server_fixtures import PAPER, SLOW, SPEC, _good, serve

# The shared fixtures, under their names (pytest finds fixtures among a module's globals).
tokenizer, server, client = fx.tokenizer, fx.server, fx.client


def _wait_running(c: httpx.Client, n: int = 1) -> None:
    deadline = time.monotonic() + 10
    while c.get("/health").json()["running_batches"] < n:
        assert time.monotonic() < deadline, "request never started grading"
        time.sleep(0.01)


class TestUnderLoad:
    def test_health_answers_while_grading_is_busy(self, server, client):
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(client.post, "/get_reward", json=SLOW)
            _wait_running(client)
            start = time.perf_counter()
            assert client.get("/health").status_code == 200
            assert time.perf_counter() - start < 0.5  # not stuck behind the 1 s grading
            body = slow.result().json()
        assert body["extra_logs"]["status/timeout"] == 1 and body["rewards"][0] == pytest.approx(
            PAPER(correct=False, length=2, max_length=64)
        )

    def test_one_sample_requests_queue_and_are_batched(self, tokenizer):
        # OpenRLHF's pattern: many concurrent one-sample requests. One batch runs at a
        # time; the others wait (no 503) and are graded together.
        app = create_app(SPEC, tokenizer=tokenizer, max_concurrency=1, max_batch_items=64)
        one = _good(1)
        with serve(app) as url:

            def post(_):
                with httpx.Client(base_url=url, timeout=60) as c:
                    return c.post("/get_reward", json=one)

            with ThreadPoolExecutor(32) as pool:
                replies = list(pool.map(post, range(64)))
            health = httpx.get(f"{url}/health").json()
        assert [r.status_code for r in replies] == [200] * 64
        assert all(r.json()["scores"] == [1.0] for r in replies)
        assert health["served"] == 64 and health["rejected"] == 0
        assert health["batches"] < 64  # requests that waited were graded together

    def test_a_bad_request_fails_alone_when_batched(self, tokenizer):
        app = create_app(SPEC, tokenizer=tokenizer, max_concurrency=1)
        bad = {"query": ["a"], "labels": ["1"], "tasks": ["astrology"], "response_token_ids": [[1]]}
        with (
            serve(app) as url,
            httpx.Client(base_url=url, timeout=60) as c,
            ThreadPoolExecutor(8) as pool,
        ):
            slow = pool.submit(c.post, "/get_reward", json=SLOW)
            _wait_running(c)  # the rest queue behind it and form one batch
            good = [pool.submit(c.post, "/get_reward", json=_good(1)) for _ in range(3)]
            failed = pool.submit(c.post, "/get_reward", json=bad)
            assert slow.result().status_code == 200
            assert [g.result().status_code for g in good] == [200] * 3
            assert failed.result().status_code == 422
            assert "unknown task" in failed.result().json()["detail"]

    def test_a_client_that_gives_up_leaves_the_queue(self):
        # OpenRLHF's client times out and resends: the abandoned copy is not graded.
        app = create_app(SPEC, max_concurrency=1)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as c:
            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(c.post, "/get_reward", json=SLOW)
                _wait_running(c)
                with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=url) as impatient:
                    impatient.post("/get_reward", json=SLOW, timeout=0.3)
                assert slow.result().status_code == 200
            deadline = time.monotonic() + 10
            while (health := c.get("/health").json())["abandoned"] < 1:
                assert time.monotonic() < deadline, health
                time.sleep(0.05)
            assert health["responses"] == 1 and health["pending"] == 0  # graded: the first only

    def test_503_only_past_max_pending(self):
        app = create_app(SPEC, max_concurrency=1, max_pending=1)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as c:
            with ThreadPoolExecutor(2) as pool:
                slow = pool.submit(c.post, "/get_reward", json=SLOW)
                _wait_running(c)
                queued = pool.submit(c.post, "/get_reward", json=SLOW)  # waits: 1 pending
                deadline = time.monotonic() + 10
                while c.get("/health").json()["pending"] < 1:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                busy = c.post("/get_reward", json=SLOW)
                assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
                assert slow.result().status_code == 200 and queued.result().status_code == 200
            assert c.post("/get_reward", json=SLOW).status_code == 200  # serving again
