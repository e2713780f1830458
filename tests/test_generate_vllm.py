"""vLLM outputs -> Completions, without vLLM or a GPU; the real engine only under ``gpu``."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

import pytest

from longcot.generate import SamplingParams
from longcot.generate.vllm_backend import (
    VLLMUnavailableError,
    completions_from_vllm,
    to_vllm_sampling_params,
)

EOS = 2


@dataclass
class FakeCompletionOutput:
    """Mirrors vllm.outputs.CompletionOutput (the fields longcot reads, in vLLM's order)."""

    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None
    logprobs: list | None = None
    finish_reason: str | None = None
    stop_reason: int | str | None = None


@dataclass
class FakeRequestOutput:
    """Mirrors vllm.outputs.RequestOutput."""

    request_id: str
    prompt: str | None
    prompt_token_ids: list[int] | None
    prompt_logprobs: list | None
    outputs: list[FakeCompletionOutput] = field(default_factory=list)
    finished: bool = True


def _request(*outputs: FakeCompletionOutput) -> FakeRequestOutput:
    return FakeRequestOutput("req-0", "Q", [5, 6, 7], None, list(outputs))


def test_eos_is_dropped_and_counts_follow():
    [c] = completions_from_vllm(
        _request(FakeCompletionOutput(0, "42", [10, 11, EOS], -1.5, finish_reason="stop")), [EOS]
    )
    assert c.token_ids == (10, 11)
    assert (c.prompt_tokens, c.completion_tokens) == (3, 2)
    assert c.finish_reason == "stop" and c.text == "42"
    assert c.extra == {"cumulative_logprob": -1.5, "eos_token_id": 2}


def test_length_keeps_every_token():
    [c] = completions_from_vllm(
        _request(FakeCompletionOutput(0, "abc", [10, 11, 12], None, finish_reason="length")), [EOS]
    )
    assert c.token_ids == (10, 11, 12) and c.truncated and c.completion_tokens == 3


def test_stop_string_is_reported_and_tokens_kept():
    out = FakeCompletionOutput(
        0, "x = 1", [10, 11, 12], None, finish_reason="stop", stop_reason="</answer>"
    )
    [c] = completions_from_vllm(_request(out), [EOS])
    assert c.extra["stop"] == "</answer>"
    assert c.token_ids == (10, 11, 12)  # the stop string's tokens were generated: they count


def test_stop_token_id_is_dropped_like_eos():
    out = FakeCompletionOutput(0, "ok", [10, 99], None, finish_reason="stop", stop_reason=99)
    [c] = completions_from_vllm(_request(out), [EOS])
    assert c.token_ids == (10,)


def test_outputs_are_ordered_by_index():
    outs = [
        FakeCompletionOutput(i, f"t{i}", [i + 10], None, finish_reason="length") for i in (2, 0, 1)
    ]
    assert [c.text for c in completions_from_vllm(_request(*outs))] == ["t0", "t1", "t2"]


@pytest.mark.parametrize("reason", ["abort", None])
def test_aborted_or_unfinished_outputs_raise(reason):
    with pytest.raises(RuntimeError, match="req-0"):
        completions_from_vllm(_request(FakeCompletionOutput(0, "", [], None, finish_reason=reason)))


def test_sampling_params_translation():
    class FakeVLLM:
        @staticmethod
        def SamplingParams(**kwargs):  # mirrors vllm.SamplingParams
            return kwargs

    got = to_vllm_sampling_params(
        SamplingParams(n=4, temperature=0.7, top_p=0.95, max_new_tokens=99, seed=3, stop=["</s>"]),
        FakeVLLM,
    )
    assert got == {
        "n": 4,
        "temperature": 0.7,
        "top_p": 0.95,
        "max_tokens": 99,
        "seed": 3,
        "stop": ["</s>"],
        "skip_special_tokens": True,
        "logprobs": None,
    }
    with_lp = to_vllm_sampling_params(SamplingParams(logprobs=True), FakeVLLM)
    assert with_lp["logprobs"] == 0  # the sampled token's own log-prob only
    greedy = to_vllm_sampling_params(SamplingParams(temperature=0), FakeVLLM)
    assert greedy["top_p"] == 1.0 and greedy["stop"] is None


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_missing_vllm_says_what_to_install():
    from longcot.generate.vllm_backend import VLLMBackend

    with pytest.raises(VLLMUnavailableError, match=r"pip install 'longcot\[vllm\]'"):
        VLLMBackend("whatever")


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None or not _cuda(), reason="needs vLLM and a CUDA GPU"
)
def test_vllm_runs_the_tiny_model(tiny_model_dir):
    from longcot.generate.vllm_backend import VLLMBackend

    be = VLLMBackend(
        str(tiny_model_dir), gpu_memory_utilization=0.3, max_model_len=512, enforce_eager=True
    )
    try:
        out = be.generate(
            [[{"role": "user", "content": "1+1?"}], "The answer is"],
            SamplingParams(n=2, max_new_tokens=8, seed=0),
        )
        assert [len(cs) for cs in out] == [2, 2]
        for cs in out:
            for c in cs:
                assert c.completion_tokens == len(c.token_ids) <= 8
        again = be.generate(["The answer is"], SamplingParams(n=2, max_new_tokens=8, seed=0))
        assert [c.token_ids for c in again[0]] == [c.token_ids for c in out[1]]
    finally:
        be.close()


