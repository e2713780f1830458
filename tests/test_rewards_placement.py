"""Where rewards sit on the trainer's tokens, and the one scalar per response.

Hand-computed values: the outcome on the last position (end-of-sequence when
the response finished), dense penalties on their own tokens.
"""

from __future__ import annotations

import numpy as np
import pytest

from longcot.rewards import RewardSpec, place_streams, response_positions, scalar_reward
from longcot.rewards.samples import CORRECTNESS, REPETITION, Response
from longcot.verify import Verdict


def _score(status: str, ids: list[int], finish: str = "stop", **spec_kwargs) -> object:
    spec = RewardSpec(max_length=100, ngram=2, **spec_kwargs)
    return spec.score_one(Verdict(status, "x"), Response("x", ids, finish))


def test_outcome_on_eos_position_when_finished():
    s = _score("correct", [1, 2, 3])
    placed = place_streams(s)
    assert placed[CORRECTNESS].shape == (4,)  # 3 tokens + end-of-sequence
    assert placed[CORRECTNESS][:3].tolist() == [0.0, 0.0, 0.0]
    assert placed[CORRECTNESS][3] == pytest.approx(s.outcome_reward)


def test_truncated_response_has_no_eos_position():
    s = _score("incorrect", [1, 2, 3], finish="length")
    placed = place_streams(s)
    assert placed[CORRECTNESS].shape == (3,)
    assert placed[CORRECTNESS][-1] == -10.0  # exceed penalty on the last generated token


def test_dense_stream_stays_on_its_tokens():
    # 2-grams: (1,2) repeats at index 2..3, so tokens 2 and 3 get -0.05.
    s = _score("correct", [1, 2, 1, 2, 9])
    placed = place_streams(s)
    assert placed[REPETITION].tolist() == [0.0, 0.0, -0.05, -0.05, 0.0, 0.0]


def test_positions_must_be_length_or_length_plus_one():
    s = _score("correct", [1, 2, 3])
    with pytest.raises(ValueError, match="3 positions"):
        place_streams(s, 5)


def test_scalar_is_discounted_return_at_first_position():
    s = _score("correct", [1, 2, 1, 2, 9], gamma_repetition=0.5)
    # correctness: γ = 1, so the outcome counts in full; repetition: -0.05 at
    # positions 2 and 3, discounted from position 0 by 0.5^2 and 0.5^3.
    expected = s.outcome_reward - 0.05 * (0.25 + 0.125)
    assert scalar_reward(s) == pytest.approx(expected)
    assert s.total() == pytest.approx(expected)


def test_scalar_discounts_outcome_by_its_distance_from_the_start():
    s = _score("correct", [1, 2, 3], gamma_correctness=0.5, repetition_penalty=0.0)
    # Outcome on the end-of-sequence position 3: 0.5^3.
    assert scalar_reward(s) == pytest.approx(s.outcome_reward * 0.125)
    assert scalar_reward(s, positions=3) == pytest.approx(s.outcome_reward * 0.25)


def test_skipped_sample_has_no_scalar_and_zero_streams():
    s = _score("bad_gold", [1, 2, 3])
    assert scalar_reward(s) is None
    assert all(np.all(v == 0) for v in place_streams(s).values())


def test_empty_response_scalar_is_outcome():
    s = _score("incorrect", [])
    assert scalar_reward(s) == pytest.approx(s.outcome_reward)
    assert response_positions(0, finished=True) == 1


def test_length_rewards_sit_on_the_eos_position_with_the_outcome():
    spec = RewardSpec.from_dict(
        {"max_length": 10, "preset": "classic", "soft_overlong_cache": 5, "ngram": 2}
    )
    s = spec.score_one(Verdict("correct", "x"), Response("x", [1, 2, 3, 4, 5, 6, 7, 8]))
    placed = place_streams(s)
    # 8 tokens in a 5-token cache before 10: (5 - 8) / 5 = -0.6, on the end-of-sequence.
    assert placed["overlong"].tolist() == [0.0] * 8 + [pytest.approx(-0.6)]
    assert placed[CORRECTNESS].tolist() == [0.0] * 8 + [1.0]
