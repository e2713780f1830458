"""longcot's verl adapters under verl 0.9.1's own code: config, loaders, reward loop.

verl is installed without its GPU stack (``tests/peers/install.py``) and run in
a subprocess (``tests/peers/verl_driver.py``) with the Hydra overrides the docs
give, read here from ``adapters/verl.py`` and the README. Rewards are checked
against longcot's scoring of the same token ids, computed here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from longcot.adapters.verl import EXTRA_KEYS
from longcot.adapters.verl import __doc__ as VERL_DOC
from longcot.rewards import Response, RewardSpec, scalar_reward
from peers.install import ensure
from peers.runner import run_driver

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "rewards_paper.yaml"
BUDGET = 64  # actor_rollout_ref.rollout.response_length
SPEC = RewardSpec.from_yaml(RECIPE, {"max_length": BUDGET, "ngram": 4})

SAMPLES = [
    {"prompt": "What is 2+2?", "label": "4", "response": r"It is \boxed{4}."},
    {"prompt": "What is 2+3?", "label": "5", "response": r"It is \boxed{6}."},
    {"prompt": "What is 1+1?", "label": None, "response": r"It is \boxed{2}."},
    {
        "prompt": "What is 3+3?",
        "label": "6",
        "response": r"\boxed{6} " + " ".join(f"step {i} checks out" for i in range(40)),
    },
    {"prompt": "What is 1+2?", "label": "3", "response": r"\boxed{3} " + "so so so so " * 6},
]
CORRECT, WRONG, SKIPPED, TRUNCATED, REPEATS = range(5)


def documented_overrides(text: str) -> tuple[list[str], list[str]]:
    """The Hydra override lines in ``text``: (compute_score's, LongcotRewardManager's)."""
    lines = re.findall(r"^\s*(\+?reward\.[\w.]+=\S+)\s*\\?$", text, flags=re.M)
    score = [ln for ln in lines if "custom_reward_function" in ln]
    manager = [ln for ln in lines if "custom_reward_function" not in ln]
    return score, manager


def _concrete(lines: list[str], policy: Path) -> list[str]:
    return [
        ln.replace("/path/to/policy", str(policy))
        .replace("recipes/rewards_paper.yaml", str(RECIPE))
        .replace("=14336", f"={BUDGET}")
        for ln in lines
    ]


def test_readme_gives_the_docstrings_overrides():
    assert documented_overrides((ROOT / "README.md").read_text()) == documented_overrides(VERL_DOC)


@pytest.fixture(scope="module")
def report(tiny_model_dir, tmp_path_factory) -> dict:
    peers = ensure()  # raises with pip's output when the install fails: no skip
    score_lines, manager_lines = documented_overrides(VERL_DOC)
    assert score_lines and manager_lines
    scenario = {
        "tokenizer": str(tiny_model_dir),
        "response_length": BUDGET,
        # the documented lines, plus a short n-gram so a 64-token budget shows repeats
        "compute_score_overrides": [
            *_concrete(score_lines, tiny_model_dir),
            "+reward.custom_reward_function.reward_kwargs.ngram=4",
        ],
        "manager_overrides": [
            *_concrete(manager_lines, tiny_model_dir),
            "+reward.reward_kwargs.ngram=4",
        ],
        "legacy_overrides": {
            "custom_reward_function": [
                "custom_reward_function.path=pkg://longcot.adapters.verl",
                "custom_reward_function.name=compute_score",
            ],
            "reward_manager": ["reward_model.reward_manager.source=importlib"],
        },
        "samples": [
            {**s, "prompt": f"<|im_start|>user\n{s['prompt']}<|im_end|>\n<|im_start|>assistant\n"}
            for s in SAMPLES
        ],
        "ray": True,
    }
    path = tmp_path_factory.mktemp("verl") / "scenario.json"
    path.write_text(json.dumps(scenario))
    return run_driver("verl_driver.py", peers, str(path), timeout=900)


@pytest.fixture(scope="module")
def expected(tokenizer) -> list[dict]:
    """longcot's scoring of the ids in verl's batch: the response, end-of-sequence
    kept when it fits the budget, cut at the budget otherwise."""
    out = []
    for s in SAMPLES:
        ids = [*tokenizer.encode(s["response"], add_special_tokens=False), tokenizer.eos_token_id]
        valid = min(len(ids), BUDGET)
        finished = len(ids) <= BUDGET
        ids = ids[:-1] if finished else ids[:BUDGET]
        text = tokenizer.decode(ids, skip_special_tokens=True)
        (sample,) = SPEC.score_batch(
            [s["label"]], [Response(text, ids, "stop" if finished else "length")]
        )
        reward = scalar_reward(sample, positions=valid)
        out.append({"reward": 0.0 if reward is None else reward, "valid": valid, "sample": sample})
    return out


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def _ok(section: dict) -> dict:
    assert "error" not in section, section["error"]
    return section


pytestmark = pytest.mark.slow


def test_older_keys_do_nothing_or_fail(report):
    legacy = _ok(report["legacy"])
    assert legacy["custom_reward_function"] is False  # ignored: verl falls back to its scorer
    assert "ConfigCompositionException" in legacy["reward_manager"]


class TestComputeScore:
    def test_verl_loads_and_calls_it(self, report):
        section = _ok(report["compute_score"])
        assert section["wrapped"] == "longcot.adapters.verl.compute_score"
        assert section["manager"] == "NaiveRewardManager"

    def test_scores_and_extra_info(self, report, expected):
        outs = _ok(report["compute_score"])["outputs"]
        got = [o["reward_score"] for o in outs]
        assert got == pytest.approx([e["reward"] for e in expected], abs=1e-6)
        assert got[CORRECT] > got[WRONG] and got[SKIPPED] == 0.0
        for o in outs:
            assert list(o["reward_extra_info"])[: len(EXTRA_KEYS) + 1] == ["score", *EXTRA_KEYS]
        info = [o["reward_extra_info"] for o in outs]
        assert info[TRUNCATED]["truncated"] and info[TRUNCATED]["outcome_reward"] == -10.0
        # verl decodes without special tokens: compute_score cannot see end-of-sequence
        assert info[CORRECT]["finish_guessed"] and not info[TRUNCATED]["finish_guessed"]


class TestRewardManager:
    def test_reward_loop_worker_builds_and_runs_it(self, report, expected):
        section = _ok(report["worker"])
        assert section["manager"] == "longcot.adapters.verl.LongcotRewardManager"
        assert section["max_length"] == BUDGET  # from actor_rollout_ref.rollout.response_length
        got = [o["reward_score"] for o in section["outputs"]]
        assert got == pytest.approx([e["reward"] for e in expected], abs=1e-6)
        assert got[REPEATS] < expected[REPEATS]["sample"].outcome_reward  # penalty included

    def test_exact_truncation_and_the_same_keys(self, report):
        info = [o["reward_extra_info"] for o in _ok(report["worker"])["outputs"]]
        assert all(tuple(i) == EXTRA_KEYS for i in info)
        assert [i["truncated"] for i in info] == [k == TRUNCATED for k in range(len(SAMPLES))]
        assert not any(i["finish_guessed"] for i in info)  # the end-of-sequence id decides
        assert info[SKIPPED]["skipped"] and info[SKIPPED]["status"] == "bad_gold"

    def test_assembled_like_verls_base_manager(self, report, expected):
        section = _ok(report["worker"])
        assert section["rm_scores"] == section["verl_rm_scores"]
        for row, e in zip(section["rm_scores"], expected, strict=True):
            assert row[e["valid"] - 1] == pytest.approx(e["reward"], abs=1e-6)
            assert sum(v != 0 for v in row) <= 1  # one float per response, on its last token

    def test_ray_reward_loop_manager(self, report, expected):
        section = _ok(report["ray"])
        assert section["reward_extra_keys"] == list(EXTRA_KEYS)
        for row, e in zip(section["rm_scores"], expected, strict=True):
            assert row[e["valid"] - 1] == pytest.approx(e["reward"], abs=1e-6)
        assert section["extra"]["skipped"] == [k == SKIPPED for k in range(len(SAMPLES))]
