"""The reward server on a real uvicorn socket (127.0.0.1, a free port): good and
bad requests, status codes, messages, queueing and batching, truncation and
prompt matching, and that it keeps serving; plus the in-process reward_func
file and the serve-reward CLI settings. OpenRLHF's own client against this
server is in ``test_adapters_openrlhf_peer.py``."""

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

from longcot.adapters.openrlhf import LOG_KEYS, split_query
from longcot.adapters.openrlhf_server import create_app
from longcot.rewards import CosineReward, RewardSpec, discounted_returns, repetition_penalty

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
        logs = body["extra_logs"]
        assert tuple(logs) == LOG_KEYS  # the same keys for every response
        assert logs["accuracy"] == 0.5 and logs["prompt_cut"] == logs["prompt_missing"] == 0
        assert logs["truncated"] == 0 and logs["finish_guessed"] == 0  # both ended with <|im_end|>

    def test_rewards_from_token_ids(self, client):
        payload = {
            "query": [r"\boxed{4}", r"\boxed{4}"],
            "labels": ["4", "4"],
            "response_token_ids": [[1, 2, 3, 4] * 3, [7]],
            "finish_reasons": ["stop", "length"],
        }
        body = client.post("/get_reward", json=payload).json()
        # outcome on the end-of-sequence position, 8 repeated tokens discounted by 0.99^t
        ids = [1, 2, 3, 4] * 3
        rep = float(discounted_returns(repetition_penalty(ids, ngram=4), 0.99)[0])
        assert rep == pytest.approx(-0.05 * sum(0.99**t for t in range(4, 12)))
        assert body["rewards"][0] == pytest.approx(
            PAPER(correct=True, length=12, max_length=64) + rep
        )
        assert body["rewards"][1] == -10.0

    def test_missing_gold_gets_zeros_and_the_same_keys(self, client):
        payload = {"query": [r"\boxed{4}"], "labels": [None], "response_token_ids": [[1, 2]]}
        body = client.post("/get_reward", json=payload).json()
        logs = body["extra_logs"]
        assert body["rewards"] == [0.0] and logs["skipped"] == 1 and logs["status/bad_gold"] == 1
        assert tuple(logs) == LOG_KEYS
        assert logs["accuracy"] == logs["outcome_reward"] == logs["repetition_reward"] == 0.0

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


class TestTruncation:
    """OpenRLHF sends no finish reason: the request's field, then the end-of-sequence
    string, then the budget decide (max_length 64 here)."""

    def _post(self, client, text, **fields):
        payload = {"query": [text], "labels": ["4"], **fields}
        r = client.post("/get_reward", json=payload)
        assert r.status_code == 200, r.text
        return r.json()

    def test_eos_means_finished(self, client):
        body = self._post(client, r"so \boxed{4}<|im_end|>")
        assert body["rewards"][0] > 1.9 and body["extra_logs"]["truncated"] == 0

    def test_no_eos_at_the_budget_is_truncated(self, client, tokenizer):
        text = r"so \boxed{4} " + "and more " * 40  # well over 64 tokens, no <|im_end|>
        assert len(tokenizer.encode(text, add_special_tokens=False)) >= 64
        logs = self._post(client, text)["extra_logs"]
        assert logs["outcome_reward"] == -10.0 and logs["truncated"] == 1

    def test_no_eos_within_slack_of_the_budget_is_truncated(self, client, tokenizer):
        # re-tokenizing decoded text can give a few tokens less than were generated
        for k in range(20, 80):
            text = r"\boxed{4} " + "x " * k
            if 48 <= len(tokenizer.encode(text, add_special_tokens=False)) < 64:
                break
        else:
            raise AssertionError("no text of 48-63 tokens")
        assert self._post(client, text)["extra_logs"]["outcome_reward"] == -10.0

    def test_request_field_wins(self, client):
        body = self._post(client, r"so \boxed{4}<|im_end|>", truncated=[True])
        assert body["rewards"][0] == -10.0
        body = self._post(client, r"so \boxed{4}", finish_reasons=["stop"])
        assert body["rewards"][0] > 1.9 and body["extra_logs"]["finish_guessed"] == 0

    def test_conflicting_fields_are_refused(self, client):
        payload = {
            "query": [r"\boxed{4}"],
            "labels": ["4"],
            "truncated": [True],
            "finish_reasons": ["stop"],
        }
        r = client.post("/get_reward", json=payload)
        assert r.status_code == 422 and "truncated" in r.json()["detail"]

    def test_short_response_without_eos_is_guessed(self, client):
        body = self._post(client, r"so \boxed{4}")
        assert body["rewards"][0] > 1.9  # scored as finished, and counted
        assert body["extra_logs"]["finish_guessed"] == 1

    def test_no_eos_in_a_query_with_special_tokens_is_truncated(self, client):
        # OpenRLHF decodes with special tokens and sets no stop strings: a response
        # without <|im_end|> after a chat prompt was cut, whatever its length.
        query = _good(1)["prompts"][0] + r"so \boxed{4}"
        logs = self._post(client, query)["extra_logs"]
        assert logs["truncated"] == 1 and logs["outcome_reward"] == -10.0
        assert logs["finish_guessed"] == 0

    def test_longer_than_max_length_is_counted(self, client):
        body = self._post(client, r"\boxed{4}", response_token_ids=[list(range(80))])
        assert body["extra_logs"]["over_max_length"] == 1


