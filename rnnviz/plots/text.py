"""Figures for text: vocabulary counts, Zipf's law on log-log axes, minibatch partitions, surprise and perplexity."""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.plots.states import SPACE, show
from rnnviz.plots.style import base_layout, log_axis
from rnnviz.textstats import Perplexity, Strip

NGRAM_COLORS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c"}
NGRAM_NAMES = {1: "unigrams", 2: "bigrams", 3: "trigrams"}  # catalogue names under text.zipf
SURPRISE_SCALE = "OrRd"  # surprise is >= 0: sequential, white = expected, dark red = surprised
# Minibatches and rows are categories: neighbours get clearly different colours from a qualitative palette (a
# rainbow scale gave batches 3 and 4 nearly the same green), cycling after ten; no grey (grey = never an input).
BATCH_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                "#393b79")


def plotly_text(token: str) -> str:
    """Returns a token as plotly shows it literally (its pseudo-HTML would otherwise be read as markup)."""
    return html.escape(token, quote=False)


def _category_scale(top: int) -> list[list]:
    """Returns a stepped colour scale giving each integer 0..top its own palette colour (for zmin -0.5, zmax top + 0.5)."""
    n = top + 1
    scale = []
    for k in range(n):
        color = BATCH_COLORS[k % len(BATCH_COLORS)]
        scale += [[k / n, color], [(k + 1) / n, color]]
    return scale


def _wide(tokens: Sequence[str]) -> bool:
    """Returns whether any token starts with a full-width character (Chinese: twice as wide as a letter)."""
    return any(tok and unicodedata.east_asian_width(tok[0]) in "WF" for tok in tokens)


def _per_line(tokens: Sequence[str], narrow: int) -> int:
    """Returns how many cells a line holds: half as many for Chinese characters."""
    return narrow // 2 if _wide(tokens) else narrow


def vocab_bars(table: pd.DataFrame, token: str) -> go.Figure:
    """Returns a bar chart of the most frequent tokens ('char' or 'word') with their indices (index 0 = <unk>)."""
    # Chinese characters are twice as wide as letters: thirty "12: 字" labels side by side would overlap.
    sep = "<br>" if _wide(list(table["token"])) else ": "
    labels = [f"{i}{sep}{plotly_text(show([tok])[0])}" for i, tok in zip(table["index"], table["token"])]
    fig = go.Figure(go.Bar(x=labels, y=table["count"], marker_color="#1f77b4", hovertemplate=t("text.vocab.hover")))
    base_layout(fig, t("text.vocab.title", kind=t(f"text.token.{token}")), t("text.vocab.x"), t("text.vocab.y"),
                height=340)
    fig.update_xaxes(tickangle=-60 if token == "word" else 0, tickfont=dict(size=11))
    return fig


def zipf_plot(table: pd.DataFrame, exponents: dict[int, float]) -> go.Figure:
    """Returns count against rank on log-log axes for uni-, bi- and trigrams (a straight line = Zipf's law)."""
    fig = go.Figure()
    for n, part in table.groupby("n"):
        alpha = exponents.get(int(n), math.nan)
        fig.add_trace(go.Scatter(
            x=part["rank"], y=part["count"], mode="lines",
            name=t("text.zipf.trace", grams=t(f"text.zipf.{NGRAM_NAMES[int(n)]}"), alpha=alpha),
            line=dict(color=NGRAM_COLORS[int(n)], width=2), customdata=part["gram"].map(plotly_text),
            hovertemplate=t("text.zipf.hover")))
    base_layout(fig, t("text.zipf.title"), t("text.zipf.x"), t("text.zipf.y"), height=440)
    fig.update_xaxes(log_axis(table["rank"]))
    fig.update_yaxes(log_axis(table["count"]))
    return fig


def _few_ticks(top: int, most: int = 5) -> list[int]:
    """Returns at most `most` evenly spaced integer ticks from 0 to top (a short colour bar cannot hold more)."""
    step = max(1, int(np.ceil(top / (most - 1))))
    return list(range(0, top + 1, step))


