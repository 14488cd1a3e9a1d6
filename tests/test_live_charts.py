"""plots.vega: the lab's live charts, drawn as Vega-Lite from the same Plotly figures, show what the figures show."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import vega_layers
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.plots.fit import AXIS_TITLE_CHARS, TITLE_CHARS, WIDE_UNITS, fitted, wrap_wide
from rnnviz.plots.style import power_label
from rnnviz.plots.training import fit_figure, grad_norm_figure, loss_figure
from rnnviz.plots.vega import to_vega
from rnnviz.train import StepMetrics


def _history(norms, losses=None, clip=1.0):
    losses = losses if losses is not None else [2.0 / (i + 1) for i in range(len(norms))]
    return [StepMetrics(step=i + 1, loss=float(loss), grad_norm=float(g), applied_norm=min(float(g), clip),
                        clipped=g > clip, lr=0.1, steps_per_s=10.0, perplexity=math.exp(min(loss, 50)))
            for i, (g, loss) in enumerate(zip(norms, losses))]


def _trace_points(data, i):
    part = data[data["trace"] == i]
    return part["x"].to_numpy(dtype=float), part["y"].to_numpy(dtype=float)


def _check_same_points(fig, data):
    for i, tr in enumerate(fig.data):
        x, y = _trace_points(data, i)
        want_x, want_y = np.asarray(tr.x, dtype=float), np.asarray(tr.y, dtype=float)
        want_y = np.where(np.isfinite(want_y), want_y, np.nan)
        np.testing.assert_array_equal(x, want_x)
        np.testing.assert_array_equal(y, want_y)  # NaN where the figure had inf or NaN (a gap)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1e-3, 1e3), min_size=0, max_size=700), st.booleans())
def test_the_loss_and_gradient_charts_draw_every_point_of_their_figures(norms, clip_on):
    h = _history(norms)
    for fig in (fitted(loss_figure(h, "lm")), fitted(grad_norm_figure(h, 1.0 if clip_on else None))):
        data, spec = to_vega(fig)
        _check_same_points(fig, data)
        json.dumps(spec)  # what st.vega_lite_chart sends
        filters = [layer["transform"][0]["filter"]["equal"] for layer in vega_layers(spec) if "transform" in layer]
        assert filters == list(range(len(fig.data)))  # one layer per trace, in order


def test_a_diverged_run_leaves_a_gap_and_its_note():
    h = _history([0.5, 2.0, 40.0], losses=[1.0, 3.0, float("inf")])
    fig = loss_figure(h, "lm", diverged="loss became inf")
    data, spec = to_vega(fig)
    _, y = _trace_points(data, 0)
    assert np.isnan(y[-1]) and np.isfinite(y[:-1]).all()  # inf would stretch the scale to nothing
    notes = [layer for layer in vega_layers(spec) if layer["mark"]["type"] == "text"]
    assert [n["encoding"]["text"]["value"] for n in notes] == [fig.layout.annotations[0].text]


def test_the_second_axis_is_its_own_scale_on_the_right():
    fig = loss_figure(_history([0.5, 0.7, 0.9]), "lm")
    _, spec = to_vega(fig)
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    left, right = spec["layer"]
    assert [la["encoding"]["y"]["axis"].get("orient") for la in vega_layers(right)] == ["right"]
    assert right["layer"][0]["encoding"]["y"]["axis"]["title"] == fig.layout.yaxis2.title.text
    assert left["layer"][0]["encoding"]["y"]["scale"]["zero"] is True  # rangemode tozero


def _labels(expr: str, values: list[float]) -> list[str]:
    """Evaluates the chain `datum.value < T ? 'L' : ...` that labels the log axis, for each tick value."""
    steps = re.findall(r"datum\.value < ([\d.e+-]+) \? '([^']*)' : ", expr)
    last = re.search(r"'([^']*)'$", expr).group(1)
    return [next((label for t, label in steps if v < float(t)), last) for v in values]


def test_the_gradient_axis_is_the_shared_log_axis():
    fig = grad_norm_figure(_history([0.02, 0.5, 3.0, 40.0]), 1.0)
    lo, hi = fig.layout.yaxis.range
    _, spec = to_vega(fig)
    y = next(vega_layers(spec))["encoding"]["y"]
    assert y["scale"]["type"] == "log" and y["scale"]["domain"] == [10.0 ** lo, 10.0 ** hi]
    powers = list(range(int(lo), int(hi) + 1, int(fig.layout.yaxis.dtick)))
    assert y["axis"]["values"] == [10.0 ** k for k in powers]
    assert _labels(y["axis"]["labelExpr"], y["axis"]["values"]) == [power_label(k) for k in powers]


def test_power_labels_are_written_as_the_plotly_charts_write_them():
    assert [power_label(k) for k in (-12, -1, 0, 1, 2, 10)] == ["10⁻¹²", "10⁻¹", "1", "10", "10²", "10¹⁰"]


def test_the_legend_names_each_trace_in_its_colour_and_style():
    h = _history([0.5, 2.0, 3.0])
    fig = grad_norm_figure(h, 1.0)
    _, spec = to_vega(fig)
    layers = list(vega_layers(spec))
    scale = layers[0]["encoding"]["color"]["scale"]
    assert scale["domain"] == [tr.name for tr in fig.data]
    assert scale["range"] == [tr.marker.color if tr.mode == "markers" else tr.line.color for tr in fig.data]
    marks = [la["mark"] for la in layers]
    assert [m["type"] for m in marks] == ["line", "line", "point", "line"]
    assert marks[2]["shape"].startswith("M") and marks[3]["strokeDash"]  # the clipped steps' x, the dashed threshold
    assert "tooltip" not in layers[3]["encoding"]  # the threshold has no hover (hoverinfo skip)
    assert layers[0]["encoding"]["tooltip"][-1]["format"] == ".3g"  # the figure's hover format


def test_the_forecast_fit_keeps_its_cut_its_note_and_its_hover_text():
    values = np.sin(np.arange(40) / 3)
    fig = fitted(fit_figure(values, np.r_[np.nan, values[:-1]], 30, [f"d{i}" for i in range(40)], "°C"))
    data, spec = to_vega(fig)
    _check_same_points(fig, data)
    layers = list(vega_layers(spec))
    rules = [la for la in layers if la["mark"]["type"] == "rule"]
    assert [r["encoding"]["x"]["datum"] for r in rules] == [29.5]
    assert any(la["mark"]["type"] == "text" and la["encoding"]["y"] == {"value": -6} for la in layers)
    assert data.loc[data["trace"] == 0, "text"].iloc[3] == "t=3 (d3)"
    assert spec["title"]["text"] == fig.layout.title.text.split("<br>")  # the fitted title's lines


def test_a_chart_it_cannot_draw_is_refused_not_dropped():
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1, 2]), go.Heatmap(z=[[1, 2], [3, 4]])])
    with pytest.raises(ValueError, match="heatmap"):
        to_vega(fig)


def test_a_chart_of_several_panels_is_refused_not_flattened():
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1)
    fig.add_trace(go.Scatter(x=[1, 2], y=[1, 2]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[1, 2], y=[3, 4]), row=2, col=1)
    with pytest.raises(ValueError, match="one plot"):
        to_vega(fig)


def test_labels_written_beside_points_are_drawn_there():
    from rnnviz.plots.gradients import losses_figure

    h = _history([0.5, 2.0, 3.0])
    fig = losses_figure({"clipped": h, "not clipped": h}, "loss", diverged={"not clipped": "inf"})
    data, spec = to_vega(fig)
    labels = [la for la in vega_layers(spec) if la["mark"]["type"] == "text"]
    assert len(labels) == 1 and labels[0]["mark"]["align"] == "right"  # "middle left": left of the cross
    marked = data[data["trace"] == 2]
    assert list(marked["text"]) == list(fig.data[2].text) and list(marked["x"]) == [3.0]
    early = losses_figure({"clipped": _history([0.5] * 40), "not clipped": h}, "loss", diverged={"not clipped": "inf"})
    labels = [la for la in vega_layers(to_vega(early)[1]) if la["mark"]["type"] == "text"]
    assert labels[0]["mark"]["align"] == "left"  # diverged near the y axis: written right of the cross, on the plot


def test_a_learners_words_are_shown_as_typed_and_plotly_markup_is_not_shown():
    from rnnviz.ui.safe_text import plotly_text

    typed = "my <b>run</b> & a<sub>t</sub> 'x'"
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1, 2], name=plotly_text(typed)), go.Scatter(x=[1, 2], y=[2, 3], name="b")],
                    dict(title=dict(text="<b>Loss</b> of<br>" + plotly_text(typed))))
    data, spec = to_vega(fig)
    assert spec["title"]["text"] == ["Loss of", typed]  # what Plotly would print, line by line
    assert next(vega_layers(spec))["encoding"]["color"]["scale"]["domain"] == [typed, "b"]
    assert len(data) == 4


def test_the_memory_chart_keeps_its_chance_line_and_percent_axis():
    from rnnviz.plots.gradients import memory_accuracy_figure

    fig = memory_accuracy_figure({("GRU", 0): 0.9, ("GRU", 5): 0.6, ("RNN (tanh)", 0): 0.8, ("RNN (tanh)", 5): 0.1}, 0.1)
    data, spec = to_vega(fig)
    _check_same_points(fig, data)
    layers = list(vega_layers(spec))
    rules = [la["encoding"] for la in layers if la["mark"]["type"] == "rule"]
    assert rules == [{"y": {"datum": 0.1, "type": "quantitative"}}]  # the chance level across the plot
    note = next(la for la in layers if la["mark"]["type"] == "text")
    assert note["encoding"]["text"]["value"] == fig.layout.annotations[0].text
    assert note["encoding"]["x"]["value"] == "width"  # at the right end of the line, as Plotly puts it
    y = layers[0]["encoding"]["y"]
    assert y["axis"]["format"] == ".0%" and y["scale"]["domain"] == [0, 1.05]
    # its long x title is written on lines (one line wider than a half-width chart pushed it past its column),
    # and the hover names the axis in one line
    x_title = fig.layout.xaxis.title.text
    lines = layers[0]["encoding"]["x"]["axis"]["title"]
    assert len(x_title) > AXIS_TITLE_CHARS and isinstance(lines, list) and " ".join(lines) == x_title
    assert all(len(line) <= AXIS_TITLE_CHARS for line in lines)
    assert layers[0]["encoding"]["tooltip"][0]["title"] == x_title


def test_the_board_keeps_its_cells_in_order_and_names_each_point():
    from rnnviz.plots.board import BoardPoint, board_figure

    points = [BoardPoint("ada", "lstm", 0.1, 1.2, 3.0), BoardPoint("bo", "gru", 0.3, 0.9, 2.0),
              BoardPoint("cy", "rnn_tanh", 1.0, 2.0, 1.0)]
    fig = board_figure(points, "cell")
    data, spec = to_vega(fig)
    x = next(vega_layers(spec))["encoding"]["x"]
    assert x["type"] == "nominal" and x["sort"] == list(fig.layout.xaxis.categoryarray)
    assert sorted(data["text"]) == ["ada", "bo", "cy"]
    assert sorted(data["x"]) == sorted(str(v) for tr in fig.data for v in tr.x)
    lr = board_figure(points, "lr")  # a log axis of the settings
    _, spec = to_vega(lr)
    assert next(vega_layers(spec))["encoding"]["x"]["scale"]["type"] == "log"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("每一步的梯度范数裁剪：，（）θ abcxyz")), max_size=120))
def test_a_title_is_cut_into_lines_that_fit_and_keep_every_character(line):
    lines = wrap_wide(line)
    assert "".join(lines).replace(" ", "") == line.replace(" ", "")  # nothing lost (only spaces at a break)
    units = [sum(WIDE_UNITS if "\u4e00" <= ch <= "\u9fff" or ch in "：，（）" else 1 for ch in part) for part in lines]
    assert all(u <= TITLE_CHARS for u in units), list(zip(lines, units))


def test_a_chinese_title_breaks_after_its_punctuation():
    assert wrap_wide("每一步的梯度范数：梯度裁剪把它限制在 θ") == ["每一步的梯度范数：", "梯度裁剪把它限制在 θ"]
    assert wrap_wide("最终困惑度（损失的指数）与循环单元类型的关系") == ["最终困惑度（损失的指数）", "与循环单元类型的关系"]
    assert wrap_wide("训练 300 步后的单步预测拟合（蓝色：用真实的过去值预测）") == [
        "训练 300 步后的单步预测拟合", "（蓝色：用真实的过去值预测）"]  # before a bracket
    assert wrap_wide("Loss per step: it should fall") == ["Loss per step: it should fall"]  # short: as it is


def test_a_running_labs_charts_keep_their_spec_from_refresh_to_refresh():
    """Only the data changes between two refreshes, so the page updates the charts in place: a changed spec (a
    title naming the step, a legend counting clipped steps) makes Vega build the chart anew at every refresh, which
    took the home page's preview from ~50 to ~10 frames a second."""
    rng = np.random.default_rng(0)
    norms = np.exp(rng.uniform(np.log(0.2), np.log(5.0), 400))  # within one decade range: the axis stays
    early, later = _history(norms[:120]), _history(norms)
    for build in (lambda h: loss_figure(h, "lm"), lambda h: grad_norm_figure(h, 1.0)):
        (d1, s1), (d2, s2) = to_vega(fitted(build(early))), to_vega(fitted(build(later)))
        assert s1 == s2 and not d1.equals(d2)
    values = np.sin(np.arange(200) / 9)
    fits = [to_vega(fitted(fit_figure(values, values + noise, 150, [], ""))) for noise in (0.1, 0.01)]
    assert fits[0][1] == fits[1][1]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(1e-3, 1e3), min_size=0, max_size=400), st.booleans())
def test_the_plain_parts_draw_the_same_chart_as_the_figure(norms, diverged):
    """The lab reads its live charts from the dicts its figures are built from (no figure built per refresh)."""
    from rnnviz.plots.training import grad_norm_parts, loss_parts

    h = _history(norms)
    for parts, fig in ((loss_parts(h, "lm", "inf" if diverged else None), loss_figure(h, "lm", "inf" if diverged else None)),
                       (grad_norm_parts(h, 1.0), grad_norm_figure(h, 1.0))):
        (d1, s1), (d2, s2) = to_vega(parts), to_vega(fig)
        assert s1 == s2
        assert d1.equals(d2)
