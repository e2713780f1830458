"""longcot's reward server and reward_func file under OpenRLHF 0.11.2's own code.

OpenRLHF is installed without its GPU stack (``tests/peers/install.py``) and
run in a subprocess (``tests/peers/openrlhf_driver.py``): its rollout executor
tokenizes and cuts prompts, decodes the query, posts it with its own client
(or loads the reward file), and its experience batching merges the results.
The rollouts are scripted (no vLLM on a CPU); their rewards are checked against
longcot's scoring of the same token ids, computed here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from longcot.adapters.openrlhf import LOG_KEYS
from longcot.adapters.openrlhf_server import create_app
from longcot.rewards import Response, RewardSpec, scalar_reward
from openrlhf_server_fixtures import serve
from peers.install import ensure
from peers.runner import run_driver

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "rewards_paper.yaml"
MAX_NEW = 48  # OpenRLHF --rollout.max_new_tokens, and the server's --max-length
MAX_LEN = 88  # OpenRLHF --data.max_len: prompts longer than 40 tokens are cut
SPEC = RewardSpec.from_yaml(RECIPE, {"max_length": MAX_NEW})


def _chat(q: str) -> str:
    return f"<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


LONG_Q = (
    "A farmer has some chickens and some cows, and counts the heads and the legs of all "
    "the animals in the barn one morning before feeding them. What is two plus two?"
)
SAMPLES = [
    {"prompt": _chat("What is 2+2?"), "label": "4", "response": r"It is \boxed{4}."},
    {"prompt": _chat("What is 2+3?"), "label": "5", "response": r"It is \boxed{6}."},
    {"prompt": _chat("What is 1+1?"), "label": None, "response": r"It is \boxed{2}."},
    {
        "prompt": _chat("What is 3+3?"),
        "label": "6",
        "response": r"\boxed{6} " + " ".join(f"step {i} checks out" for i in range(30)),
    },
    {"prompt": _chat(LONG_Q), "label": "4", "response": r"Two plus two: \boxed{4}."},
    {"prompt": _chat("What is 4+0?"), "label": "4", "response": r"Two plus two: \boxed{4}."},
]
CORRECT, WRONG, SKIPPED, TRUNCATED, CUT, UNCUT = range(6)


@pytest.fixture(scope="module")
def peers() -> Path:
    return ensure()  # raises with pip's output when the install fails: no skip


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def expected(tokenizer) -> list[float]:
    """longcot's rewards for the token ids the scripted engine returns (no text path)."""
    out = []
    for s in SAMPLES:
        ids = [*tokenizer.encode(s["response"], add_special_tokens=False), tokenizer.eos_token_id]
        finished = len(ids) <= MAX_NEW
        ids = ids[:-1] if finished else ids[:MAX_NEW]
        text = tokenizer.decode(ids, skip_special_tokens=True)
        (sample,) = SPEC.score_batch(
            [s["label"]], [Response(text, ids, "stop" if finished else "length")]
        )
        reward = scalar_reward(sample)
        out.append(0.0 if reward is None else reward)
    return out


def _scenario(tmp_path: Path, tiny_model_dir: Path, url: str) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(
        json.dumps(
            {
                "reward_url": url,
                "tokenizer": str(tiny_model_dir),
                "max_new_tokens": MAX_NEW,
                "max_len": MAX_LEN,
                "samples": SAMPLES,
            }
        )
    )
    return str(path)


@pytest.fixture(scope="module")
def http_report(peers, tokenizer, tiny_model_dir, tmp_path_factory):
    app = create_app(SPEC, tokenizer=tokenizer)
    with serve(app) as url:
        scenario = _scenario(tmp_path_factory.mktemp("orlhf"), tiny_model_dir, f"{url}/get_reward")
        return run_driver("openrlhf_driver.py", peers, scenario)


@pytest.fixture(scope="module")
def func_report(peers, tiny_model_dir, tmp_path_factory):
    import longcot.adapters.openrlhf_reward_func as mod

    scenario = _scenario(tmp_path_factory.mktemp("orlhf"), tiny_model_dir, mod.__file__)
    env = {mod.CONFIG_ENV: str(RECIPE), mod.MAX_LENGTH_ENV: str(MAX_NEW)}
    return run_driver(
        "openrlhf_driver.py", peers, scenario, **env, **{mod.TOKENIZER_ENV: str(tiny_model_dir)}
    )


