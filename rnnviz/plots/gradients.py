"""Figures for gradients through time: ||dL/dh_t|| per architecture, spectral radius, memory task, clipping, truncation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.catalog import t
from rnnviz.plots.style import CELL_COLORS, LINE_WIDTH, OWN_COLOR, OWN_WIDTH, base_layout, log_axis
from rnnviz.plots.training import CLIP_COLOR, thin
from rnnviz.train import StepMetrics

RUN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def line_for(label: str, dash: str = "solid", own: str | None = None) -> dict:
    """Returns the line style of a model's curve: the learner's own model (named `own`) stands out."""
    mine = own is not None and label == own
    return dict(color=color_for(label, own), dash=dash, width=OWN_WIDTH if mine else LINE_WIDTH)


def color_for(label: str, own: str | None = None) -> str:
    """Returns the house colour of a cell named in label (e.g. 'default GRU' -> the GRU blue), else purple.

    The learner's own model (the curve named `own`) is always purple, whatever its cell, so it never
    looks like the default of the same cell.
    """
    if own is not None and label == own:
        return OWN_COLOR
    for cell, name in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn_relu", "ReLU"), ("rnn_tanh", "RNN")):
        if name in label:
            return CELL_COLORS[cell]
    return OWN_COLOR


def _positive(values: np.ndarray) -> np.ndarray:
    """Returns values with zeros as NaN: on a log axis a zero gradient is a gap, not -infinity."""
    out = np.asarray(values, dtype=float).copy()
    out[out <= 0] = np.nan
    return out


def _hover(tokens: Sequence[str] | None, T: int) -> list[str]:
    return [t("gradients.plot.reads", step=s, token=repr(tokens[s])) if tokens is not None and s < len(tokens)
            else f"t={s}" for s in range(T)]


def grads_by_layer(after: Mapping[str, np.ndarray], before: Mapping[str, np.ndarray], tokens: Sequence[str] | None,
                   title: str, y_title: str | None = None, x_title: str | None = None,
                   own: str | None = None) -> go.Figure:
    """Returns per-step norms (L, T) of several models, one panel per layer: solid trained, dotted at initialisation.

    `own` names the learner's model among the curves: drawn purple and thicker.
    """
    layers = max(v.shape[0] for v in after.values())
    fig = make_subplots(rows=layers, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[t("gradients.plot.layer", layer=k + 1) for k in range(layers)]
                        if layers > 1 else None)
    states = ((t("gradients.plot.trained"), "solid", after), (t("gradients.plot.initial"), "dot", before))
    for label, values in after.items():
        T = values.shape[1]
        for k in range(values.shape[0]):
            for when, dash, curves in states:
                name = t("gradients.plot.series", label=label, when=when)
                fig.add_trace(go.Scatter(
                    x=np.arange(T), y=_positive(curves[label][k]), mode="lines", name=name,
                    legendgroup=label, showlegend=k == 0, line=line_for(label, dash, own),
                    text=_hover(tokens, T), hovertemplate="%{text}<br>%{y:.3g}<extra>" + f"{name}</extra>",
                ), row=k + 1, col=1)
    base_layout(fig, title, x_title or t("gradients.plot.timestep"), y_title or t("gradients.plot.grads_y"),
                height=300 + 160 * layers)
    fig.update_yaxes(log_axis(np.concatenate([np.ravel(v) for d in (after, before) for v in d.values()])))
    return fig


def curves_over_time(curves: Mapping[str, np.ndarray], tokens: Sequence[str] | None, title: str, y_title: str,
                     x_title: str | None = None, height: int = 380, own: str | None = None) -> go.Figure:
    """Returns one log-scale line per model of a per-step quantity (T,), coloured by architecture (`own`: purple)."""
    fig = go.Figure()
    for label, values in curves.items():
        T = len(values)
        fig.add_trace(go.Scatter(x=np.arange(T), y=_positive(values), mode="lines", name=label,
                                 line=line_for(label, own=own), text=_hover(tokens, T),
                                 hovertemplate="%{text}<br>%{y:.3g}<extra>" + label + "</extra>"))
    base_layout(fig, title, x_title or t("gradients.plot.timestep"), y_title, height=height)
    fig.update_yaxes(log_axis(np.concatenate([np.ravel(v) for v in curves.values()]) if curves else []))
    return fig


def recurrence_figure(linear: np.ndarray, tanh: np.ndarray, radius: float, size: int) -> go.Figure:
    """Returns ||h_t|| of h_t = A h_{t-1} and of h_t = tanh(A h_{t-1}) over t (log scale), with tanh's ceiling."""
    steps = np.arange(len(linear))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=linear, mode="lines", name=t("gradients.plot.linear"),
                             line=dict(color="#d62728"), hovertemplate="t=%{x}<br>‖h_t‖ = %{y:.3g}<extra>"
                             + t("gradients.plot.linear_short") + "</extra>"))
    fig.add_trace(go.Scatter(x=steps, y=tanh, mode="lines", name=t("gradients.plot.tanh"),
                             line=dict(color="#1f77b4"), hovertemplate="t=%{x}<br>‖h_t‖ = %{y:.3g}<extra>tanh</extra>"))
    fig.add_hline(y=size**0.5, line=dict(color="#777", dash="dash", width=1),
                  annotation_text=t("gradients.plot.ceiling", size=size), annotation_position="bottom right")
    verdict = "explodes" if radius > 1.005 else "collapses" if radius < 0.995 else "hovers"
    base_layout(fig, t(f"gradients.plot.{verdict}", radius=radius), t("gradients.plot.step"),
                t("gradients.plot.norm_y"))
    fig.update_yaxes(log_axis(np.concatenate([np.ravel(linear), np.ravel(tanh), [size**0.5]])))
    return fig


