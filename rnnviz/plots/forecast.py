"""Figures for the forecasting lesson: the split, fed-back rollouts, k-step-ahead curves, error per horizon, memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.data import Series
from rnnviz.plots.style import CELL_COLORS, DIVERGING, LINE_WIDTH, OWN_COLOR, OWN_WIDTH, TRUTH, base_layout

TRAIN_SHADE, FED_SHADE = "rgba(31, 119, 180, 0.08)", "rgba(214, 39, 40, 0.10)"
K_COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd")


def model_color(label: str) -> str:
    """Returns a model's line colour from its kind, read off its label (MLP grey, GRU blue, ...).

    label is the model's language-independent name ('AR MLP (d2l)', 'GRU (H=32)', 'mine: ...'), not the legend's
    words. The learner's own models ('mine: ...') are purple whatever their cell, so they never look like a default.
    """
    if label.startswith("mine"):
        return OWN_COLOR
    low = label.lower()
    for kind, key in (("mlp", "mlp"), ("lstm", "lstm"), ("gru", "gru"), ("relu", "rnn_relu"), ("rnn", "rnn_tanh")):
        if kind in low:
            return CELL_COLORS[key]
    return "#9467bd"


def _truth(fig: go.Figure, series: Series, lo: int = 0, hi: int | None = None, name: str | None = None) -> None:
    steps = np.arange(lo, hi if hi is not None else len(series))
    fig.add_trace(go.Scatter(
        x=steps, y=series.values[steps], name=name or t("forecasting.plots.truth"), mode="lines",
        line=dict(color=TRUTH, width=1), customdata=np.asarray(series.labels, dtype=object)[steps],
        hovertemplate="t=%{x} (%{customdata})<br>x=%{y:.3f}<extra></extra>"))


def _line(fig: go.Figure, t: np.ndarray, y: np.ndarray, name: str, color: str, dash: str = "solid",
          width: float = LINE_WIDTH) -> None:
    fig.add_trace(go.Scatter(x=t, y=y, name=name, mode="lines", line=dict(color=color, dash=dash, width=width),
                             hovertemplate=f"{name}<br>t=%{{x}}<br>%{{y:.3f}}<extra></extra>"))


def series_figure(series: Series, n_train: int, title: str) -> go.Figure:
    """Returns the series with its training part shaded: models learn on the left, are tested on the right."""
    fig = go.Figure()
    _truth(fig, series, name=title)
    fig.add_vrect(x0=0, x1=n_train - 0.5, fillcolor=TRAIN_SHADE, line_width=0,
                  annotation_text=t("forecasting.plots.training_part"), annotation_position="top left")
    base_layout(fig, t("forecasting.plots.series_title", title=title, n_train=n_train, total=len(series)),
                t("forecasting.plots.time_axis"), series.unit, height=300)
    fig.update_layout(showlegend=False)
    return fig


def fed_back_figure(series: Series, n_train: int, start: int, one_step: np.ndarray, rollout: np.ndarray,
                    label: str, did: str | None = None) -> go.Figure:
    """Returns d2l's picture: one-step predictions track the truth; `did` says what the fed-back rollout did."""
    fig = go.Figure()
    _truth(fig, series)
    _line(fig, np.arange(len(series)), one_step, t("forecasting.plots.one_step", label=label), "#1f77b4", width=1.5)
    _line(fig, np.arange(start, start + len(rollout)), rollout, t("forecasting.plots.fed_back", start=start, label=label),
          "#d62728")
    fig.add_vrect(x0=start - 0.5, x1=len(series), fillcolor=FED_SHADE, line_width=0,
                  annotation_text=t("forecasting.plots.fed_back_shade"), annotation_position="top left")
    fig.add_vline(x=n_train - 0.5, line_dash="dot", line_color="#888")
    did = did or t("forecasting.rollout.phrase.drifts")
    base_layout(fig, t("forecasting.plots.fed_back_title", did=did), t("forecasting.plots.time_axis"), series.unit)
    return fig


def k_ahead_figure(series: Series, n_train: int, curves: Mapping[int, np.ndarray], label: str) -> go.Figure:
    """Returns k-step-ahead forecasts of every test point: the larger k, the more fed-back steps, the flatter."""
    fig = go.Figure()
    _truth(fig, series, lo=max(n_train - 50, 0))
    for i, (k, curve) in enumerate(sorted(curves.items())):
        steps = np.arange(len(curve))
        ok = ~np.isnan(curve)
        _line(fig, steps[ok], curve[ok], t("forecasting.plots.k_line", horizon=k), K_COLORS[i % len(K_COLORS)],
              width=1.8)
    fig.add_vline(x=n_train - 0.5, line_dash="dot", line_color="#888", annotation_text=t("forecasting.plots.test_starts"))
    base_layout(fig, t("forecasting.plots.k_title", label=label), t("forecasting.plots.k_axis"), series.unit)
    return fig


