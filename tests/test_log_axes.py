"""Every log axis the app draws uses the one shared style: labels at powers of ten only, range on whole decades."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnviz.plots
from rnnviz.plots import architectures, board, gradients, sentiment, spectrum, text, training
from rnnviz.plots.style import is_shared_log_axis, log_axis, log_range
from rnnviz.textstats import zipf_table
from rnnviz.train import StepMetrics

ROOT = Path(__file__).resolve().parents[1]
# Ways to ask plotly for a log axis without going through style.log_axis.
RAW_LOG = re.compile(r"""type\s*=\s*["']log["']|\[["']type["']\]\s*=\s*["']log["']|log_[xy]\s*=|axis_type\s*=\s*["']log""")


def _history(norms):
    return [StepMetrics(step=i + 1, loss=1.0, grad_norm=g, applied_norm=min(g, 1.0), clipped=g > 1.0, lr=0.01,
                        steps_per_s=10.0) for i, g in enumerate(norms)]


def _decaying(T=30, start=1.0, rate=0.5):
    return start * rate ** np.arange(T, dtype=float)


# One small call of every figure builder that draws a log axis: {module.function: builder}.
BUILDERS = {
    "board.board_figure": lambda: board.board_figure(
        [board.BoardPoint("a", "gru", 0.003, 1.0, 2.0), board.BoardPoint("b", "lstm", 0.3, 5.0, 1.0)], "lr"),
    "gradients.grads_by_layer": lambda: gradients.grads_by_layer(
        {"GRU": np.stack([_decaying(), _decaying(rate=0.9)])}, {"GRU": np.stack([_decaying(rate=0.7)] * 2)},
        None, "t", "x", "y"),
    "gradients.curves_over_time": lambda: gradients.curves_over_time(
        {"RNN (tanh)": _decaying(), "LSTM": _decaying(rate=0.95)}, ["a"] * 30, "t", "‖∂L/∂h_t‖"),
    "gradients.recurrence_figure": lambda: gradients.recurrence_figure(1.1 ** np.arange(20), np.ones(20), 1.1, 8),
    "gradients.radius_grads_figure": lambda: gradients.radius_grads_figure(
        {0.5: _decaying(rate=0.5), 1.5: _decaying(rate=1.5)}, 0.5),
    "gradients.reach_figure": lambda: gradients.reach_figure(
        {"full": _decaying(start=2.0), "k = 5": np.r_[np.zeros(25), _decaying(5)]}, None, "t", {"k = 5": 5}),
    "architectures.training_curve": lambda: architectures.training_curve([2.3, 1.2, 0.4, 0.05], [(2, 0.5, 0.1)]),
    "sentiment.opening_memory": lambda: sentiment.opening_memory(
        {"gru": np.array([2.0, 1.0, 0.3]), "rnn_tanh": np.array([2.0, 0.1, 0.0])}, ("a", "b", "c"), 1, "t"),
    "spectrum.norms_over_time": lambda: spectrum.norms_over_time(
        _decaying(5), _decaying(5, rate=0.2), ["a"] * 5, "t", "y", log=True),
    "text.zipf_plot": lambda: text.zipf_plot(zipf_table(list("the time machine by h g wells " * 20)), {1: 1.0}),
    "training.grad_norm_parts": lambda: training.grad_norm_figure(_history([0.02, 0.5, 3.0, 40.0]), 1.0),
}


def _log_axes(fig) -> list[tuple[str, dict]]:
    layout = fig.to_plotly_json()["layout"]
    return [(k, v) for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k) and v.get("type") == "log"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_log_axis_of_each_builder_uses_the_shared_style(name):
    fig = BUILDERS[name]()
    axes = _log_axes(fig)
    assert axes, f"{name} draws no log axis"
    for key, axis in axes:
        assert is_shared_log_axis(axis), (name, key, axis)
        lo, hi = axis["range"]
        letter = key[0]
        for trace in fig.data:  # no curve runs outside the labelled decades
            if (getattr(trace, f"{letter}axis", None) or letter) != key.replace("axis", "") or trace.type != "scatter":
                continue
            values = np.asarray(getattr(trace, letter), dtype=float)
            values = values[np.isfinite(values) & (values > 0)]
            assert np.all(np.log10(values) >= lo - 1e-9) and np.all(np.log10(values) <= hi + 1e-9), (name, key)


def test_every_builder_that_draws_a_log_axis_is_exercised_here():
    using = set()
    for mod in (m for m in pkgutil.iter_modules(rnnviz.plots.__path__) if m.name != "style"):
        module = importlib.import_module(f"rnnviz.plots.{mod.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and "log_axis(" in inspect.getsource(fn):
                using.add(f"{mod.name}.{fname}")
    assert using == set(BUILDERS)


def test_no_code_asks_plotly_for_a_log_axis_except_the_shared_style():
    files = [*ROOT.glob("rnnviz/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if p.name != "style.py" and RAW_LOG.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_raw_patterns_would_catch_a_bare_log_axis():
    for line in ('fig.update_yaxes(type="log")', "layout['yaxis']['type'] = 'log'", "px.line(df, log_y=True)"):
        assert RAW_LOG.search(line)


def test_log_range_covers_the_values_on_whole_labelled_decades():
    assert log_range([0.03, 7.0]) == (-2, 1, 1)
    assert log_range([1.0, 10.0]) == (0, 1, 1)
    assert log_range([5.0]) == (0, 1, 1)
    assert log_range([0.0, -1.0, np.nan]) == (-1, 1, 1)  # nothing positive: a neutral range
    lo, hi, step = log_range([1e-30, 1e3])
    assert step > 1 and (hi - lo) / step <= 7 and lo % step == 0 and hi % step == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=1e-40, max_value=1e40), min_size=1, max_size=20))
def test_log_axis_range_holds_every_value_and_labels_at_most_a_few_powers_of_ten(values):
    axis = log_axis(values)
    lo, hi = axis["range"]
    logs = np.log10(values)
    assert lo <= logs.min() + 1e-9 and logs.max() <= hi + 1e-9
    assert 1 <= (hi - lo) / axis["dtick"] <= 8
    assert is_shared_log_axis(axis)


def test_a_bare_plotly_log_axis_is_not_the_shared_style():
    assert not is_shared_log_axis({"type": "log"})
    assert not is_shared_log_axis({"type": "log", "exponentformat": "power", "dtick": "D2", "range": [0, 1],
                                   "minorloglabels": "none"})
    assert is_shared_log_axis(log_axis(pd.Series([0.5, 20.0])))