@pytest.mark.parametrize(
    "query,fields,message",
    [
        (r"so \boxed{4}", {}, "no end-of-sequence and is shorter than max_length"),
        ("<|im_start|>user\nQ<|im_end|>\n" + r"so \boxed{4}", {}, "decoded with special tokens"),
        (r"\boxed{4}", {"response_token_ids": [list(range(80))]}, "more than max_length 64"),
        ("no prompt here", {"prompts": ["<|im_start|>user\nQ<|im_end|>\n"]}, "does not contain"),
    ],
)
def test_each_warning_once(tokenizer, caplog, query, fields, message):
    from longcot.adapters.common import WarnOnce
    from longcot.adapters.openrlhf import score_queries

    warn = WarnOnce()
    batch = {"prompts": None, **fields}
    with caplog.at_level("WARNING", logger="longcot.adapters.common"):
        for _ in range(2):
            score_queries(SPEC, [query], labels=["4"], tokenizer=tokenizer, warn=warn, **batch)
    assert sum(message in m for m in caplog.messages) == 1, caplog.messages


class TestPromptMatching:
    PROMPT = (
        "<|im_start|>user\nA long question about fractions: what is 1/2 + 1/4 when "
        "written in lowest terms?<|im_end|>\n<|im_start|>assistant\n"
    )

    def test_prefix(self):
        assert split_query(self.PROMPT + "resp", self.PROMPT) == ("resp", "prefix")

    @pytest.mark.parametrize("keep", [12, 20, 30])
    def test_prompt_cut_by_openrlhf(self, tokenizer, keep):
        # OpenRLHF keeps prompt_token_ids[-max_prompt_length:] and decodes with the response.
        ids = tokenizer.encode(self.PROMPT, add_special_tokens=False)
        resp = tokenizer.encode(r"so \boxed{3/4}<|im_end|>", add_special_tokens=False)
        query = tokenizer.decode(ids[-keep:] + resp, skip_special_tokens=False)
        assert not query.startswith(self.PROMPT)
        assert split_query(query, self.PROMPT) == (r"so \boxed{3/4}<|im_end|>", "cut")

    def test_missing(self):
        assert split_query("nothing in common", self.PROMPT) == ("nothing in common", "missing")

    def test_cut_prompt_scores_like_the_full_one(self, client, tokenizer):
        ids = tokenizer.encode(self.PROMPT, add_special_tokens=False)
        resp = tokenizer.encode(r"so \boxed{3/4}<|im_end|>", add_special_tokens=False)
        full = tokenizer.decode(ids + resp, skip_special_tokens=False)
        cut = tokenizer.decode(ids[-15:] + resp, skip_special_tokens=False)
        bodies = [
            client.post(
                "/get_reward", json={"query": [q], "prompts": [self.PROMPT], "labels": ["3/4"]}
            ).json()
            for q in (full, cut)
        ]
        assert bodies[0]["rewards"] == pytest.approx(bodies[1]["rewards"])
        assert bodies[0]["scores"] == bodies[1]["scores"] == [1.0]
        assert (bodies[0]["extra_logs"]["prompt_cut"], bodies[1]["extra_logs"]["prompt_cut"]) == (
            0,
            1,
        )


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
    monkeypatch.setenv(mod.MAX_LENGTH_ENV, "64")
    monkeypatch.setenv(mod.TOKENIZER_ENV, str(tiny_model_dir))
    mod._setup.cache_clear()
    good = _good()
    out = mod.reward_func(good["query"], good["prompts"], good["labels"])
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].shape == (2,)
    assert out["scores"].tolist() == [1.0, 0.0] and tuple(out["extra_logs"]) == LOG_KEYS
    mod._setup.cache_clear()


@pytest.mark.parametrize("unset", ["CONFIG_ENV", "MAX_LENGTH_ENV"])
def test_reward_func_file_needs_its_settings(monkeypatch, tiny_model_dir, unset):
    from longcot.adapters import openrlhf_reward_func as mod

    monkeypatch.setenv(mod.CONFIG_ENV, RECIPE)
    monkeypatch.setenv(mod.MAX_LENGTH_ENV, "64")
    monkeypatch.setenv(mod.TOKENIZER_ENV, str(tiny_model_dir))
    monkeypatch.delenv(getattr(mod, unset))
    mod._setup.cache_clear()
    with pytest.raises(RuntimeError, match=getattr(mod, unset)):
        mod.reward_func(["q"], ["p"], ["1"])
    mod._setup.cache_clear()


def test_cli_settings():
    from longcot.commands.serve_reward import build_spec

    args = argparse.Namespace(config=RECIPE, max_length=2048, preset="classic", grade_workers=None)
    spec = build_spec(args)
    assert spec.max_length == 2048 and spec.outcome.r0_wrong == 0.0


def test_cli_requires_max_length(capsys):
    from longcot.cli import main

    with pytest.raises(SystemExit):
        main(["serve-reward", "--config", RECIPE])
    assert "--max-length" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_server_states_its_budget_and_serves(tiny_model_dir, tmp_path):
    """`longcot serve-reward` as a process: the start-up line names the budget rule,
    then a text-only request is scored with the tokenizer's end-of-sequence."""
    import subprocess
    import sys

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = tmp_path / "server.log"
    cmd = [
        sys.executable,
        "-c",
        "from longcot.cli import main; raise SystemExit(main())",
        "serve-reward",
        "--config",
        RECIPE,
        "--max-length",
        "64",
        "--tokenizer",
        str(tiny_model_dir),
        "--port",
        str(port),
    ]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert health["reward"]["max_length"] == 64 and health["tokenizer"] == str(tiny_model_dir)
        text = log.read_text()
        assert "max_length=64" in text and "--rollout.max_new_tokens" in text, text
        r = httpx.post(f"http://127.0.0.1:{port}/get_reward", json=_good(1), timeout=60)
        assert r.status_code == 200 and r.json()["scores"] == [1.0]
        assert r.json()["extra_logs"]["finish_guessed"] == 0  # <|im_end|> was recognised
    finally:
        proc.terminate()
        proc.wait(timeout=30)
