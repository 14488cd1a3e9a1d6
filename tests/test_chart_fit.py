"""Charts fitted to narrow screens: long titles wrap at spaces, a legend below the plot moves above it."""

from __future__ import annotations

import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.plots.fit import TITLE_CHARS, fit_layout, fitted, legend_rows, wrap
from rnnviz.plots.training import fit_figure, grad_norm_figure


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("abcdefghij‖∂θ()", min_size=1, max_size=15), min_size=1, max_size=20))
def test_wrap_keeps_every_word_in_order_and_lines_short(words):
    text = " ".join(words)
    lines = wrap(text)
    assert " ".join(lines) == text
    assert all(len(line) <= TITLE_CHARS or " " not in line for line in lines)


def test_a_long_title_wraps_and_the_top_margin_grows_the_original_is_untouched():
    fig = go.Figure(layout=dict(title=dict(text="x " * 50), margin=dict(t=50), height=300))
    out = fitted(fig)
    assert out is not fig and fig.layout.title.text == "x " * 50
    assert out.layout.title.text.count("<br>") >= 2 and out.layout.margin.t > 50
    assert out.layout.height - out.layout.margin.t == 300 - 50  # the plot area keeps its height


def test_short_titles_are_left_alone_and_legends_below_move_above():
    short = go.Figure(layout=dict(title=dict(text="Loss"), legend=dict(orientation="v")))
    assert fitted(short) is short
    fig = fit_figure([1.0, 2.0, 3.0], [float("nan"), 1.5, 2.5], 2, ["a", "b", "c"], "")
    out = fitted(fig, in_place=True)
    assert out is fig and out.layout.legend.y >= 1.0 and out.layout.legend.yanchor == "bottom"
    assert "One-step-ahead fit" in out.layout.title.text.replace("<br>", " ")
    assert fitted(grad_norm_figure([], 1.0)).layout.legend.y >= 1.0


def test_legend_rows_pack_whole_entries():
    assert legend_rows([]) == 0
    assert legend_rows(["a", "b"], per_row=20) == 1
    assert legend_rows(["x" * 15, "y" * 15, "z"], per_row=20) == 3


def test_a_short_title_is_pinned_to_the_top_when_the_legend_moves_under_it():
    fig = go.Figure([go.Scatter(y=[1, 2], name="a"), go.Scatter(y=[2, 1], name="b")],
                    dict(title=dict(text="short"), legend=dict(orientation="h", y=-0.2), margin=dict(t=50)))
    out = fitted(fig)
    assert out.layout.title.text == "short" and out.layout.title.yref == "container" and out.layout.title.y == 1.0
    assert out.layout.legend.y > 1.0 and out.layout.margin.t > 50


@settings(max_examples=30, deadline=None)
@given(title=st.text("ab ", min_size=0, max_size=90), names=st.lists(st.text("xyz", min_size=1, max_size=25), max_size=5),
       below=st.booleans(), noted=st.booleans(), top=st.sampled_from([None, 20, 50, 80]),
       height=st.sampled_from([None, 300, 340]))
def test_a_layout_fitted_as_built_equals_the_figure_fitted_after(title, names, below, noted, top, height):
    traces = [dict(type="scatter", y=[1, 2], name=name) for name in names] or [dict(type="scatter", y=[1, 2])]
    layout = dict(title=dict(text=title), legend=dict(orientation="h", y=-0.2 if below else 1.1),
                  annotations=[dict(text="note", yref="paper", y=1.0, showarrow=False)] if noted else [])
    layout.update({k: v for k, v in (("margin", dict(t=top) if top else None), ("height", height)) if v})
    after = fitted(go.Figure(dict(data=traces, layout=layout)))
    built = go.Figure(dict(data=traces, layout=fit_layout(layout, traces)))
    assert built.layout == after.layout


def test_a_figure_built_fitted_is_not_fitted_twice():
    fig = grad_norm_figure([], 1.0)  # the live charts are built fitted
    assert fig.layout.legend.y >= 1.0 and fig.layout.title.yref == "container"
    assert fitted(fig) is fig  # fitting again would add the title's and the legend's room a second time
