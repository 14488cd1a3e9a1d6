"""Figures for the forecasting lesson: the split, fed-back rollouts, k-step-ahead curves, error per horizon, memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.data import Series
from rnnviz.plots.style import CELL_COLORS, LINE_WIDTH, OWN_COLOR, OWN_WIDTH, TRUTH, base_layout

TRAIN_SHADE, FED_SHADE = "rgba(31, 119, 180, 0.08)", "rgba(214, 39, 40, 0.10)"
K_COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd")
METRIC_UNITS = {"MSE": "mean squared error (units²)", "MAE": "mean absolute error (units)", "MAPE": "MAPE (%)"}


def model_color(label: str) -> str:
    """Returns a model's line colour from its kind, read off its label (MLP grey, GRU blue, ...).

    The learner's own models ('mine: ...') are purple whatever their cell, so they never look like a default.
    """
    if label.startswith("mine"):
        return OWN_COLOR
    low = label.lower()
    for kind, key in (("mlp", "mlp"), ("lstm", "lstm"), ("gru", "gru"), ("relu", "rnn_relu"), ("rnn", "rnn_tanh")):
        if kind in low:
            return CELL_COLORS[key]
    return "#9467bd"


def _truth(fig: go.Figure, series: Series, lo: int = 0, hi: int | None = None, name: str = "truth") -> None:
    t = np.arange(lo, hi if hi is not None else len(series))
    fig.add_trace(go.Scatter(
        x=t, y=series.values[t], name=name, mode="lines", line=dict(color=TRUTH, width=1),
        customdata=np.asarray(series.labels, dtype=object)[t],
        hovertemplate="t=%{x} (%{customdata})<br>x=%{y:.3f}<extra></extra>"))


def _line(fig: go.Figure, t: np.ndarray, y: np.ndarray, name: str, color: str, dash: str = "solid",
          width: float = LINE_WIDTH) -> None:
    fig.add_trace(go.Scatter(x=t, y=y, name=name, mode="lines", line=dict(color=color, dash=dash, width=width),
                             hovertemplate=f"{name}<br>t=%{{x}}<br>%{{y:.3f}}<extra></extra>"))


def series_figure(series: Series, n_train: int, title: str) -> go.Figure:
    """Returns the series with its training part shaded: models learn on the left, are tested on the right."""
    fig = go.Figure()
    _truth(fig, series, name=title)
    fig.add_vrect(x0=0, x1=n_train - 0.5, fillcolor=TRAIN_SHADE, line_width=0, annotation_text="training part",
                  annotation_position="top left")
    base_layout(fig, f"{title}: the first {n_train} of {len(series)} points train, the rest test",
                "time step t", series.unit, height=300)
    fig.update_layout(showlegend=False)
    return fig


def fed_back_figure(series: Series, n_train: int, start: int, one_step: np.ndarray, rollout: np.ndarray,
                    label: str, did: str = "drifts away from the data") -> go.Figure:
    """Returns d2l's picture: one-step predictions track the truth; `did` says what the fed-back rollout did."""
    fig = go.Figure()
    _truth(fig, series)
    t = np.arange(len(series))
    _line(fig, t, one_step, f"1-step ahead ({label})", "#1f77b4", width=1.5)
    _line(fig, np.arange(start, start + len(rollout)), rollout, f"fed back from t={start} ({label})", "#d62728")
    fig.add_vrect(x0=start - 0.5, x1=len(series), fillcolor=FED_SHADE, line_width=0,
                  annotation_text="red line reads its own outputs", annotation_position="top left")
    fig.add_vline(x=n_train - 0.5, line_dash="dot", line_color="#888")
    base_layout(fig, f"One step ahead follows the data; fed its own outputs, the forecast {did}",
                "time step t", series.unit)
    return fig


