"""Downsampling long curves for the live charts: few points, yet the first, the last and every extreme stay."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from rnnviz.plots import training
from rnnviz.plots.downsample import downsample, downsample_indices
from rnnviz.train import StepMetrics


@settings(max_examples=40, deadline=None)
@given(ys=hs.lists(hs.floats(-1e6, 1e6), min_size=0, max_size=3000), max_points=hs.integers(4, 700))
def test_keeps_first_last_and_extremes_within_the_budget(ys, max_points):
    idx = downsample_indices(ys, max_points)
    assert len(idx) <= max(max_points, 2) and np.all(np.diff(idx) > 0)
    if ys:
        y = np.asarray(ys)
        assert idx[0] == 0 and idx[-1] == len(ys) - 1
        assert y.min() in y[idx] and y.max() in y[idx]


def test_short_curves_are_untouched_and_a_lone_spike_survives():
    assert list(downsample_indices([3.0, 1.0, 2.0], 10)) == [0, 1, 2]
    ys = np.ones(10_000)
    ys[7_780] = 50.0  # one exploding step
    xs, kept = downsample(np.arange(10_000), ys, 100)
    assert len(kept) <= 100 and 7_780 in xs and kept.max() == 50.0
    assert 7_780 not in training.thin(10_000, 100), "even thinning drops it: the reason for min/max buckets"


def test_non_finite_values_are_never_taken_for_extremes():
    ys = np.linspace(0, 1, 1000)
    ys[500] = np.inf
    ys[200] = np.nan
    idx = downsample_indices(ys, 50)
    assert 500 not in idx and 200 not in idx and 999 in idx


def test_the_live_gradient_chart_shows_a_spike_of_a_long_run():
    history = [StepMetrics(step=i + 1, loss=2.0, grad_norm=1.0, applied_norm=1.0, clipped=False, lr=0.01,
                           steps_per_s=1.0) for i in range(5000)]
    history[4321] = StepMetrics(step=4322, loss=9.0, grad_norm=400.0, applied_norm=1.0, clipped=True, lr=0.01,
                                steps_per_s=1.0)
    grad = training.grad_norm_figure(history, 1.0)
    loss = training.loss_figure(history, "forecast")
    assert len(grad.data[0].x) <= training.LIVE_POINTS and 400.0 in np.asarray(grad.data[0].y)
    assert len(loss.data[0].x) <= training.LIVE_POINTS and 9.0 in np.asarray(loss.data[0].y)