def horizon_figure(errors: Mapping[str, pd.DataFrame], metric: str, floor: float | None = None,
                   marks: Sequence[int] = (), names: Mapping[str, str] | None = None) -> go.Figure:
    """Returns error against horizon k per model: the curve's rise is the error that fed-back steps accumulate.

    errors is keyed by each model's language-independent label; names gives the legend's words for it.
    """
    fig = go.Figure()
    starts = t("forecasting.plots.hover_starts")
    for label, table in errors.items():
        name = (names or {}).get(label, label)
        fig.add_trace(go.Scatter(
            x=table["k"], y=table[metric], name=name, mode="lines+markers", marker=dict(size=4),
            line=dict(color=model_color(label), width=OWN_WIDTH if label.startswith("mine") else LINE_WIDTH),
            customdata=table["n"], hovertemplate=f"{name}<br>k=%{{x}}<br>{metric} %{{y:.4g}}"
                                                 f"<br>{starts}<extra></extra>"))
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dot", line_color=TRUTH,
                      annotation_text=t("forecasting.plots.noise_floor"), annotation_position="bottom right")
    for k in marks:
        fig.add_vline(x=k, line_color="#ddd", line_width=1)
    base_layout(fig, t("forecasting.plots.horizon_title", metric=metric), t("forecasting.plots.horizon_axis"),
                t(f"forecasting.plots.metric_units.{metric}"))
    fig.update_yaxes(rangemode="tozero")
    return fig


def from_here_figure(series: Series, start: int, k: int, rollouts: Mapping[str, np.ndarray],
                     context: int = 60, names: Mapping[str, str] | None = None) -> go.Figure:
    """Returns the truth around a chosen start and each model's rollout from it, the fed-back region shaded.

    rollouts is keyed by each model's language-independent label; names gives the legend's words for it.
    """
    fig = go.Figure()
    _truth(fig, series, lo=max(start - context, 0), hi=min(start + k + context // 3, len(series)))
    for label, y in rollouts.items():
        _line(fig, np.arange(start, start + len(y)), y, (names or {}).get(label, label), model_color(label),
              width=OWN_WIDTH if label.startswith("mine") else LINE_WIDTH)
    fig.add_vrect(x0=start - 0.5, x1=start + k - 0.5, fillcolor=FED_SHADE, line_width=0,
                  annotation_text=t("forecasting.plots.from_here_shade", steps=k), annotation_position="top left")
    fig.add_vline(x=start - 0.5, line_color="#d62728", line_width=1)
    when = "" if series.labels[start].isdigit() else f" ({series.labels[start]})"  # dates help; a bare index does not
    base_layout(fig, t("forecasting.plots.from_here_title", start=start, when=when), t("forecasting.plots.time_axis"),
                series.unit)
    return fig


def probe_figure(probe: pd.DataFrame, tau: int, label: str, name: str | None = None) -> go.Figure:
    """Returns R² of reading x_{t+k} off the last tau values vs off the hidden state h_t, against k.

    label is the model's language-independent label (its colour); name the legend's words for it.
    """
    fig = go.Figure()
    names = {"window": (t("forecasting.plots.probe_window", tau=tau), CELL_COLORS["mlp"]),
             "hidden": (t("forecasting.plots.probe_hidden", label=name or label), model_color(label))}
    for source, (name, color) in names.items():
        part = probe[probe["source"] == source]
        fig.add_trace(go.Scatter(x=part["k"], y=part["R2"], name=name, mode="lines+markers", line=dict(color=color),
                                 hovertemplate=f"{name}<br>k=%{{x}}<br>R² %{{y:.3f}}<extra></extra>"))
    fig.add_hline(y=0, line_color="#bbb")
    base_layout(fig, t("forecasting.plots.probe_title"), t("forecasting.plots.probe_k_axis"),
                t("forecasting.plots.probe_r2_axis"))
    fig.update_yaxes(range=[min(-0.2, float(probe["R2"].min()) - 0.05) if len(probe) else -0.2, 1.0])
    return fig


def fit_figure(series: Series, n_train: int, one_step: np.ndarray, label: str) -> go.Figure:
    """Returns the series and a model's one-step-ahead fit of it: the input its hidden state reads, step by step."""
    fig = go.Figure()
    _truth(fig, series)
    _line(fig, np.arange(len(series)), one_step, t("forecasting.plots.one_step", label=label), model_color(label),
          width=1.5)
    fig.add_vline(x=n_train - 0.5, line_dash="dot", line_color="#888")
    base_layout(fig, t("forecasting.hidden.fit_title", label=label), t("forecasting.plots.time_axis"), series.unit,
                height=300)
    return fig


def hidden_heatmap(h: np.ndarray, label: str) -> go.Figure:
    """Returns the hidden state h_t (T, H) of a forecaster reading the series: units down, time across, 0 white."""
    T, H = h.shape
    zmax = float(max(np.abs(h).max(), 1e-6))
    fig = go.Figure(go.Heatmap(z=h.T, x=np.arange(T), y=np.arange(H), colorscale=DIVERGING, zmid=0, zmin=-zmax,
                               zmax=zmax, colorbar=dict(title="h", thickness=12),
                               hovertemplate=t("forecasting.hidden.hover") + "<extra></extra>"))
    base_layout(fig, t("forecasting.hidden.heat_title", label=label), t("forecasting.plots.time_axis"),
                t("forecasting.hidden.unit_axis"), height=min(260 + 4 * H, 560))
    fig.update_yaxes(range=[-0.5, H - 0.5], autorange=False)
    return fig