def k_ahead_figure(series: Series, n_train: int, curves: Mapping[int, np.ndarray], label: str) -> go.Figure:
    """Returns k-step-ahead forecasts of every test point: the larger k, the more fed-back steps, the flatter."""
    fig = go.Figure()
    _truth(fig, series, lo=max(n_train - 50, 0))
    for i, (k, curve) in enumerate(sorted(curves.items())):
        t = np.arange(len(curve))
        ok = ~np.isnan(curve)
        _line(fig, t[ok], curve[ok], f"{k}-step ahead", K_COLORS[i % len(K_COLORS)], width=1.8)
    fig.add_vline(x=n_train - 0.5, line_dash="dot", line_color="#888", annotation_text="test starts")
    base_layout(fig, f"k-step-ahead forecasts ({label}): each point made from data k steps older, "
                "with k−1 of its own outputs fed back", "time step t (the time being predicted)", series.unit)
    return fig


def horizon_figure(errors: Mapping[str, pd.DataFrame], metric: str, floor: float | None = None,
                   marks: Sequence[int] = ()) -> go.Figure:
    """Returns error against horizon k per model: the curve's rise is the error that fed-back steps accumulate."""
    fig = go.Figure()
    for label, table in errors.items():
        fig.add_trace(go.Scatter(
            x=table["k"], y=table[metric], name=label, mode="lines+markers", marker=dict(size=4),
            line=dict(color=model_color(label), width=OWN_WIDTH if label.startswith("mine") else LINE_WIDTH),
            customdata=table["n"], hovertemplate=f"{label}<br>k=%{{x}}<br>{metric} %{{y:.4g}}"
                                                 "<br>over %{customdata} starts<extra></extra>"))
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dot", line_color=TRUTH,
                      annotation_text="noise variance: no forecast can beat this", annotation_position="bottom right")
    for k in marks:
        fig.add_vline(x=k, line_color="#ddd", line_width=1)
    base_layout(fig, f"{metric} against horizon: at k=1 only the model's one-step error, then it compounds",
                "horizon k (steps ahead; k−1 of them fed back)", METRIC_UNITS[metric])
    fig.update_yaxes(rangemode="tozero")
    return fig


def from_here_figure(series: Series, start: int, k: int, rollouts: Mapping[str, np.ndarray],
                     context: int = 60) -> go.Figure:
    """Returns the truth around a chosen start and each model's rollout from it, the fed-back region shaded."""
    fig = go.Figure()
    _truth(fig, series, lo=max(start - context, 0), hi=min(start + k + context // 3, len(series)))
    for label, y in rollouts.items():
        _line(fig, np.arange(start, start + len(y)), y, label, model_color(label),
              width=OWN_WIDTH if label.startswith("mine") else LINE_WIDTH)
    fig.add_vrect(x0=start - 0.5, x1=start + k - 0.5, fillcolor=FED_SHADE, line_width=0,
                  annotation_text=f"{k} steps fed back", annotation_position="top left")
    fig.add_vline(x=start - 0.5, line_color="#d62728", line_width=1)
    when = "" if series.labels[start].isdigit() else f" ({series.labels[start]})"  # dates help; a bare index does not
    base_layout(fig, f"Forecast from t={start}{when}: every step after the first reads the model's own output",
                "time step t", series.unit)
    return fig


def probe_figure(probe: pd.DataFrame, tau: int, label: str) -> go.Figure:
    """Returns R² of reading x_{t+k} off the last tau values vs off the hidden state h_t, against k."""
    fig = go.Figure()
    names = {"window": (f"the last {tau} values (what the MLP sees)", CELL_COLORS["mlp"]),
             "hidden": (f"the hidden state h_t of {label}", model_color(label))}
    for source, (name, color) in names.items():
        part = probe[probe["source"] == source]
        fig.add_trace(go.Scatter(x=part["k"], y=part["R2"], name=name, mode="lines+markers", line=dict(color=color),
                                 hovertemplate=f"{name}<br>k=%{{x}}<br>R² %{{y:.3f}}<extra></extra>"))
    fig.add_hline(y=0, line_color="#bbb")
    base_layout(fig, "How far ahead can a straight-line readout see? From the window vs from the hidden state",
                "k (predicting x at t+k from what was read up to t)", "test R² (1 = perfect, 0 = the mean)")
    fig.update_yaxes(range=[min(-0.2, float(probe["R2"].min()) - 0.05) if len(probe) else -0.2, 1.0])
    return fig
