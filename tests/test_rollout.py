"""Classifying what a fed-back forecast did, on constructed rollouts, and measuring a series' noise."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.catalog import has
from rnnviz.rollout import KINDS, classify_rollout, noise_level, why_text

T_HIST, K = 200, 60
t_hist = np.arange(T_HIST)
t_next = np.arange(T_HIST, T_HIST + K)
HISTORY = np.sin(0.1 * t_hist)  # a wave between -1 and 1
TRUTH = np.sin(0.1 * t_next)


def test_a_rollout_that_decays_onto_a_value_settles_on_a_constant():
    rollout = 0.3 + 0.6 * 0.8 ** np.arange(K)
    b = classify_rollout(rollout, HISTORY, TRUTH)
    assert b.kind == "constant" and b.settle == pytest.approx(0.3, abs=0.01)
    assert "settles on a constant" in b.phrase and "0.3" in b.explanation()


def test_a_rollout_that_climbs_past_the_data_overshoots():
    trend = np.linspace(100, 400, T_HIST)  # a growing series, like airline passengers
    truth = np.linspace(400, 480, K)
    rollout = np.linspace(400, 1000, K)
    b = classify_rollout(rollout, trend, truth)
    assert b.kind == "overshoots" and b.peak == pytest.approx(1000) and b.hi == pytest.approx(480)
    assert "1e+03" in b.explanation() or "1000" in b.explanation(lambda v: f"{v:.0f}")


def test_a_rollout_that_swings_out_of_step_oscillates():
    rollout = 0.8 * np.sin(0.37 * np.arange(K) + 1.0)
    b = classify_rollout(rollout, HISTORY, TRUTH)
    assert b.kind == "oscillates"


def test_a_rollout_close_to_the_truth_follows_the_series():
    trend = np.linspace(100, 400, T_HIST)
    truth = np.linspace(400, 460, K) + 20 * np.sin(np.arange(K))
    b = classify_rollout(truth + 5.0, trend, truth)
    assert b.kind == "follows" and b.rmse == pytest.approx(5.0)


def test_a_rollout_that_walks_away_inside_the_range_drifts():
    history = np.r_[np.zeros(100), 10 * np.ones(100)]
    truth = 5 + 0.1 * np.sin(np.arange(K))
    b = classify_rollout(np.linspace(5, 9, K), history, truth)
    assert b.kind == "drifts"


def test_without_truth_past_the_end_it_is_judged_against_the_history_only():
    b = classify_rollout(np.full(K, 0.2), HISTORY, None)
    assert b.kind == "constant" and b.rmse is None and "—" not in b.phrase


def test_every_kind_has_a_phrase_and_an_explanation():
    kinds = {classify_rollout(r, HISTORY, TRUTH).kind for r in (
        np.full(K, 0.1), np.linspace(0, 5, K), 0.8 * np.sin(0.37 * np.arange(K)), TRUTH + 0.01)}
    assert kinds == {"constant", "overshoots", "oscillates", "follows"}
    assert set(KINDS) == {"constant", "overshoots", "oscillates", "follows", "drifts"}
    for lang in ("en", "zh"):
        assert all(has(f"forecasting.rollout.{part}.{kind}", lang) for kind in KINDS for part in ("phrase", "explain"))


@pytest.mark.parametrize("sigma", [0.05, 0.2, 0.5])
def test_noise_level_measures_the_noise_of_a_noisy_sine(sigma):
    rng = np.random.default_rng(0)
    x = np.sin(0.01 * np.arange(1000)) + rng.normal(0, sigma, 1000)
    n = noise_level(x, 4)
    assert n.sigma == pytest.approx(sigma, rel=0.1)
    assert n.change == pytest.approx(0.04 * np.sqrt(0.5), abs=0.02)  # RMS change of sin(0.01 t) over 4 steps


def test_noise_level_of_a_clean_ramp_is_zero_and_its_change_is_the_slope_times_tau():
    n = noise_level(np.arange(300) * 2.0, 5)
    assert n.sigma == pytest.approx(0.0, abs=1e-9) and n.change == pytest.approx(10.0)


def test_the_why_text_quotes_this_series_numbers_not_the_sines():
    rng = np.random.default_rng(1)
    x = np.linspace(100, 600, 400) + rng.normal(0, 3.0, 400)  # a trend with little noise
    n = noise_level(x, 4)
    b = classify_rollout(np.linspace(600, 1500, 50), x, None)
    text = why_text("Airline passengers", n, b, "GRU")
    assert "Airline passengers" in text and "σ = 0.2" not in text
    assert f"{n.sigma:.3g}" in text and "smaller than" in text and "leaves the range" in text
    noisy = why_text("the sine", noise_level(np.sin(0.01 * np.arange(1000)) + rng.normal(0, 0.2, 1000), 4),
                     classify_rollout(np.full(50, 0.1), np.sin(0.01 * np.arange(1000)), None), "AR MLP")
    assert "cannot tell whether it is rising or falling" in noisy and "settles on a constant" in noisy


def test_the_why_text_reads_in_chinese_with_the_same_numbers():
    rng = np.random.default_rng(2)
    x = np.sin(0.01 * np.arange(1000)) + rng.normal(0, 0.2, 1000)
    n = noise_level(x, 4)
    b = classify_rollout(np.full(50, 0.1), np.sin(0.01 * np.arange(1000)), None)
    from rnnviz import catalog

    catalog.set_resolver(lambda: "zh")
    try:
        text = why_text("正弦序列", n, b, "AR MLP")
        phrase = b.phrase
    finally:
        catalog.set_resolver(lambda: "en")
    assert "正弦序列" in text and f"{n.sigma:.3g}" in text and f"{n.ratio:.1f}" in text
    assert "What the" not in text and "常数" in phrase
