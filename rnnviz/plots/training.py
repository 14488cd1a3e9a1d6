"""Figures for live training: loss, gradient norm with clipping, a forecaster's fit, run comparison, a state heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots.downsample import downsample_indices
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


def loss_figure(history: Sequence[StepMetrics], task: str, diverged: str | None = None) -> go.Figure:
    """Returns the loss per step, with perplexity (language model) or accuracy (classifier) on a second axis."""
    second = {"lm": ("perplexity", "perplexity (exp of loss)"), "sentiment": ("accuracy", "minibatch accuracy")}.get(task)
    idx = downsample_indices([m.loss for m in history], LIVE_POINTS)
    steps = _column(history, idx, "step")
    traces = [go.Scatter(x=steps, y=_column(history, idx, "loss"), name="training loss", mode="lines",
                         line=dict(color=LOSS_COLOR), hovertemplate="step %{x}<br>loss %{y:.4f}<extra></extra>")]
    extra = {}
    if second is not None:
        values = np.array([np.nan if v is None else v for v in (getattr(history[i], second[0]) for i in idx)], dtype=float)
        traces.append(go.Scatter(x=steps, y=values, name=second[1], mode="lines", line=dict(color=SECOND_COLOR, dash="dot"),
                                 hovertemplate=f"step %{{x}}<br>{second[0]} %{{y:.3f}}<extra></extra>", yaxis="y2"))
        extra["yaxis2"] = dict(title=dict(text=second[1]), overlaying="y", side="right", rangemode="tozero",
                               showgrid=False, tickformat=".3~g")
    if diverged and history:
        extra["annotations"] = [dict(x=history[-1].step, y=history[-1].loss, text="diverged here", showarrow=True,
                                     arrowcolor=CLIP_COLOR, font=dict(color=CLIP_COLOR))]
    loss_name = {"lm": "cross-entropy (nats per character)", "forecast": "mean squared error (scaled units²)",
                 "sentiment": "cross-entropy (nats)"}.get(task, "loss")
    title = "Loss per step: it should fall" if history else "Loss per step (press Start to train)"
    layout = live_layout(title, "training step", loss_name, **extra)
    layout["yaxis"]["rangemode"] = "tozero"
    return go.Figure(traces, layout)


def grad_norm_figure(history: Sequence[StepMetrics], clip: float | None) -> go.Figure:
    """Returns the global gradient norm per step before and after clipping (log scale), clipped steps marked."""
    idx = downsample_indices([m.grad_norm for m in history], LIVE_POINTS)
    steps = _column(history, idx, "step")
    traces = [
        go.Scatter(x=steps, y=_column(history, idx, "grad_norm"), name="before clipping", mode="lines",
                   line=dict(color="#7f7f7f"), hovertemplate="step %{x}<br>‖g‖ %{y:.3g}<extra></extra>"),
        go.Scatter(x=steps, y=_column(history, idx, "applied_norm"), name="after clipping (applied)", mode="lines",
                   line=dict(color=LOSS_COLOR), hovertemplate="step %{x}<br>applied ‖g‖ %{y:.3g}<extra></extra>"),
    ]
    clipped = [i for i in idx if history[i].clipped]
    if clipped:
        traces.append(go.Scatter(x=[history[i].step for i in clipped], y=[history[i].grad_norm for i in clipped],
                                 name=f"clipped steps ({sum(m.clipped for m in history)})", mode="markers",
                                 marker=dict(symbol="x", color=CLIP_COLOR, size=7),
                                 hovertemplate="step %{x}<br>‖g‖ %{y:.3g} was clipped<extra></extra>"))
    if clip is not None and history:
        traces.append(go.Scatter(x=[steps[0], steps[-1]], y=[clip, clip], name=f"threshold θ = {clip:g}", mode="lines",
                                 line=dict(color=CLIP_COLOR, dash="dash", width=1), hoverinfo="skip"))
    title = "Gradient norm per step: clipping caps it at θ" if clip is not None else \
        "Gradient norm per step (no clipping)"
    layout = live_layout(title, "training step", "global gradient norm ‖g‖ (log scale)")
    layout["yaxis"].update(log_axis([m.grad_norm for m in history] + [m.applied_norm for m in history]
                                    + ([clip] if clip is not None else [])))
    return go.Figure(traces, layout)


def fit_figure(values: np.ndarray, preds: np.ndarray, n_train: int, labels: Sequence[str], unit: str,
               step: int) -> go.Figure:
    """Returns the series and the model's one-step-ahead prediction, with the train/test cut marked."""
    x = np.arange(len(values))
    hover = [f"t={i} ({labels[i]})" if i < len(labels) else f"t={i}" for i in x]
    traces = [
        go.Scatter(x=x, y=values, name="data", mode="lines", line=dict(color=TRUTH, width=1), text=hover,
                   hovertemplate="%{text}<br>value %{y:.3f}<extra></extra>"),
        go.Scatter(x=x, y=preds, name="one-step prediction", mode="lines", line=dict(color=LOSS_COLOR), text=hover,
                   hovertemplate="%{text}<br>predicted %{y:.3f}<extra></extra>"),
    ]
    cut = n_train - 0.5
    return go.Figure(traces, live_layout(
        f"One-step-ahead fit after {step} steps (blue: predicted from the true past)", "time step t",
        f"value ({unit})" if unit else "value",
        shapes=[dict(type="line", x0=cut, x1=cut, y0=0, y1=1, yref="paper", line=dict(color="#999", dash="dash"))],
        annotations=[dict(x=cut, y=1, yref="paper", text="training | test", showarrow=False, yanchor="bottom")]))


FEW_STEPS = 30  # runs this short are drawn with markers, so one or two steps still show


def compare_figure(curves: dict[str, Sequence[StepMetrics]]) -> go.Figure:
    """Returns the loss curves of several runs on one axis, so two settings can be compared."""
    traces = []
    for k, (name, history) in enumerate(curves.items()):
        idx = thin(len(history))
        traces.append(go.Scatter(x=_column(history, idx, "step"), y=_column(history, idx, "loss"), name=name,
                                 mode="lines+markers" if len(history) <= FEW_STEPS else "lines",  # 1 step: a point
                                 line=dict(color=COMPARE_COLORS[k % len(COMPARE_COLORS)]),
                                 hovertemplate=f"{name}<br>step %{{x}}<br>loss %{{y:.4f}}<extra></extra>"))
    return go.Figure(traces, live_layout("Your runs side by side: which setting learns faster, which blows up?",
                                         "training step", "training loss", height=320))


def state_heatmap(h: np.ndarray, inputs: np.ndarray, steps: np.ndarray | None = None) -> go.Figure:
    """Returns a heatmap of hidden states h (T, H) at time steps `steps`: units down, time across, centred on 0."""
    T, H = h.shape
    t = np.arange(T) if steps is None else np.asarray(steps)
    x_in = np.broadcast_to(inputs, (H, T))  # the input read at each column, for the hover
    heat = go.Heatmap(z=h.T, x=t, y=np.arange(H), colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1,
                               customdata=x_in, colorbar=dict(title="h"),
                               hovertemplate="t=%{x}, input x=%{customdata:.3f}<br>unit %{y}: h=%{z:.3f}<extra></extra>")
    return go.Figure([heat], live_layout("Inside the RNN: each row is one hidden unit's state h_t as the sine is read",
                                         "time step t", "hidden unit", height=300))
