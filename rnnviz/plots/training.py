"""Figures for live training: loss, gradient norm with clipping, a forecaster's fit, run comparison, a state heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.plots.downsample import downsample_indices
from rnnviz.plots.fit import fit_layout
from rnnviz.plots.style import DIVERGING, FONT, TRUTH, log_axis
from rnnviz.train import StepMetrics

MAX_POINTS = 600  # per line: keeps every refresh's figure small however long the run
LIVE_POINTS = 300  # per line of the loss and gradient charts, redrawn on every refresh: min/max per bucket keeps spikes
LOSS_COLOR, SECOND_COLOR, CLIP_COLOR = "#1f77b4", "#ff7f0e", "#d62728"
COMPARE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def live_layout(title: str, x_title: str, y_title: str, height: int = 340, **extra) -> dict:
    """Returns base_layout's look as one layout dict: a figure built in one go costs a fraction of update_* calls.

    These figures are rebuilt on every refresh of every student's page, so their cost adds up.
    """
    return dict(title=dict(text=title, x=0.0, xanchor="left"), height=height, font=FONT,
                margin=dict(l=60, r=20, t=50, b=50), hovermode="closest", legend=dict(orientation="h", y=-0.2),
                xaxis=dict(title=dict(text=x_title)), yaxis=dict(title=dict(text=y_title)), **extra)


def thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Returns indices of at most max_points evenly spread items out of n, always keeping the last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.append(np.linspace(0, n - 1, max_points).astype(int), n - 1))


def _column(history: Sequence[StepMetrics], idx: np.ndarray, name: str) -> np.ndarray:
    return np.array([getattr(history[i], name) for i in idx], dtype=float)


def _parts(traces: list[dict], layout: dict) -> dict:
    """Returns the plain dict of a figure of scatter traces and a layout, fitted to narrow screens as it is built."""
    return dict(data=[dict(tr, type="scatter") for tr in traces], layout=fit_layout(layout, traces))


def loss_figure(history: Sequence[StepMetrics], task: str, diverged: str | None = None) -> go.Figure:
    """Returns the loss per step, with perplexity (language model) or accuracy (classifier) on a second axis."""
    return go.Figure(loss_parts(history, task, diverged))


def grad_norm_figure(history: Sequence[StepMetrics], clip: float | None) -> go.Figure:
    """Returns the global gradient norm per step before and after clipping (log scale), clipped steps marked."""
    return go.Figure(grad_norm_parts(history, clip))


def loss_parts(history: Sequence[StepMetrics], task: str, diverged: str | None = None) -> dict:
    """Returns loss_figure as the plain dict it is built from: a live chart (plots.vega) reads it at every
    refresh without building the figure."""
    second = {"lm": "perplexity", "sentiment": "accuracy"}.get(task)
    idx = downsample_indices([m.loss for m in history], LIVE_POINTS)
    steps = _column(history, idx, "step")
    step, loss = t("training_lab.charts.step"), t("training_lab.charts.loss")
    traces = [dict(x=steps, y=_column(history, idx, "loss"), name=t("training_lab.charts.training_loss"),
                   mode="lines", line=dict(color=LOSS_COLOR),
                   hovertemplate=f"{step} %{{x}}<br>{loss} %{{y:.4f}}<extra></extra>")]
    extra = {}
    if second is not None:
        values = np.array([np.nan if v is None else v for v in (getattr(history[i], second) for i in idx)], dtype=float)
        name, short = t(f"training_lab.charts.second.{second}"), t(f"training_lab.charts.short.{second}")
        traces.append(dict(x=steps, y=values, name=name, mode="lines", line=dict(color=SECOND_COLOR, dash="dot"),
                           hovertemplate=f"{step} %{{x}}<br>{short} %{{y:.3f}}<extra></extra>", yaxis="y2"))
        extra["yaxis2"] = dict(title=dict(text=name), overlaying="y", side="right", rangemode="tozero",
                               showgrid=False, tickformat=".3~g")
    if diverged and history:
        extra["annotations"] = [dict(x=history[-1].step, y=history[-1].loss, text=t("training_lab.charts.diverged_here"),
                                     showarrow=True, arrowcolor=CLIP_COLOR, font=dict(color=CLIP_COLOR))]
    loss_name = t(f"training_lab.charts.loss_axis.{task}") if task in ("lm", "forecast", "sentiment") else loss
    title = t("training_lab.charts.loss_title") if history else t("training_lab.charts.loss_title_empty")
    layout = live_layout(title, t("training_lab.charts.training_step"), loss_name, **extra)
    layout["yaxis"]["rangemode"] = "tozero"
    return _parts(traces, layout)


def grad_norm_parts(history: Sequence[StepMetrics], clip: float | None) -> dict:
    """Returns grad_norm_figure as the plain dict it is built from (see loss_parts)."""
    idx = downsample_indices([m.grad_norm for m in history], LIVE_POINTS)
    steps, step = _column(history, idx, "step"), t("training_lab.charts.step")
    traces = [
        dict(x=steps, y=_column(history, idx, "grad_norm"), name=t("training_lab.charts.before_clipping"),
             mode="lines", line=dict(color="#7f7f7f"), hovertemplate=f"{step} %{{x}}<br>‖g‖ %{{y:.3g}}<extra></extra>"),
        dict(x=steps, y=_column(history, idx, "applied_norm"), name=t("training_lab.charts.after_clipping"),
             mode="lines", line=dict(color=LOSS_COLOR),
             hovertemplate=f"{step} %{{x}}<br>{t('training_lab.charts.applied')} ‖g‖ %{{y:.3g}}<extra></extra>"),
    ]
    clipped = [i for i in idx if history[i].clipped]
    if clipped:
        traces.append(dict(x=[history[i].step for i in clipped], y=[history[i].grad_norm for i in clipped],
                           name=t("training_lab.charts.clipped_steps"),  # counted beside the chart: a live chart's
                           # words stay the same from refresh to refresh, so it is updated in place (plots.vega)
                           mode="markers", marker=dict(symbol="x", color=CLIP_COLOR, size=7),
                           hovertemplate=f"{step} %{{x}}<br>{t('training_lab.charts.was_clipped')}<extra></extra>"))
    if clip is not None and history:
        traces.append(dict(x=[steps[0], steps[-1]], y=[clip, clip], mode="lines",
                           name=t("training_lab.charts.threshold", clip=f"{clip:g}"),
                           line=dict(color=CLIP_COLOR, dash="dash", width=1), hoverinfo="skip"))
    title = t("training_lab.charts.grad_title") if clip is not None else t("training_lab.charts.grad_title_off")
    layout = live_layout(title, t("training_lab.charts.training_step"), t("training_lab.charts.grad_axis"))
    layout["yaxis"].update(log_axis([m.grad_norm for m in history] + [m.applied_norm for m in history]
                                    + ([clip] if clip is not None else [])))
    return _parts(traces, layout)


def fit_figure(values: np.ndarray, preds: np.ndarray, n_train: int, labels: Sequence[str], unit: str) -> go.Figure:
    """Returns the series and the model's one-step-ahead prediction, with the train/test cut marked.

    Its words name no step: the page's progress bar does, and a live chart whose words stay the same is updated in
    place (plots.vega) instead of drawn anew at every refresh."""
    x = np.arange(len(values))
    hover = [f"t={i} ({labels[i]})" if i < len(labels) else f"t={i}" for i in x]
    value, predicted = t("training_lab.charts.value"), t("training_lab.charts.predicted")
    traces = [
        go.Scatter(x=x, y=values, name=t("training_lab.charts.data"), mode="lines", line=dict(color=TRUTH, width=1),
                   text=hover, hovertemplate=f"%{{text}}<br>{value} %{{y:.3f}}<extra></extra>"),
        go.Scatter(x=x, y=preds, name=t("training_lab.charts.one_step"), mode="lines", line=dict(color=LOSS_COLOR),
                   text=hover, hovertemplate=f"%{{text}}<br>{predicted} %{{y:.3f}}<extra></extra>"),
    ]
    cut = n_train - 0.5
    return go.Figure(traces, live_layout(
        t("training_lab.charts.fit_title"), t("training_lab.charts.time_step"),
        t("training_lab.charts.value_unit", unit=unit) if unit else value,
        shapes=[dict(type="line", x0=cut, x1=cut, y0=0, y1=1, yref="paper", line=dict(color="#999", dash="dash"))],
        annotations=[dict(x=cut, y=1, yref="paper", text=t("training_lab.charts.cut"), showarrow=False,
                          yanchor="bottom")]))


FEW_STEPS = 30  # runs this short are drawn with markers, so one or two steps still show


def compare_figure(curves: dict[str, Sequence[StepMetrics]]) -> go.Figure:
    """Returns the loss curves of several runs on one axis, so two settings can be compared."""
    traces, step, loss = [], t("training_lab.charts.step"), t("training_lab.charts.loss")
    for k, (name, history) in enumerate(curves.items()):
        idx = thin(len(history))
        traces.append(go.Scatter(x=_column(history, idx, "step"), y=_column(history, idx, "loss"), name=name,
                                 mode="lines+markers" if len(history) <= FEW_STEPS else "lines",  # 1 step: a point
                                 line=dict(color=COMPARE_COLORS[k % len(COMPARE_COLORS)]),
                                 hovertemplate=f"{name}<br>{step} %{{x}}<br>{loss} %{{y:.4f}}<extra></extra>"))
    return go.Figure(traces, live_layout(t("training_lab.charts.compare_title"), t("training_lab.charts.training_step"),
                                         t("training_lab.charts.training_loss"), height=320))


def state_heatmap(h: np.ndarray, inputs: np.ndarray, steps: np.ndarray | None = None) -> go.Figure:
    """Returns a heatmap of hidden states h (T, H) at time steps `steps`: units down, time across, centred on 0."""
    T, H = h.shape
    when = np.arange(T) if steps is None else np.asarray(steps)  # not `t`: that is the catalogue's
    x_in = np.broadcast_to(inputs, (H, T))  # the input read at each column, for the hover
    heat = go.Heatmap(z=h.T, x=when, y=np.arange(H), colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1,
                               customdata=x_in, colorbar=dict(title="h"),
                               hovertemplate=t("training_lab.charts.heat_hover") + "<extra></extra>")
    return go.Figure([heat], live_layout(t("training_lab.charts.heat_title"), t("training_lab.charts.time_step"),
                                         t("training_lab.charts.hidden_unit"), height=300))