def radius_grads_figure(curves: Mapping[float, np.ndarray], chosen: float) -> go.Figure:
    """Returns ||dL/dh_t|| of fresh RNNs at several spectral radii of W_hh, the chosen one highlighted."""
    fig = go.Figure()
    for radius, values in sorted(curves.items()):
        mine = abs(radius - chosen) < 1e-9
        T = len(values)
        fig.add_trace(go.Scatter(
            x=np.arange(T), y=_positive(values), mode="lines",
            name=t("gradients.plot.radius_yours" if mine else "gradients.plot.radius_name", radius=radius),
            line=dict(color="#d62728" if mine else "#bbbbbb", width=3 if mine else 1.5),
            hovertemplate=t("gradients.plot.radius_hover", radius=radius)
            + "<br>t=%{x}<br>‖∂L/∂h_t‖ = %{y:.3g}<extra></extra>",
        ))
    base_layout(fig, t("gradients.plot.radius_title"), t("gradients.plot.radius_x"), t("gradients.plot.grads_y"))
    fig.update_layout(height=440, legend=dict(y=-0.3))
    fig.update_yaxes(log_axis(np.concatenate([np.ravel(v) for v in curves.values()]) if curves else []))
    return fig


def memory_accuracy_figure(results: Mapping[tuple[str, int], float], chance: float) -> go.Figure:
    """Returns held-out accuracy against the delay k, one line per (architecture) label, with the chance level."""
    fig = go.Figure()
    for label in dict.fromkeys(name for name, _ in results):
        delays = sorted(k for name, k in results if name == label)
        dash = "dot" if label.startswith("LSTM") and label.endswith("= 0") else "solid"  # the LSTM at torch's own init
        fig.add_trace(go.Scatter(x=delays, y=[results[(label, k)] for k in delays], mode="lines+markers", name=label,
                                 line=dict(color=color_for(label), dash=dash),
                                 hovertemplate=f"{label}<br>" + t("gradients.plot.distractors", delays="%{x}")
                                 + "<br>" + t("gradients.plot.accuracy", accuracy="%{y:.0%}") + "<extra></extra>"))
    fig.add_hline(y=chance, line=dict(color="#777", dash="dash", width=1),
                  annotation_text=t("gradients.plot.chance", chance=chance), annotation_position="bottom right")
    base_layout(fig, t("gradients.plot.memory_title"), t("gradients.plot.memory_x"), t("gradients.plot.memory_y"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return fig


def losses_figure(histories: Mapping[str, Sequence[StepMetrics]], title: str,
                  seconds: Mapping[str, Sequence[float]] | None = None,
                  diverged: Mapping[str, str | None] | None = None) -> go.Figure:
    """Returns the loss of several runs against the step (or against training seconds), divergence marked."""
    fig = go.Figure()
    for k, (label, history) in enumerate(histories.items()):
        idx = thin(len(history))
        x = np.array([history[i].step for i in idx]) if seconds is None else np.asarray(seconds[label], float)[idx]
        y = np.array([history[i].loss for i in idx], dtype=float)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, line=dict(color=RUN_COLORS[k % len(RUN_COLORS)]),
                                 hovertemplate=label + "<br>%{x:.3g}<br>" + t("gradients.plot.loss", loss="%{y:.4f}")
                                 + "<extra></extra>"))
        if diverged and diverged.get(label) and len(history):
            # left of the cross: the last point sits on the right edge, often at the top, where centred text is cut
            fig.add_trace(go.Scatter(x=[x[-1]], y=[y[-1]], mode="markers+text",
                                     text=[t("gradients.plot.diverged", label=label)],
                                     textposition="middle left", cliponaxis=False, textfont=dict(color=CLIP_COLOR),
                                     marker=dict(symbol="x", size=12, color=CLIP_COLOR), showlegend=False,
                                     hovertemplate=t("gradients.plot.diverged_hover", label=label) + "<extra></extra>"))
    x_title = t("gradients.plot.loss_x_steps" if seconds is None else "gradients.plot.loss_x_seconds")
    base_layout(fig, title, x_title, t("gradients.plot.loss_y"), height=340)
    fig.update_yaxes(rangemode="tozero")
    return fig


