"""The one recipe loader: sections, unknown keys, --set, command sections, errors naming file and key."""

from __future__ import annotations

import pytest

from longcot.config import RecipeError, load_recipe, parse_set
from longcot.config.sections import AlgorithmSection


def _write(tmp_path, text: str):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_sections_are_read_and_defaults_fill_the_rest(tmp_path):
    path = _write(
        tmp_path,
        "model: {path: m}\nrollout: {n: 4, max_new_tokens: 64}\nalgorithm: {estimator: grpo}\n",
    )
    r = load_recipe(path, command="rl")
    assert r.model.path == "m"
    assert (r.rollout.n, r.rollout.max_new_tokens) == (4, 64)
    assert r.algorithm.estimator == "grpo"
    assert r.algorithm.clip_low == AlgorithmSection().clip_low  # untouched default
    # The reward budget follows the rollout budget unless the recipe sets it.
    assert r.reward.max_length == 64


def test_set_overrides_win_and_parse_as_yaml(tmp_path):
    path = _write(tmp_path, "rollout: {n: 4, backend_options: {threads: 1, x: 1}}\n")
    r = load_recipe(
        path,
        ["rollout.n=8", "rollout.backend_options.threads=2", "reward.preset=classic"],
        command="rl",
    )
    assert r.rollout.n == 8
    assert r.rollout.backend_options == {"threads": 2, "x": 1}  # nested keys merge
    assert r.reward.outcome.r_exceed == 0.0  # classic preset


def test_unknown_key_names_file_and_key(tmp_path):
    path = _write(tmp_path, "algorithm: {clip_hihg: 0.28}\n")
    with pytest.raises(RecipeError, match=r"r\.yaml: unknown key algorithm\.clip_hihg; known keys"):
        load_recipe(path, command="rl")


def test_bad_value_names_file_and_key(tmp_path):
    path = _write(tmp_path, "algorithm: {loss_agg: mean}\n")
    with pytest.raises(RecipeError, match=r"r\.yaml: algorithm\.loss_agg='mean': must be one of"):
        load_recipe(path, command="rl")


def test_bad_value_from_set_names_set(tmp_path):
    path = _write(tmp_path, "rollout: {n: 4}\n")
    with pytest.raises(RecipeError, match=r"--set: rollout\.n=0: must be an integer >= 1"):
        load_recipe(path, ["rollout.n=0"], command="rl")


def test_bad_reward_value_names_file(tmp_path):
    path = _write(tmp_path, "reward: {ngram: 0}\n")
    with pytest.raises(RecipeError, match=r"r\.yaml: reward: ngram"):
        load_recipe(path, command="rl")


def test_unknown_and_unused_sections(tmp_path):
    with pytest.raises(RecipeError, match="unknown section 'evl'"):
        load_recipe(_write(tmp_path, "evl: {limit: 1}\n"), command="eval")
    with pytest.raises(RecipeError, match="section 'algorithm' is not used by `longcot sft`"):
        load_recipe(_write(tmp_path, "algorithm: {lam: 1.0}\n"), command="sft")


def test_section_must_be_a_mapping(tmp_path):
    with pytest.raises(
        RecipeError, match=r"r\.yaml: section 'run' must be a mapping of keys, got list"
    ):
        load_recipe(_write(tmp_path, "run: [1, 2]\n"), command="rl")


def test_command_defaults_sit_under_the_file(tmp_path):
    assert load_recipe(None, command="sft").optim.lr == 5e-6  # paper SFT
    assert load_recipe(None, command="rl").optim.lr == 5e-7  # paper RL
    assert load_recipe(_write(tmp_path, "optim: {lr: 1e-3}\n"), command="sft").optim.lr == 1e-3


@pytest.mark.parametrize("item", ["rollout", "rollout.n", ".n=1", "rollout.=1"])
def test_malformed_set(item):
    with pytest.raises(RecipeError, match=r"expected SECTION\.KEY=VALUE"):
        parse_set(item)


def test_to_dict_round_trips(tmp_path):
    import yaml

    r = load_recipe(None, ["rollout.n=3", "model.lora.r=4"], command="rl")
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(r.to_dict()))
    assert load_recipe(again, command="rl").replace(source=r.source) == r


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(RecipeError, match="cannot read the recipe"):
        load_recipe(tmp_path / "nope.yaml", command="rl")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(_write(tmp_path, "model: {path: [\n"), command="rl")


def test_exponent_floats_without_a_dot_are_numbers(tmp_path):
    # YAML 1.1 reads 5e-7 as a string; recipes write learning rates that way.
    r = load_recipe(
        _write(tmp_path, "optim: {lr: 5e-7, critic_lr: 9E-6}\n"), ["optim.eps=1e-8"], command="rl"
    )
    assert (r.optim.lr, r.optim.critic_lr, r.optim.eps) == (5e-7, 9e-6, 1e-8)


def test_one_list_of_task_names():
    from longcot.benchmarks import TASKS as BENCHMARK_TASKS
    from longcot.constants import BUILTIN_TASKS
    from longcot.verify import TASKS as GRADERS

    assert set(GRADERS) == set(BUILTIN_TASKS) == set(BENCHMARK_TASKS)
