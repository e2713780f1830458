"""RewardSpec: verdict policy, stream layout, metrics and YAML configuration."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from longcot.rewards import (
    CORRECTNESS,
    REPETITION,
    CosineReward,
    Response,
    RewardSpec,
    StatusPolicy,
    batch_metrics,
    discounted_returns,
)
from longcot.verify.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
SPEC = RewardSpec(max_length=1000)
LOOP = list(range(50)) * 3  # a 50-token block said three times: 100 repeated tokens


def _resp(n_tokens=100, finish="stop", ids=None, text="x"):
    return Response(
        text=text, token_ids=ids if ids is not None else list(range(n_tokens)), finish_reason=finish
    )


class TestStreamsLayout:
    def test_correct_reward_sits_on_last_token(self):
        s = SPEC.score_one(Verdict("correct"), _resp(100))
        expected = CosineReward()(correct=True, length=100, max_length=1000)
        corr = s.streams[CORRECTNESS]
        assert corr.shape == (100,) and corr[-1] == pytest.approx(expected)
        assert (corr[:-1] == 0).all() and s.outcome_reward == pytest.approx(expected)

    def test_repetition_is_dense_on_repeated_tokens(self):
        s = SPEC.score_one(Verdict("correct"), _resp(ids=LOOP))
        rep = s.streams[REPETITION]
        assert (rep[:50] == 0).all() and (rep[50:] == -0.05).all()

    def test_returns_use_each_streams_gamma(self):
        s = SPEC.score_one(Verdict("incorrect"), _resp(ids=LOOP))
        expected = discounted_returns(s.streams[CORRECTNESS], 1.0) + discounted_returns(
            s.streams[REPETITION], 0.99
        )
        assert s.returns() == pytest.approx(expected)
        assert s.total() == pytest.approx(expected[0])
        # the folded single array gives the same returns to a gamma = 1 trainer
        assert discounted_returns(s.token_rewards(), 1.0) == pytest.approx(expected)

    def test_streams_are_clamped(self):
        spec = RewardSpec(max_length=1000, clamp=(-3.0, 3.0))
        s = spec.score_one(Verdict("incorrect"), _resp(10))
        assert s.outcome_reward == -3.0 and s.streams[CORRECTNESS][-1] == -3.0

    def test_empty_response_keeps_its_outcome(self):
        s = SPEC.score_one(Verdict("incorrect"), _resp(ids=[]))
        assert s.length == 0 and s.total() == -10.0

    def test_penalty_zero_turns_dense_stream_off(self):
        s = RewardSpec(max_length=1000, repetition_penalty=0.0).score_one(
            Verdict("correct"), _resp(ids=LOOP)
        )
        assert (s.streams[REPETITION] == 0).all()

    def test_completion_without_ids_is_refused(self):
        from longcot.generate.types import Completion

        c = Completion(
            text="a", token_ids=(), finish_reason="stop", prompt_tokens=3, completion_tokens=7
        )
        with pytest.raises(ValueError, match="token_ids"):
            SPEC.score_one(Verdict("correct"), c)


class TestStatusPolicy:
    def test_truncated_gets_exceed_penalty_even_if_correct(self):
        s = SPEC.score_one(Verdict("correct"), _resp(1000, finish="length"))
        assert s.outcome_reward == -10.0 and s.exceeded and s.truncated

    def test_bad_gold_is_skipped_not_rewarded(self):
        s = SPEC.score_one(Verdict("bad_gold"), _resp(ids=LOOP))
        assert s.skipped and s.total() is None and s.outcome_reward is None
        assert all((v == 0).all() for v in s.streams.values())

    def test_timeout_is_wrong_and_counted(self):
        samples = SPEC.score_verdicts(
            [Verdict("timeout"), Verdict("correct")], [_resp(10), _resp(10)]
        )
        wrong = SPEC.score_one(Verdict("incorrect"), _resp(10))
        assert samples[0].outcome_reward == wrong.outcome_reward
        metrics = batch_metrics(samples)
        assert metrics["status/timeout"] == 1 and metrics["accuracy"] == 0.5

    def test_no_answer_uses_r_no_answer_when_set(self):
        spec = RewardSpec.from_dict({"max_length": 1000, "preset": "base_rl"})
        assert spec.score_one(Verdict("no_answer"), _resp(10)).outcome_reward == -1.0
        assert spec.score_one(Verdict("incorrect"), _resp(10)).outcome_reward == -0.5

    def test_policy_rejects_unknown_outcome(self):
        with pytest.raises(ValueError, match="timeout"):
            StatusPolicy(timeout="zero")

    def test_mismatched_lengths(self):
        with pytest.raises(ValueError, match="verdicts"):
            SPEC.score_verdicts([Verdict("correct")], [])


class TestGradingWithTheVerifier:
    """score/score_batch call the real longcot.verify.grade_many."""

    def test_statuses_from_real_grading(self):
        texts = [
            r"so \boxed{\frac{1}{2}}",
            r"\boxed{3}",
            "no box here",
            r"<think> \boxed{0.5}",
            r"\boxed{1}",
        ]
        samples = SPEC.score_batch(
            ["0.5", "0.5", "0.5", "0.5", None], [_resp(10, text=t) for t in texts]
        )
        assert [s.verdict.status for s in samples] == [
            "correct",
            "incorrect",
            "no_answer",
            "no_answer",
            "bad_gold",
        ]
        assert samples[0].outcome_reward == pytest.approx(
            CosineReward()(correct=True, length=10, max_length=1000)
        )
        assert samples[4].skipped

    def test_score_one_prompt_in_process(self):
        spec = RewardSpec(max_length=1000, grade_workers=0)
        samples = spec.score("4", [_resp(5, text=r"\boxed{4}"), _resp(5, text=r"\boxed{5}")])
        assert [s.outcome for s in samples] == ["correct", "wrong"]

    def test_think_markers_are_passed_through(self):
        unclosed = _resp(5, text=r"<think> the answer is \boxed{4}")
        assert SPEC.score("4", [unclosed])[0].verdict.status == "no_answer"
        whole = RewardSpec(max_length=1000, think_markers=None)
        assert whole.score("4", [unclosed])[0].verdict.status == "correct"
        opened = RewardSpec(max_length=1000, require_think_close=True)
        assert opened.score("4", [_resp(5, text=r"\boxed{4}")])[0].verdict.status == "no_answer"

    def test_real_timeout_is_wrong_and_counted(self):
        # Expanding (x+1)^100000 to compare with x^2+1 takes far longer than 0.5 s.
        spec = RewardSpec(max_length=1000, grade_timeout=0.5)
        (s,) = spec.score("x^2+1", [_resp(7, text=r"\boxed{(x+1)^{100000}}")])
        assert s.verdict.status == "timeout"
        assert s.outcome_reward == SPEC.score_one(Verdict("incorrect"), _resp(7)).outcome_reward
        assert batch_metrics([s])["status/timeout"] == 1

    def test_default_markers_are_the_verifiers(self):
        from longcot.verify import DEFAULT_THINK_MARKERS

        assert SPEC.think_markers == DEFAULT_THINK_MARKERS

    def test_per_item_tasks(self):
        samples = SPEC.score_batch(
            ["C", "25"],
            [_resp(3, text="The answer is (C)"), _resp(3, text=r"\boxed{025}")],
            tasks=["choice", "aime"],
        )
        assert [s.outcome for s in samples] == ["correct", "correct"]

    def test_missing_per_item_task_falls_back_to_the_spec(self):
        (s,) = SPEC.score_batch(["4"], [_resp(3, text=r"\boxed{4}")], tasks=[None])
        assert s.outcome == "correct"

    def test_unknown_task_is_refused(self):
        with pytest.raises(ValueError, match="task"):
            SPEC.score_batch(["1"], [_resp(3)], tasks=["nope"])


class TestMetrics:
    def test_counts_and_means(self):
        verdicts = [
            Verdict("correct"),
            Verdict("incorrect"),
            Verdict("bad_gold"),
            Verdict("no_answer"),
        ]
        responses = [_resp(ids=LOOP), _resp(10), _resp(10), _resp(20, finish="length")]
        m = batch_metrics(SPEC.score_verdicts(verdicts, responses))
        assert m["count"] == 4 and m["skipped"] == 1
        assert m["accuracy"] == pytest.approx(1 / 3)
        assert m["truncated_rate"] == 0.25
        assert m["repeated_token_fraction"] == pytest.approx(100 / (150 + 10 + 20))


class TestConfig:
    def test_paper_recipe_is_the_default(self):
        spec = RewardSpec.from_yaml(ROOT / "recipes" / "rewards_paper.yaml")
        assert spec == RewardSpec(max_length=14336)

    def test_round_trip_and_overrides(self):
        spec = RewardSpec.from_dict(
            {"max_length": 6144, "preset": "classic", "exceed_margin": 16, "timeout": "skip"}
        )
        assert spec.outcome == CosineReward(1.0, 1.0, 0.0, 0.0, 0.0, exceed_margin=16)
        assert spec.policy.timeout == "skip"
        assert RewardSpec.from_dict(spec.to_dict()) == spec

    @pytest.mark.parametrize(
        "d,match",
        [
            ({"max_length": 10, "gama_repetition": 0.9}, "gama_repetition"),
            ({"preset": "paper"}, "max_length"),
            ({"max_length": 10, "preset": "nope"}, "nope"),
            ({"max_length": 10, "gamma_repetition": 2}, "gamma_repetition"),
            ({"max_length": 10, "clamp": [1, -1]}, "clamp"),
            ({"max_length": 10, "repetition_penalty": 0.5}, "repetition_penalty"),
            ({"max_length": 0}, "max_length"),
            ({"max_length": 10, "grade_timeout": 0}, "grade_timeout"),
            ({"max_length": 10, "grade_workers": -1}, "grade_workers"),
            ({"max_length": 10, "think_markers": "<think>"}, "think_markers"),
        ],
    )
    def test_bad_settings_name_themselves(self, d, match):
        with pytest.raises(ValueError, match=match):
            RewardSpec.from_dict(d)

    def test_pickles(self):
        spec = RewardSpec.from_dict({"max_length": 2048, "preset": "ablation_b"})
        assert pickle.loads(pickle.dumps(spec)) == spec
        s = spec.score_one(Verdict("correct"), _resp(ids=LOOP))
        back = pickle.loads(pickle.dumps(s))
        assert np.array_equal(back.returns(), s.returns())


def test_rewards_import_neither_torch_nor_the_grader_stack():
    # Rewards run inside RL workers: importing them must stay cheap (DESIGN.md §1).
    import subprocess
    import sys

    code = (
        "import sys, longcot.rewards; "
        "print(sorted(m for m in ('torch', 'transformers', 'sympy', 'math_verify') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
