"""Run verl 0.9.1's own reward code on longcot's adapters; print what it produced as JSON.

    python tests/peers/verl_driver.py SCENARIO.json     (with install.peer_env's PYTHONPATH)

Used by ``tests/test_adapters_verl_peer.py``. Everything here is verl's code
on a real ``DataProto`` laid out as its agent loop lays it out (left-padded
prompts, right-padded responses that keep the end-of-sequence id):

- ``hydra`` composes verl's ``ppo_trainer`` config with the documented overrides;
- ``compute_score``: ``get_custom_reward_fn`` and ``load_reward_manager`` build
  verl's ``naive`` manager around it; its ``run_single`` calls it per response;
- ``LongcotRewardManager``: verl's ``RewardLoopWorker`` builds it
  (``load_reward_manager`` with the reward-loop keywords) and runs
  ``compute_score_batch`` on the batch; with ``ray``, ``RewardLoopManager``
  does the same through Ray actors and assembles ``rm_scores``.

Scenario keys: ``tokenizer`` (the tiny model folder, also the policy path),
``response_length``, ``compute_score_overrides`` and ``manager_overrides``
(Hydra override lists, from the docs), ``legacy_overrides`` (an older
release's keys), ``samples`` (``{"prompt", "response", "label"}``), ``ray``
(bool).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback


def compose(overrides: list[str]):
    import verl
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=overrides)


def make_batch(tokenizer, samples: list[dict], response_length: int):
    """A DataProto as verl's agent loop builds it (``AgentLoopWorker._postprocess``)."""
    import numpy as np
    import torch
    from verl import DataProto

    pad = tokenizer.pad_token_id or 0
    prompts = [tokenizer.encode(s["prompt"], add_special_tokens=False) for s in samples]
    width = max(map(len, prompts))
    rows_p, rows_r, masks = [], [], []
    for s, p in zip(samples, prompts, strict=True):
        r = [*tokenizer.encode(s["response"], add_special_tokens=False), tokenizer.eos_token_id]
        r = r[:response_length]  # past the budget: cut, no end-of-sequence
        rows_p.append([pad] * (width - len(p)) + p)
        rows_r.append(r + [pad] * (response_length - len(r)))
        masks.append(
            [0] * (width - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (response_length - len(r))
        )
    prompts_t, responses_t = torch.tensor(rows_p), torch.tensor(rows_r)
    attention = torch.tensor(masks)
    position = torch.clamp(torch.cumsum(attention, dim=-1) - 1, min=0)
    n = len(samples)
    return DataProto.from_dict(
        tensors={
            "prompts": prompts_t,
            "responses": responses_t,
            "response_mask": attention[:, width:],
            "input_ids": torch.cat([prompts_t, responses_t], dim=-1),
            "attention_mask": attention,
            "position_ids": position,
        },
        non_tensors={
            "data_source": np.array(["math500"] * n, dtype=object),
            "reward_model": np.array(
                [{"ground_truth": s["label"], "style": "rule"} for s in samples], dtype=object
            ),
            "extra_info": np.array([{"index": i} for i in range(n)], dtype=object),
            "uid": np.array([str(i) for i in range(n)], dtype=object),
        },
    )


def _plain(value):
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor | np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _section(report: dict, name: str, fn) -> None:
    try:
        report[name] = fn()
    except Exception:
        report[name] = {"error": traceback.format_exc(limit=12)}


def main(path: str) -> None:
    with open(path) as fh:
        sc = json.load(fh)
    from transformers import AutoTokenizer
    from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager

    tokenizer = AutoTokenizer.from_pretrained(sc["tokenizer"])
    common = [
        f"actor_rollout_ref.model.path={sc['tokenizer']}",
        f"actor_rollout_ref.rollout.response_length={sc['response_length']}",
        "reward.num_workers=1",
    ]
    data = make_batch(tokenizer, sc["samples"], sc["response_length"])
    report: dict = {}

    def legacy():
        out = {}
        try:
            cfg = compose(common + sc["legacy_overrides"]["custom_reward_function"])
            out["custom_reward_function"] = get_custom_reward_fn(cfg) is not None
        except Exception as e:
            out["custom_reward_function"] = f"{type(e).__name__}: {e}"
        try:
            compose(common + sc["legacy_overrides"]["reward_manager"])
            out["reward_manager"] = "accepted"
        except Exception as e:
            out["reward_manager"] = f"{type(e).__name__}: {e}"
        return out

    def naive_with_compute_score():
        cfg = compose(common + sc["compute_score_overrides"])
        fn = get_custom_reward_fn(cfg)
        manager = load_reward_manager(cfg, tokenizer)

        async def run():  # concurrently, as RewardLoopWorker.compute_score_batch does
            return await asyncio.gather(
                *(manager.run_single(data[i : i + 1]) for i in range(len(data)))
            )

        outs = manager.loop.run_until_complete(
            run()
        )  # verl's managers keep the loop they were built on
        return {
            "wrapped": f"{fn.args[0].__module__}.{fn.args[0].__name__}" if fn else None,
            "manager": type(manager).__name__,
            "outputs": _plain(outs),
        }

    def reward_loop_worker():
        from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
        from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

        cfg = compose(common + sc["manager_overrides"])
        worker = RewardLoopWorker(cfg)
        outs = worker.loop.run_until_complete(worker.compute_score_batch(data))
        scores = [o["reward_score"] for o in outs]
        cls = type(worker.reward_manager)
        return {
            "manager": f"{cls.__module__}.{cls.__name__}",
            "max_length": worker.reward_manager.spec.max_length,
            "outputs": _plain(outs),
            "rm_scores": _plain(cls.assemble_rm_scores(data, scores)),
            "verl_rm_scores": _plain(RewardManagerBase.assemble_rm_scores(data, scores)),
        }

    def ray_reward_loop_manager():
        import ray
        from verl.experimental.reward_loop import RewardLoopManager

        cfg = compose(common + sc["manager_overrides"])
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=200 * 1024 * 1024,
            runtime_env={"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}},
        )
        try:
            out = RewardLoopManager(cfg).compute_rm_score(data)
            return {
                "rm_scores": _plain(out.batch["rm_scores"]),
                "reward_extra_keys": out.meta_info["reward_extra_keys"],
                "extra": {k: _plain(v) for k, v in out.non_tensor_batch.items()},
            }
        finally:
            ray.shutdown()

    _section(report, "legacy", legacy)
    _section(report, "compute_score", naive_with_compute_score)
    _section(report, "worker", reward_loop_worker)
    if sc.get("ray"):
        _section(report, "ray", ray_reward_loop_manager)
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
