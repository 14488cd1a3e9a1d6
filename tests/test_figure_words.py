"""Figures say what they draw: colours named as drawn, wrong outputs never green, labels kept off the data."""

from __future__ import annotations

import math

import numpy as np
import plotly.colors

from rnnviz.plots.architectures import dependency_grid, seq2seq_diagram
from rnnviz.plots.gates import gate_heatmaps
from rnnviz.plots.text import partition_strip, surprise_bars
from rnnviz.textstats import Perplexity, Strip

GREEN = "#2ca02c"


def _colors(trace) -> list[str]:
    color = trace.marker.color
    return list(color) if isinstance(color, list | tuple | np.ndarray) else [color] * len(trace.x)


def test_an_untrained_decoders_wrong_outputs_are_not_green_and_the_right_ones_are():
    fig = seq2seq_diagram([1, 2, 3, 4], ["<bos>", "4", "3", "2"], [4, 3, 2, 1], [4, 0, 2, 9])
    outputs = {t.name: t for t in fig.data if t.name and t.name.startswith("output")}
    assert list(outputs["output, right"].text) == ["4", "2"] and _colors(outputs["output, right"]) == [GREEN] * 2
    assert list(outputs["output, wrong"].text) == ["0", "9"] and GREEN not in _colors(outputs["output, wrong"])
    assert "<bos>" not in [v for t in fig.data for v in (t.text or [])]  # wider than its box: shown as "bos"
    before = seq2seq_diagram([1, 2], ["<bos>", "2"], [2, 1], None)
    assert all(GREEN not in _colors(t) for t in before.data if t.name and "output" in t.name)


def test_the_context_box_sits_on_the_state_row_between_encoder_and_decoder():
    fig = seq2seq_diagram([1, 2, 3], ["<bos>", "3", "2"], [3, 2, 1], [3, 2, 1])
    ctx = next(t for t in fig.data if t.name and t.name.startswith("context"))
    dec = next(t for t in fig.data if t.name and t.name.startswith("decoder state"))
    enc = next(t for t in fig.data if t.name == "encoder state")
    assert list(ctx.y) == [1] and max(enc.x) < ctx.x[0] < min(dec.x)


def test_dependency_grid_counts_steps_from_one_in_its_labels_and_title():
    mask = np.zeros((3, 5), dtype=bool)
    mask[:, :4] = True
    fig = dependency_grid(mask, layer=2, t=3, bidirectional=False)
    assert "h<sub>4</sub><sup>(2)</sup>" in fig.layout.title.text
    nodes = fig.data[-1]
    assert "x<sub>1</sub>" in nodes.text and "x<sub>0</sub>" not in nodes.text
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "3", "4", "5"]


def test_gate_colour_bars_name_the_quantities_drawn_in_their_colours():
    T, H = 4, 3
    gru = gate_heatmaps({k: np.random.default_rng(0).random((T, H)) for k in ("r", "z", "n", "h")}, list("abcd"),
                        np.arange(H), "t")
    assert gru.layout.coloraxis.colorbar.title.text == "gates r, z"
    assert gru.layout.coloraxis2.colorbar.title.text == "n, h"
    lstm = gate_heatmaps({k: np.random.default_rng(0).random((T, H)) for k in ("i", "f", "g", "o", "c", "h")},
                         list("abcd"), np.arange(H), "t")
    assert lstm.layout.coloraxis.colorbar.title.text == "gates i, f, o"
    assert lstm.layout.coloraxis2.colorbar.title.text == "g, h"


def test_neighbouring_minibatches_get_clearly_different_colours_and_are_counted_from_one():
    n = 40
    strip = Strip(batch=np.arange(n) // 4, row=np.zeros(n, int), step=np.arange(n) % 4, n_batches=10)
    fig = partition_strip(strip, list("abcdefghij" * 4), "minibatch", "t", per_line=20)
    heat = fig.data[0]
    scale = heat.colorscale
    zmin, zmax = heat.zmin, heat.zmax

    def color_of(k: int) -> tuple[int, ...]:
        pos = (k - zmin) / (zmax - zmin)
        color = next(c for (lo, c), (hi, _) in zip(scale[::2], scale[1::2]) if lo <= pos <= hi)
        return plotly.colors.hex_to_rgb(color)

    for k in range(9):
        a, b = color_of(k), color_of(k + 1)
        assert math.dist(a, b) > 100, (k, a, b)  # far apart in RGB, unlike a rainbow's neighbours
    assert "minibatch 1," in heat.customdata[0][0]  # the first minibatch is number 1
    assert heat.colorbar.ticktext[0] == "1"


def test_perplexity_reference_lines_are_named_in_the_legend_not_written_over_the_bars():
    tokens = tuple("hello")
    probs = np.array([0.5, 0.2, 0.9, 0.4])
    s = -np.log(probs)
    fig = surprise_bars(Perplexity(tokens, probs, s, float(s.mean()), float(np.exp(s.mean())), 28), "m")
    assert not fig.layout.annotations
    names = [t.name for t in fig.data]
    assert any(n.startswith("mean ") and "perplexity" in n for n in names) and any(n.startswith("ln V") for n in names)


def test_the_learners_own_forecaster_is_drawn_apart_from_the_defaults():
    import pandas as pd

    from rnnviz.plots.forecast import horizon_figure, model_color
    from rnnviz.plots.style import OWN_COLOR, OWN_WIDTH

    assert model_color("mine: GRU 32 · sine") == OWN_COLOR != model_color("GRU (default)")
    table = pd.DataFrame({"k": [1, 2], "MSE": [0.1, 0.2], "n": [50, 49]})
    fig = horizon_figure({"GRU (default)": table, "mine: GRU 32 · sine": table}, "MSE")
    widths = {t.name: t.line.width for t in fig.data}
    assert widths["mine: GRU 32 · sine"] == OWN_WIDTH > widths["GRU (default)"]