def reach_figure(curves: Mapping[str, np.ndarray], tokens: Sequence[str] | None, title: str,
                 cuts: Mapping[str, int | None] | None = None) -> go.Figure:
    """Returns ||dL/dh_t|| under several truncation lengths, one panel per run on a shared time axis.

    Panels rather than overlaid lines: where two runs both reach a step their values coincide exactly (same
    weights), so overlaid curves would hide each other. Steps the gradient never reaches are shaded grey and
    chunk boundaries (every `cuts[name]` steps from the start) are dashed lines.
    """
    names = list(curves)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=names)
    for row, name in enumerate(names, start=1):
        values = np.asarray(curves[name], dtype=float)
        T = len(values)
        fig.add_trace(go.Scatter(
            x=np.arange(T), y=_positive(values), mode="lines", name=name, showlegend=False,
            line=dict(color=RUN_COLORS[(row - 1) % len(RUN_COLORS)], width=2), text=_hover(tokens, T),
            hovertemplate="%{text}<br>‖∂L/∂h_t‖ = %{y:.3g}<extra>" + name + "</extra>"), row=row, col=1)
        unreached = np.flatnonzero(~(values > 0))
        if len(unreached):  # one grey band over the steps that get no gradient at all
            fig.add_vrect(x0=unreached[0] - 0.5, x1=unreached[-1] + 0.5, fillcolor="#bbbbbb", opacity=0.35,
                          line_width=0, row=row, col=1, annotation_text=t("gradients.plot.unreached"),
                          annotation_position="top left", annotation_font_size=11)
        k = (cuts or {}).get(name)
        for boundary in range(k, T, k) if k else ():
            fig.add_vline(x=boundary - 0.5, line_dash="dash", line_color="#555555", line_width=1, row=row, col=1)
    base_layout(fig, title, "", "‖∂L/∂h_t‖", height=170 + 150 * len(names))
    fig.update_xaxes(title_text=t("gradients.plot.reach_x"), row=len(names), col=1)
    values = np.concatenate([np.ravel(v) for v in curves.values()]) if curves else []
    fig.update_yaxes(log_axis(values, max_labels=4))  # panels ~150 px tall: four labels, not eight
    for row in range(2, len(names) + 1):  # one scale for all panels: the same values, only cut short
        fig.update_yaxes(matches="y", row=row, col=1)
    return fig
