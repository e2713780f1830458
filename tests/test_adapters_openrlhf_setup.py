"""How OpenRLHF's queries are split from their prompts (also when it cut the prompt),
the warnings said once, the in-process reward_func file and the serve-reward CLI."""

from __future__ import annotations

import argparse
import socket
import time

import httpx
import pytest

import openrlhf_server_fixtures as fx
from longcot.adapters.openrlhf import LOG_KEYS, split_query
from longcot.adapters.openrlhf_server import create_app
from openrlhf_server_fixtures import RECIPE, SPEC, _good

# The shared fixtures, under their names (pytest finds fixtures among a module's globals).
tokenizer, server, client = fx.tokenizer, fx.server, fx.client


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
