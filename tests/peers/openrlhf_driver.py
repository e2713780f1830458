"""Run OpenRLHF 0.11.2's own reward path on scripted rollouts; print what it produced as JSON.

    python tests/peers/openrlhf_driver.py SCENARIO.json     (with install.peer_env's PYTHONPATH)

Used by ``tests/test_adapters_openrlhf_peer.py``. What runs is OpenRLHF's code:
``SingleTurnAgentExecutor.execute`` (prompt tokenization and cutting, the
query it decodes, its HTTP client with 5 tries 1 s apart, or its loading of a
``reward_func`` file), ``SamplesGenerator._process_response_into_experience``
(rewards and ``extra_logs`` into ``Experience.info``), and the batching the
trainer and replay buffer apply (``Experience.concat_experiences``,
``split_experience_batch``, ``make_experience_batch``).

Two stand-ins, for what cannot run on a CPU: the ``vllm`` module (only its
names are imported: ``SamplingParams`` and two helpers), and the vLLM engine,
which "generates" each scenario's scripted response the way vLLM reports it
(token ids with the end-of-sequence id when it stopped, cut at
``max_tokens`` with ``finish_reason="length"`` otherwise).

Scenario keys: ``reward_url`` (``http://.../get_reward`` or a ``.py`` file),
``tokenizer`` (folder), ``max_new_tokens``, ``max_len`` (prompt + response
budget, OpenRLHF ``--data.max_len``), ``samples``: a list of ``{"prompt",
"label", "response"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
import uuid
from dataclasses import dataclass, field


def _install_vllm_names() -> None:
    """The names OpenRLHF imports from vllm at module level (no vLLM on CPU)."""

    @dataclass
    class SamplingParams:
        temperature: float = 1.0
        top_p: float = 1.0
        top_k: int = -1
        max_tokens: int | None = None
        min_tokens: int = 1
        skip_special_tokens: bool = False
        logprobs: int | None = None

    vllm = types.ModuleType("vllm")
    vllm.__version__ = "0.29.0"  # what OpenRLHF 0.11.2 pins
    vllm.SamplingParams = SamplingParams
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = dict
    utils = types.ModuleType("vllm.utils")
    utils.random_uuid = lambda: uuid.uuid4().hex
    vllm.inputs, vllm.utils = inputs, utils
    sys.modules.update({"vllm": vllm, "vllm.inputs": inputs, "vllm.utils": utils})


@dataclass
class _Completion:
    token_ids: list[int]
    text: str
    finish_reason: str
    logprobs: None = None


@dataclass
class _RequestOutput:
    outputs: list[_Completion] = field(default_factory=list)


class ScriptedEngine:
    """Stands in for vLLM: returns the scripted response of each prompt as vLLM would."""

    def __init__(self, tokenizer, responses: dict[str, str]):
        self.tokenizer = tokenizer
        self.by_prompt = {
            tuple(tokenizer(text=p, add_special_tokens=False)["input_ids"]): r
            for p, r in responses.items()
        }

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        key = tuple(prompt_token_ids)
        text = self.by_prompt.get(key)
        if text is None:  # OpenRLHF cut the prompt: it kept the end of one scripted prompt
            text = next(r for p, r in self.by_prompt.items() if p[len(p) - len(key) :] == key)
        ids = [*self.tokenizer.encode(text, add_special_tokens=False), self.tokenizer.eos_token_id]
        finish = "stop"
        if len(ids) > sampling_params.max_tokens:
            ids, finish = ids[: sampling_params.max_tokens], "length"
        decoded = self.tokenizer.decode(ids, skip_special_tokens=True)
        await asyncio.sleep(0)
        return _RequestOutput([_Completion(ids, decoded, finish)])


def _jsonable(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def _rollouts(scenario: dict) -> tuple[list[dict], list[str]]:
    from openrlhf.utils.agent import SingleTurnAgentExecutor
    from transformers import AutoTokenizer
    from vllm import SamplingParams

    tokenizer = AutoTokenizer.from_pretrained(scenario["tokenizer"])
    samples = scenario["samples"]
    engine = ScriptedEngine(tokenizer, {s["prompt"]: s["response"] for s in samples})
    executor = SingleTurnAgentExecutor(remote_rm_url=[scenario["reward_url"]])
    params = SamplingParams(max_tokens=scenario["max_new_tokens"])
    outputs = await asyncio.gather(
        *(
            executor.execute(
                s["prompt"],
                s["label"],
                params,
                max_length=scenario["max_len"],
                hf_tokenizer=tokenizer,
                llm_engine=engine,
            )
            for s in samples
        )
    )
    queries = [
        tokenizer.decode(o["observation_tokens"], skip_special_tokens=False) for o in outputs
    ]
    return list(outputs), queries


def _batching(outputs: list[dict], max_len: int, pad_id: int) -> dict:
    """Rewards and extra_logs through OpenRLHF's experience batching, as its trainer does."""
    from openrlhf.trainer.ppo_utils.experience import (
        Experience,
        make_experience_batch,
        split_experience_batch,
    )
    from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator

    report: dict = {}
    experiences = [
        SamplesGenerator._process_response_into_experience(None, o, max_len=max_len)
        for o in outputs
    ]
    report["info_keys"] = [sorted(e.info) for e in experiences]
    # micro-batch of all samples (ExperienceMaker.split_rollout_samples), then the
    # replay buffer's split into single samples and make_experience_batch over them
    try:
        batch = Experience.concat_experiences(experiences, pad_id)
        items = split_experience_batch(batch)
        merged = make_experience_batch(items)
        report["batched"] = {
            "rewards": _jsonable(merged.rewards),
            "info": {k: _jsonable(v) for k, v in merged.info.items()},
        }
    except Exception as e:  # reported, and asserted on by the test
        report["batched_error"] = f"{type(e).__name__}: {e}"
    # micro-batches of one sample each (--rollout.micro_batch_size 1)
    try:
        singles = [
            item
            for e in experiences
            for item in split_experience_batch(Experience.concat_experiences([e], pad_id))
        ]
        merged = make_experience_batch(singles)
        report["singles_info_keys"] = sorted(merged.info)
    except Exception as e:
        report["singles_error"] = f"{type(e).__name__}: {e}"
    return report


def main(path: str) -> None:
    _install_vllm_names()
    with open(path) as fh:
        scenario = json.load(fh)
    from transformers import AutoTokenizer

    outputs, queries = asyncio.run(_rollouts(scenario))
    pad_id = AutoTokenizer.from_pretrained(scenario["tokenizer"]).pad_token_id or 0
    report = {
        "samples": [
            {
                "query": q,
                "reward": _jsonable(o["reward"]),
                "scores": _jsonable(o["scores"]),
                "extra_logs": _jsonable(o["extra_logs"]),
                "truncated": o["truncated"],
                "action_tokens": o["action_ranges"][0][1] - o["action_ranges"][0][0],
            }
            for o, q in zip(outputs, queries, strict=True)
        ],
        **_batching(outputs, scenario["max_len"], pad_id),
    }
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
