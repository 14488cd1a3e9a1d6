"""Figures for the sentiment lesson: P(positive) after each word with the states under it, confusion, accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz import catalog
from rnnviz.config import CELL_LABELS
from rnnviz.plots.style import CELL_COLORS, DIVERGING, TRUTH, base_layout, log_axis
from rnnviz.textstats import HeldOut, WordReading, biggest_swing

POS, NEG = "#2ca02c", "#d62728"


def _w(name: str, **params: object) -> str:
    """Returns one of the charts' words (sentiment.plot.<name>) in the learner's language."""
    return catalog.t(f"sentiment.plot.{name}", **params)


def _numbered(words: tuple[str, ...]) -> list[list]:
    """Returns point data [index, word, its position counted from 1] per word: the index first, so a click on the
    point maps to the word's step (rnnviz.ui.selection.step_of reads customdata[0]) even when the word is a number."""
    return [[i, w, i + 1] for i, w in enumerate(words)]


def _word_ticks(fig: go.Figure, words: tuple[str, ...], unknown: tuple[bool, ...], row: int | None = None) -> None:
    # Slanted word labels take the space under the plot, so the legend goes above it, right-aligned under the title.
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0), margin=dict(t=75))
    labels = [f"<i>{w}?</i>" if u else w for w, u in zip(words, unknown)]
    many = len(words) > 40
    # A long review labels every other word (and every word where two readings differ, "loved/hated"); the hover
    # names them all. Every word's label side by side overlapped on a 1024 px screen.
    shown = [i for i, label in enumerate(labels) if not many or i % 2 == 0 or "/" in label]
    fig.update_xaxes(tickmode="array", tickvals=shown, ticktext=[labels[i] for i in shown], tickangle=-50 if
                     len(words) > 12 else 0, tickfont=dict(size=10 if many else 12), row=row, col=1 if row else None)


def word_by_word(r: WordReading, title: str) -> go.Figure:
    """Returns P(positive) after each word (top) above the top layer's hidden state per word (bottom)."""
    T, H = r.h.shape
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.45, 0.55], vertical_spacing=0.06)
    colors = [POS if p >= 0.5 else NEG for p in r.p_positive]
    fig.add_trace(go.Scatter(
        x=np.arange(T), y=r.p_positive, mode="lines+markers", line=dict(color=TRUTH, width=2),
        marker=dict(color=colors, size=10), name=_w("p_positive"), customdata=_numbered(r.words),
        hovertemplate=_w("after_word") + "<br>" + _w("p_positive") + " = %{y:.2f}<extra></extra>"),
        row=1, col=1)
    fig.add_hline(y=0.5, line=dict(color="#999", dash="dot"), row=1, col=1)
    t = biggest_swing(r)
    if t is not None:  # a swing is a change from the word before; a one-word review has none
        fig.add_annotation(x=t, y=float(r.p_positive[t]), text=f"'{r.words[t]}': {r.p_positive[t - 1]:.2f} → "
                           f"{r.p_positive[t]:.2f}", showarrow=True, arrowhead=2, ax=0,
                           ay=-40 if r.p_positive[t] < 0.5 else 40, bgcolor="rgba(255,255,255,0.85)", row=1, col=1)
    zmax = float(max(np.abs(r.h).max(), 1e-6))
    fig.add_trace(go.Heatmap(
        z=r.h.T, x=np.arange(T), y=np.arange(H), colorscale=DIVERGING, zmid=0, zmin=-zmax, zmax=zmax,
        colorbar=dict(title="h", thickness=12, len=0.5, y=0.27), hoverinfo="skip", name="h"), row=2, col=1)
    # Plotly cannot select a heatmap's cells, so a click on one sends no event: an invisible marker on every cell
    # takes the hover and the click instead, its customdata [index, word number, h] starting with the word's index
    # (the step it selects). Numbers as one float32 array and the word as text keep a 120-word review's figure small.
    steps, units = np.meshgrid(np.arange(T), np.arange(H))  # (H, T) each
    steps, units = steps.ravel(), units.ravel()
    fig.add_trace(go.Scatter(
        x=steps, y=units, mode="markers", marker=dict(size=24, color="rgba(0,0,0,0)"), name="h",
        text=[r.words[step] for step in steps],
        customdata=np.stack([steps, steps + 1, r.h[steps, units]], axis=-1).astype(np.float32),
        hovertemplate=catalog.t("sentiment.plot.heat_after", word="%{text}", number="%{customdata[1]}") + "<br>"
        + _w("unit") + "<br>h = %{customdata[2]:.3f}<extra></extra>"), row=2, col=1)
    base_layout(fig, title, "", "", height=560)
    fig.update_yaxes(title_text=_w("p_positive"), range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text=_w("hidden_unit"), range=[-0.5, H - 0.5], row=2, col=1)  # the cells, not the markers
    fig.update_xaxes(title_text=_w("word_axis"), range=[-0.5, T - 0.5], row=2, col=1)
    _word_ticks(fig, r.words, r.unknown, row=2)
    fig.update_layout(showlegend=False)
    return fig