class _FakeVLLMModule:
    @staticmethod
    def SamplingParams(**kwargs):  # mirrors vllm.SamplingParams
        return kwargs


class _FakeLLM:
    """Answers each request with one completion naming its prompt and seed."""

    def __init__(self):
        self.calls = []

    def generate(self, requests, sampling, use_tqdm=False):
        self.calls.append((requests, sampling))
        outs = []
        for req, sp in zip(requests, sampling, strict=True):
            ids = req["prompt_token_ids"]
            text = f"p{ids[0]} s{sp['seed']}"
            outs.append(
                FakeRequestOutput(
                    "r",
                    None,
                    ids,
                    None,
                    [FakeCompletionOutput(0, text, [9], None, finish_reason="stop")],
                )
            )
        return outs


def test_seeded_generation_sends_one_request_per_sample_and_regroups(monkeypatch):
    import longcot.generate.vllm_backend as vb

    backend = object.__new__(vb.VLLMBackend)  # no engine: only the request plumbing is tested
    backend._vllm, backend.llm, backend.eos_ids, backend.tokenizer = (
        _FakeVLLMModule,
        _FakeLLM(),
        (EOS,),
        None,
    )
    monkeypatch.setattr(vb.prompt_codec, "encode", lambda tokenizer, prompt: [len(prompt)])
    out = backend.generate(["a", "bbb"], SamplingParams(n=3, seed=10))
    # Sample i of a prompt gets seed + i, so a resumed run can draw it alone.
    assert [[c.text for c in group] for group in out] == [
        ["p1 s10", "p1 s11", "p1 s12"],
        ["p3 s10", "p3 s11", "p3 s12"],
    ]
    [(requests, sampling)] = backend.llm.calls
    assert len(requests) == 6 and all(sp["n"] == 1 for sp in sampling)


def test_sampled_token_logprobs_are_kept_and_split_at_eos():
    from types import SimpleNamespace

    from longcot.generate.vllm_backend import completions_from_vllm

    lp = lambda v: SimpleNamespace(logprob=v)  # noqa: E731
    out = SimpleNamespace(
        index=0,
        text="42",
        token_ids=[10, 11, 2],
        finish_reason="stop",
        stop_reason=None,
        cumulative_logprob=None,
        logprobs=[{10: lp(-0.1)}, {11: lp(-0.2)}, {2: lp(-0.3)}],
    )
    [c] = completions_from_vllm(SimpleNamespace(prompt_token_ids=[1, 2], outputs=[out]), [2])
    assert c.token_ids == (10, 11)
    assert c.extra["token_logprobs"] == [-0.1, -0.2]
    assert c.extra["eos_logprob"] == -0.3 and c.extra["eos_token_id"] == 2