@pytest.fixture(scope="module")
def mismatch_report(peers, tokenizer, tiny_model_dir, tmp_path_factory):
    """The server started with the paper's budget while OpenRLHF generates 48 tokens."""
    app = create_app(RewardSpec.from_yaml(RECIPE, {"max_length": 14336}), tokenizer=tokenizer)
    with serve(app) as url:
        scenario = _scenario(tmp_path_factory.mktemp("orlhf"), tiny_model_dir, f"{url}/get_reward")
        return run_driver("openrlhf_driver.py", peers, scenario)


def _reward(sample: dict) -> float:
    value = sample["reward"]
    while isinstance(value, list):  # HTTP: a one-item list; reward_func: a one-item tensor
        (value,) = value
    return value


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["http", "func"])
class TestOpenRLHFRollout:
    @pytest.fixture
    def report(self, mode, request):
        return request.getfixturevalue(f"{mode}_report")

    def test_every_sample_gets_longcots_reward(self, report, expected):
        rewards = [_reward(s) for s in report["samples"]]
        assert rewards == pytest.approx(expected, abs=1e-6)
        assert rewards[CORRECT] > rewards[WRONG]
        assert [s["scores"] for s in report["samples"]][:3] in ([[1.0], [0.0], [0.0]],)

    def test_bad_gold_gets_zeros_and_the_same_keys(self, report):
        logs = [s["extra_logs"] for s in report["samples"]]
        assert all(tuple(log) == LOG_KEYS for log in logs)
        assert _reward(report["samples"][SKIPPED]) == 0.0
        assert logs[SKIPPED]["skipped"] == 1 and logs[SKIPPED]["accuracy"] == 0

    def test_experience_batching_accepts_the_logs(self, report):
        # the failure this guards against: "Size of info[accuracy] (3) does not match batch_size (4)"
        assert "batched_error" not in report and "singles_error" not in report, report
        info = report["batched"]["info"]
        assert all(len(info[k]) == len(SAMPLES) for k in LOG_KEYS)
        assert set(LOG_KEYS) <= set(report["singles_info_keys"])

    def test_truncation_matches_openrlhfs_own_flag(self, report):
        flags = [s["truncated"] for s in report["samples"]]
        assert flags == [i == TRUNCATED for i in range(len(SAMPLES))]
        logs = report["samples"][TRUNCATED]["extra_logs"]
        assert logs["truncated"] == 1 and logs["outcome_reward"] == -10.0
        assert report["samples"][TRUNCATED]["action_tokens"] == MAX_NEW
        assert all(s["extra_logs"]["finish_guessed"] == 0 for s in report["samples"])

    def test_a_cut_prompt_is_matched_and_counted(self, report, tokenizer):
        cut, uncut = report["samples"][CUT], report["samples"][UNCUT]
        assert not cut["query"].startswith(SAMPLES[CUT]["prompt"])  # OpenRLHF cut it
        assert cut["extra_logs"]["prompt_cut"] == 1 and uncut["extra_logs"]["prompt_cut"] == 0
        assert _reward(cut) == pytest.approx(_reward(uncut))


@pytest.mark.slow
def test_a_wrong_max_length_still_scores_truncation(mismatch_report):
    # A query that keeps special tokens but lacks <|im_end|> was cut: the exceed
    # penalty, not the reward of a short correct answer.
    samples = mismatch_report["samples"]
    assert samples[TRUNCATED]["truncated"]  # OpenRLHF's own flag
    logs = samples[TRUNCATED]["extra_logs"]
    assert logs["truncated"] == 1 and logs["outcome_reward"] == -10.0
    assert _reward(samples[CORRECT]) > 1.9  # finished responses are unaffected


def _openrlhf_options(peers: Path) -> set[str]:
    """Option strings OpenRLHF 0.11.2's PPO launcher defines, read from its source."""
    tree = ast.parse((peers / "openrlhf" / "cli" / "train_ppo_ray.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            out.update(a.value for a in node.args if isinstance(a, ast.Constant))
    return out


DOCS = [
    ROOT / "README.md",
    ROOT / "src" / "longcot" / "adapters" / "openrlhf.py",
    ROOT / "src" / "longcot" / "adapters" / "openrlhf_reward_func.py",
    ROOT / "src" / "longcot" / "commands" / "serve_reward.py",
]


def test_documented_openrlhf_options_exist(peers):
    options = _openrlhf_options(peers)
    assert "--reward.remote_url" in options  # the parse found the launcher's options
    used = {m for doc in DOCS for m in re.findall(r"--[a-z_]+\.[a-z_.]+", doc.read_text())}
    assert used, "no OpenRLHF options found in the docs"
    assert used <= options, f"not options of OpenRLHF 0.11.2: {sorted(used - options)}"
    for old in ("--remote_rm_url", "--label_key", "--generate_max_len"):
        assert all(old not in doc.read_text() for doc in DOCS), old