def cells_compared(readings: dict[str, WordReading], title: str) -> go.Figure:
    """Returns P(positive) after each word for several cells reading the same review."""
    fig = go.Figure()
    first = next(iter(readings.values()))
    for cell, r in readings.items():
        fig.add_trace(go.Scatter(x=np.arange(len(r.words)), y=r.p_positive, mode="lines", name=CELL_LABELS[cell],
                                 line=dict(color=CELL_COLORS[cell], width=2), customdata=list(r.words),
                                 hovertemplate=_w("after") + "<br>" + _w("p_positive") + " = %{y:.2f}<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(color="#999", dash="dot"))
    base_layout(fig, title, _w("word_read"), _w("p_positive"), height=400)
    fig.update_yaxes(range=[-0.03, 1.03])
    _word_ticks(fig, first.words, first.unknown)
    return fig


def confusion(h: HeldOut, source: str) -> go.Figure:
    """Returns the 2 x 2 confusion counts (rows: true label, columns: predicted) as an annotated heatmap."""
    labels = [catalog.t("sentiment.words.negative"), catalog.t("sentiment.words.positive")]
    fig = go.Figure(go.Heatmap(
        z=h.confusion, x=[_w("predicted", label=lab) for lab in labels], y=[_w("truly", label=lab) for lab in labels],
        colorscale="Blues", zmin=0, text=h.confusion, texttemplate="%{text}", textfont=dict(size=20),
        showscale=False, hovertemplate=_w("sentences") + "<extra></extra>"))
    base_layout(fig, _w("confusion_title", source=source, accuracy=h.accuracy, count=h.n), "", "", height=360)
    fig.update_yaxes(autorange="reversed")
    return fig


def accuracy_by_source(table: pd.DataFrame) -> go.Figure:
    """Returns held-out accuracy per review source next to the majority-class baseline."""
    fig = go.Figure([
        go.Bar(x=table["source"], y=table["accuracy"], name=_w("model"), marker_color="#1f77b4",
               text=[f"{a:.0%}" for a in table["accuracy"]], textposition="outside"),
        go.Bar(x=table["source"], y=table["majority"], name=_w("majority"), marker_color="#bbb",
               text=[f"{a:.0%}" for a in table["majority"]], textposition="outside"),
    ])
    base_layout(fig, _w("accuracy_title"), _w("review_source"), _w("accuracy"), height=360)
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def opening_memory(gaps: dict[str, np.ndarray], words: tuple[str, ...], n_opening: int, title: str) -> go.Figure:
    """Returns ||h_t(positive opening) - h_t(negative opening)|| per word and cell, on a log axis."""
    fig = go.Figure()
    for cell, gap in gaps.items():
        fig.add_trace(go.Scatter(x=np.arange(len(gap)), y=np.maximum(gap, 1e-4), mode="lines", name=CELL_LABELS[cell],
                                 line=dict(color=CELL_COLORS[cell], width=2), customdata=_numbered(words[:len(gap)]),
                                 hovertemplate=_w("after_word") + "<br>‖Δh‖ = %{y:.3g}<extra></extra>"))
    fig.add_vrect(x0=-0.5, x1=n_opening - 0.5, fillcolor="#f2d7a6", opacity=0.35, line_width=0,
                  annotation_text=_w("openings_differ"), annotation_position="bottom left")
    base_layout(fig, title, _w("word_read"), _w("gap_axis"), height=380)
    fig.update_yaxes(log_axis(np.concatenate([np.maximum(g, 1e-4) for g in gaps.values()]) if gaps else []))
    _word_ticks(fig, words, (False,) * len(words))
    return fig


def two_openings(loved: WordReading, hated: WordReading, cell: str, title: str) -> go.Figure:
    """Returns P(positive) after each word for the loved-it and hated-it versions of one review, read by one cell."""
    fig = go.Figure()
    for r, name, color in ((loved, _w("opens_loved"), POS), (hated, _w("opens_hated"), NEG)):
        fig.add_trace(go.Scatter(x=np.arange(len(r.words)), y=r.p_positive, mode="lines", name=name,
                                 line=dict(color=color, width=2), customdata=_numbered(r.words),
                                 hovertemplate=_w("after_word") + "<br>" + _w("p_positive") + " = %{y:.2f}"
                                               "<extra>" + CELL_LABELS[cell] + "</extra>"))
    fig.add_hline(y=0.5, line=dict(color="#999", dash="dot"))
    base_layout(fig, title, _w("word_read"), _w("p_positive"), height=340)
    fig.update_yaxes(range=[-0.05, 1.05])
    ticks = tuple(a if a == b else f"{a}/{b}" for a, b in zip(loved.words, hated.words))
    _word_ticks(fig, ticks, loved.unknown)
    return fig


def word_swings(r: WordReading, title: str) -> go.Figure:
    """Returns how much each word moved P(positive) from the word before it, as bars (the first word has none)."""
    T = len(r.words)
    moves = np.diff(r.p_positive)  # (T-1,): word t's move is p_t - p_{t-1}
    fig = go.Figure(go.Bar(
        x=np.arange(1, T), y=moves, marker_color=[POS if m >= 0 else NEG for m in moves], name=_w("move"),
        customdata=_numbered(r.words)[1:], hovertemplate=_w("after_word") + "<br>ΔP = %{y:+.2f}<extra></extra>"))
    fig.add_vline(x=T // 2 - 0.5, line=dict(color="#999", dash="dash"), annotation_text=_w("half_way"),
                  annotation_position="top")
    base_layout(fig, title, _w("word_read"), _w("move_axis"), height=320)
    fig.update_xaxes(range=[-0.5, T - 0.5])
    _word_ticks(fig, r.words, r.unknown)
    fig.update_layout(showlegend=False)
    return fig
