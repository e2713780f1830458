"""The reward server on a real uvicorn socket (127.0.0.1, a free port): good and
bad requests, status codes, messages, truncation, and that it keeps serving.
Queueing under load is in ``test_adapters_openrlhf_queue.py``, prompt matching and
the reward_func file and CLI in ``test_adapters_openrlhf_setup.py``, OpenRLHF's own
client against this server in ``test_adapters_openrlhf_peer.py``."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import openrlhf_server_fixtures as fx
from longcot.adapters.openrlhf import LOG_KEYS
from longcot.rewards import discounted_returns, repetition_penalty
from openrlhf_server_fixtures import MAX_BODY, PAPER, _good

# The shared fixtures, under their names (pytest finds fixtures among a module's globals).
tokenizer, server, client = fx.tokenizer, fx.server, fx.client


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
