"""Shared by the reward-server tests: the paper's recipe, a small spec, a live uvicorn
server on 127.0.0.1 (a free port) and a client, and a good request."""

from __future__ import annotations

import socket
import threading
import time
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