def partition_strip(strip: Strip, tokens: Sequence[str], colour_by: str, title: str,
                    per_line: int | None = None) -> go.Figure:
    """Returns the corpus as rows of positions, each coloured by its minibatch (or row); grey = never an input."""
    per_line = per_line or _per_line(tokens, 50)
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
            hover[r, c] = t("text.partition.hover", position=i, token=plotly_text(tokens[i]), batch=strip.batch[i] + 1,
                            row=strip.row[i] + 1, step=strip.step[i] + 1, label=i + 1)
        else:
            hover[r, c] = t("text.partition.hover_unread", position=i, token=plotly_text(tokens[i]))
    top = max(int(value.max()), 1)
    fig = go.Figure(go.Heatmap(
        z=z, text=text, customdata=hover, texttemplate="%{text}", textfont=dict(size=12, family="monospace"),
        colorscale=_category_scale(top), zmin=-0.5, zmax=top + 0.5, xgap=1, ygap=4,
        colorbar=dict(title=t(f"text.partition.{colour_by}"), thickness=12, len=1.0, y=0.5, yanchor="middle",
                      tickvals=_few_ticks(top),
                      ticktext=[str(v + 1) for v in _few_ticks(top)], ticks="outside"),  # counted from 1
        hovertemplate="%{customdata}<extra></extra>"))
    base_layout(fig, title, t("text.partition.x", per_line=per_line), t("text.partition.y"),
                height=min(120 + 34 * lines, 700))
    fig.update_yaxes(autorange="reversed", tickvals=list(range(lines)), ticktext=[str(i * per_line) for i in
                                                                                  range(lines)])
    fig.update_layout(plot_bgcolor="#dddddd")
    return fig


def surprise_text(p: Perplexity, per_line: int | None = None) -> go.Figure:
    """Returns the passage laid out in lines, each token coloured by its surprise -ln P (0 .. ln V)."""
    per_line = per_line or _per_line(p.tokens, 60)
    T = len(p.tokens)
    lines = int(np.ceil(T / per_line))
    z, text, hover = np.full((lines, per_line), np.nan), np.full((lines, per_line), "", dtype=object), \
        np.full((lines, per_line), "", dtype=object)
    for step, tok in enumerate(p.tokens):
        r, c = divmod(step, per_line)
        text[r, c] = SPACE if tok == " " else tok
        if step == 0:
            hover[r, c] = t("text.surprise.first")
            continue
        z[r, c] = p.surprise[step - 1]
        hover[r, c] = t("text.surprise.hover", step=step, token=plotly_text(text[r, c]), prob=p.probs[step - 1],
                        nats=p.surprise[step - 1])
    fig = go.Figure(go.Heatmap(
        z=z, text=text, customdata=hover, texttemplate="%{text}", textfont=dict(size=15, family="monospace"),
        colorscale=SURPRISE_SCALE, zmin=0, zmax=math.log(p.vocab_size), xgap=1, ygap=3,
        colorbar=dict(title="-ln P", thickness=12), hovertemplate="%{customdata}<extra></extra>"))
    base_layout(fig, t("text.surprise.title", vocab=p.vocab_size), "", "", height=min(120 + 38 * lines, 640))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


def surprise_bars(p: Perplexity, label: str, baseline: Perplexity | None = None) -> go.Figure:
    """Returns -ln P per predicted token, the mean (= ln perplexity) and ln V (uniform guessing) as lines."""
    steps = np.arange(1, len(p.tokens))
    ticks = [SPACE if tok == " " else tok for tok in p.tokens[1:]]
    fig = go.Figure(go.Bar(x=steps, y=p.surprise, name=t("text.surprise.bars_trace", label=label),
                           marker_color="#d62728",
                           customdata=np.stack([[plotly_text(tick) for tick in ticks], p.probs.round(3)], axis=1),
                           hovertemplate=t("text.surprise.bars_hover")))
    if baseline is not None:
        fig.add_trace(go.Scatter(x=steps, y=baseline.surprise, mode="markers", name=t("text.surprise.before"),
                                 marker=dict(color="#7f7f7f", size=5)))
    lnV = math.log(p.vocab_size)
    # The two reference lines are named in the legend, not annotated on the plot, where bars would cover the words.
    span = [0.5, len(p.tokens) - 0.5]
    fig.add_trace(go.Scatter(x=span, y=[p.mean_surprise] * 2, mode="lines", line=dict(color="#d62728", dash="dash"),
                             name=t("text.surprise.mean", mean=p.mean_surprise, ppl=p.perplexity),
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=span, y=[lnV] * 2, mode="lines", line=dict(color="#444", dash="dot"),
                             name=t("text.surprise.uniform", vocab=p.vocab_size, ln_vocab=lnV), hoverinfo="skip"))
    base_layout(fig, t("text.surprise.bars_title"), t("text.surprise.bars_x"), t("text.surprise.bars_y"), height=440)
    # Four legend entries wrap on a narrow screen: anchor the legend's top well below the axis title.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25), margin=dict(b=120))
    if len(steps) <= 100:
        fig.update_xaxes(tickmode="array", tickvals=list(steps), ticktext=ticks, tickfont=dict(size=10), tickangle=0)
    return fig
