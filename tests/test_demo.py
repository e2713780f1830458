"""``longcot demo --quick`` end to end in a temporary folder, its rerun, and the findings' verdict rule."""

from __future__ import annotations

import json
import time

import pytest

from longcot import cli
from longcot.pipeline.findings import FINDINGS, Effect, judge


@pytest.mark.slow
def test_quick_demo_writes_the_report_and_a_rerun_reuses_every_stage(tmp_path, capsys):
    out = tmp_path / "demo"
    start = time.monotonic()
    assert cli.main(["demo", "--quick", "--output", str(out), "--no-progress"]) == 0
    first = time.monotonic() - start
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    for text in (html, md):
        assert "Comparison" in text and "Findings of the paper at this scale" in text
        for arm in (
            "sft-long",
            "sft-short",
            "rl-long-cosine",
            "rl-short-cosine",
            "rl-long-classic",
        ):
            assert arm in text
    assert html.count("<img") >= 8 and "data:image/png;base64," in html
    for arm in ("sft-long", "sft-short"):
        assert (out / "seed0" / arm / "eval" / "final" / "summary.json").is_file()
    for arm in ("rl-long-cosine", "rl-short-cosine", "rl-long-classic"):
        evals = {p.name for p in (out / "seed0" / arm / "eval").iterdir()}
        assert {"step_000000", "step_000002", "final"} <= evals
    printed = capsys.readouterr().out
    assert "0 of 6 stages reused" in printed and str(out / "report.html") in printed
    # Nothing to do the second time: every stage finished with the same recipe.
    start = time.monotonic()
    assert cli.main(["demo", "--quick", "--output", str(out), "--no-progress"]) == 0
    assert "6 of 6 stages reused" in capsys.readouterr().out
    assert time.monotonic() - start < first / 2
    settings = json.loads((out / "demo_settings.json").read_text())
    assert settings["seeds"] == 1


def test_demo_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert cli.main(["demo", "--quick", "--output", str(tmp_path), "--fresh"]) == 2
    assert "not written by longcot demo" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()


FINDING = FINDINGS[0]  # accuracy, in points: effects are fractions, noise one s.e.


@pytest.mark.parametrize(
    "effects,verdict",
    [
        # One seed: beyond twice its sampling error.
        ([Effect(0.10, 0.02)], "reproduced"),
        ([Effect(0.03, 0.02)], "inconclusive"),
        ([Effect(-0.10, 0.02)], "opposite"),
        # Several seeds: every seed the paper's sign, mean beyond twice the s.e. of the mean.
        ([Effect(0.10, 0.0), Effect(0.12, 0.0), Effect(0.11, 0.0)], "reproduced"),
        ([Effect(0.30, 0.0), Effect(-0.01, 0.0), Effect(0.20, 0.0)], "inconclusive"),
        ([], "no data"),
    ],
)
def test_verdict_rule(effects, verdict):
    assert judge(FINDING, effects).verdict == verdict


def test_verdict_reports_points_and_spread():
    v = judge(FINDING, [Effect(0.10, 0.0), Effect(0.20, 0.0)])
    assert v.effects == (10.0, 20.0) and v.mean == pytest.approx(15.0)
    assert v.spread == pytest.approx(7.0710678, rel=1e-6)


class _Series:
    """A run that answers ``train(key)`` with fixed series (what the findings read)."""

    def __init__(self, **series):
        self.series = series

    def train(self, key):
        ys = self.series[key]
        return list(range(1, len(ys) + 1)), ys


def test_length_and_repetition_effects_by_hand():
    from longcot.pipeline.findings import _length_control, _repetition

    # 8 steps: quarters of 2. classic length +10 (50,50 -> 60,60), cosine +2 (50,52 -> 52,54).
    classic = _Series(
        **{
            "length/mean": [50, 50, 55, 55, 58, 58, 60, 60],
            "repeated_token_rate": [0.01, 0.01, 0.02, 0.02, 0.03, 0.03, 0.05, 0.05],
        }
    )
    cosine = _Series(
        **{
            "length/mean": [50, 52, 51, 51, 52, 52, 52, 54],
            "repeated_token_rate": [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
        }
    )
    runs = {"rl-long-classic": classic, "rl-long-cosine": cosine}
    length = _length_control(runs)
    assert length.value == pytest.approx(10 - 2)
    # s.e.: classic quarters have no spread; cosine's are {50,52} and {52,54}: var 2 each.
    assert length.noise == pytest.approx((2 / 2 + 2 / 2) ** 0.5)
    assert _repetition(runs).value == pytest.approx(0.04)
