"""Figures for text: vocabulary counts, Zipf's law on log-log axes, minibatch partitions, surprise and perplexity."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.plots.states import SPACE, show
from rnnviz.plots.style import base_layout, log_axis
from rnnviz.textstats import Perplexity, Strip

NGRAM_COLORS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c"}
NGRAM_NAMES = {1: "unigrams", 2: "bigrams", 3: "trigrams"}
SURPRISE_SCALE = "OrRd"  # surprise is >= 0: sequential, white = expected, dark red = surprised
# Minibatches and rows are categories: neighbours get clearly different colours from a qualitative palette (a
# rainbow scale gave batches 3 and 4 nearly the same green), cycling after ten; no grey (grey = never an input).
BATCH_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                "#393b79")


def _category_scale(top: int) -> list[list]:
    """Returns a stepped colour scale giving each integer 0..top its own palette colour (for zmin -0.5, zmax top + 0.5)."""
    n = top + 1
    scale = []
    for k in range(n):
        color = BATCH_COLORS[k % len(BATCH_COLORS)]
        scale += [[k / n, color], [(k + 1) / n, color]]
    return scale


def vocab_bars(table: pd.DataFrame, token_kind: str) -> go.Figure:
    """Returns a bar chart of the most frequent tokens with their indices (index 0 = <unk>)."""
    labels = [f"{i}: {show([t])[0]}" for i, t in zip(table["index"], table["token"])]
    fig = go.Figure(go.Bar(x=labels, y=table["count"], marker_color="#1f77b4",
                           hovertemplate="index %{x}<br>count %{y:,}<extra></extra>"))
    base_layout(fig, f"The vocabulary, most frequent {token_kind} first: index = position in this list",
                "index: token", "count in the corpus", height=340)
    fig.update_xaxes(tickangle=-60 if token_kind == "words" else 0, tickfont=dict(size=11))
    return fig


def zipf_plot(table: pd.DataFrame, exponents: dict[int, float]) -> go.Figure:
    """Returns count against rank on log-log axes for uni-, bi- and trigrams (a straight line = Zipf's law)."""
    fig = go.Figure()
    for n, part in table.groupby("n"):
        alpha = exponents.get(int(n), math.nan)
        fig.add_trace(go.Scatter(
            x=part["rank"], y=part["count"], mode="lines", name=f"{NGRAM_NAMES[int(n)]} (slope ≈ -{alpha:.2f})",
            line=dict(color=NGRAM_COLORS[int(n)], width=2), customdata=part["gram"],
            hovertemplate="rank %{x:,}<br>count %{y:,}<br>'%{customdata}'<extra></extra>"))
    base_layout(fig, "Frequency against rank, log-log: a straight line is Zipf's law<br><sup>longer n-grams are "
                "flatter and run out into a long tail of counts of 1</sup>", "rank (log scale)", "count (log scale)",
                height=440)
    fig.update_xaxes(log_axis(table["rank"]))
    fig.update_yaxes(log_axis(table["count"]))
    return fig


def _few_ticks(top: int, most: int = 5) -> list[int]:
    """Returns at most `most` evenly spaced integer ticks from 0 to top (a short colour bar cannot hold more)."""
    step = max(1, int(np.ceil(top / (most - 1))))
    return list(range(0, top + 1, step))


def partition_strip(strip: Strip, tokens: Sequence[str], colour_by: str, title: str, per_line: int = 50) -> go.Figure:
    """Returns the corpus as rows of positions, each coloured by its minibatch (or row); grey = never an input."""
    N = len(strip.batch)
    lines = int(np.ceil(N / per_line))
    z, text, hover = np.full((lines, per_line), np.nan), np.full((lines, per_line), "", dtype=object), \
        np.full((lines, per_line), "", dtype=object)
    value = strip.batch if colour_by == "minibatch" else strip.row
    for i in range(N):
        r, c = divmod(i, per_line)
        tok = show([tokens[i]])[0] if len(tokens[i]) == 1 else tokens[i][:3]
        text[r, c] = tok
        if strip.batch[i] >= 0:
            z[r, c] = value[i]
            hover[r, c] = (f"position {i} '{tokens[i]}'<br>minibatch {strip.batch[i] + 1}, row {strip.row[i] + 1}, "
                           f"step {strip.step[i] + 1}<br>label: position {i + 1}")
        else:
            hover[r, c] = f"position {i} '{tokens[i]}'<br>not read as input in this epoch"
    top = max(int(value.max()), 1)
    fig = go.Figure(go.Heatmap(
        z=z, text=text, customdata=hover, texttemplate="%{text}", textfont=dict(size=12, family="monospace"),
        colorscale=_category_scale(top), zmin=-0.5, zmax=top + 0.5, xgap=1, ygap=4,
        colorbar=dict(title=colour_by, thickness=12, len=1.0, y=0.5, yanchor="middle", tickvals=_few_ticks(top),
                      ticktext=[str(v + 1) for v in _few_ticks(top)], ticks="outside"),  # counted from 1
        hovertemplate="%{customdata}<extra></extra>"))
    base_layout(fig, title, f"position within the line ({per_line} per line)", "line of the corpus",
                height=min(120 + 34 * lines, 700))
    fig.update_yaxes(autorange="reversed", tickvals=list(range(lines)), ticktext=[str(i * per_line) for i in
                                                                                  range(lines)])
    fig.update_layout(plot_bgcolor="#dddddd")
    return fig


def surprise_text(p: Perplexity, per_line: int = 60) -> go.Figure:
    """Returns the passage laid out in lines, each token coloured by its surprise -ln P (0 .. ln V)."""
    T = len(p.tokens)
    lines = int(np.ceil(T / per_line))
    z, text, hover = np.full((lines, per_line), np.nan), np.full((lines, per_line), "", dtype=object), \
        np.full((lines, per_line), "", dtype=object)
    for t, tok in enumerate(p.tokens):
        r, c = divmod(t, per_line)
        text[r, c] = SPACE if tok == " " else tok
        if t == 0:
            hover[r, c] = "t=0: only read, never predicted"
            continue
        z[r, c] = p.surprise[t - 1]
        hover[r, c] = f"t={t} '{text[r, c]}'<br>P = {p.probs[t - 1]:.3f}<br>-ln P = {p.surprise[t - 1]:.2f} nats"
    fig = go.Figure(go.Heatmap(
        z=z, text=text, customdata=hover, texttemplate="%{text}", textfont=dict(size=15, family="monospace"),
        colorscale=SURPRISE_SCALE, zmin=0, zmax=math.log(p.vocab_size), xgap=1, ygap=3,
        colorbar=dict(title="-ln P", thickness=12), hovertemplate="%{customdata}<extra></extra>"))
    base_layout(fig, f"Each character coloured by how surprised the model was<br><sup>white = expected, darkest = "
                f"as bad as guessing uniformly among {p.vocab_size}</sup>", "", "", height=min(120 + 38 * lines, 640))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


def surprise_bars(p: Perplexity, label: str, baseline: Perplexity | None = None) -> go.Figure:
    """Returns -ln P per predicted token, the mean (= ln perplexity) and ln V (uniform guessing) as lines."""
    t = np.arange(1, len(p.tokens))
    ticks = [SPACE if tok == " " else tok for tok in p.tokens[1:]]
    fig = go.Figure(go.Bar(x=t, y=p.surprise, name=f"{label}: -ln P(x_t | x_<t)", marker_color="#d62728",
                           customdata=np.stack([ticks, p.probs.round(3)], axis=1),
                           hovertemplate="t=%{x} '%{customdata[0]}'<br>P = %{customdata[1]}<br>"
                                         "-ln P = %{y:.2f}<extra></extra>"))
    if baseline is not None:
        fig.add_trace(go.Scatter(x=t, y=baseline.surprise, mode="markers", name="same model before training",
                                 marker=dict(color="#7f7f7f", size=5)))
    lnV = math.log(p.vocab_size)
    # The two reference lines are named in the legend, not annotated on the plot, where bars would cover the words.
    span = [0.5, len(p.tokens) - 0.5]
    fig.add_trace(go.Scatter(x=span, y=[p.mean_surprise] * 2, mode="lines", line=dict(color="#d62728", dash="dash"),
                             name=f"mean {p.mean_surprise:.2f} → perplexity e^{p.mean_surprise:.2f} = {p.perplexity:.2f}",
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=span, y=[lnV] * 2, mode="lines", line=dict(color="#444", dash="dot"),
                             name=f"ln V = ln {p.vocab_size} = {lnV:.2f} (uniform guessing)", hoverinfo="skip"))
    base_layout(fig, "Surprise of every prediction: perplexity is e to the mean height of these bars",
                "timestep t (hover for the character)", "−ln P (nats)", height=440)
    # Four legend entries wrap on a narrow screen: anchor the legend's top well below the axis title.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25), margin=dict(b=120))
    if len(t) <= 100:
        fig.update_xaxes(tickmode="array", tickvals=list(t), ticktext=ticks, tickfont=dict(size=10), tickangle=0)
    return fig
