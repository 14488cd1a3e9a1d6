"""Figures for the recurrent matrix lesson: eigenvalues against the unit circle, state and gradient norms."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.plots.style import base_layout, log_axis

BEFORE, AFTER = "#9e9e9e", "#1f77b4"


def eigenvalue_plane(before: np.ndarray, after: np.ndarray, title: str) -> go.Figure:
    """Returns the eigenvalues of W_hh before and after training in the complex plane, with the unit circle."""
    theta = np.linspace(0, 2 * np.pi, 200)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.cos(theta), y=np.sin(theta), mode="lines", name=t("recurrent_matrix.eigen.circle"),
                             line=dict(color="#444", dash="dash"), hoverinfo="skip"))
    for name, eig, color in ((t("recurrent_matrix.eigen.before"), before, BEFORE),
                             (t("recurrent_matrix.eigen.after"), after, AFTER)):
        fig.add_trace(go.Scatter(
            x=eig.real, y=eig.imag, mode="markers", name=name, marker=dict(color=color, size=7, opacity=0.8),
            customdata=np.abs(eig),
            hovertemplate=t("recurrent_matrix.eigen.hover") + "<extra>" + name + "</extra>",
        ))
    lim = max(1.2, float(np.abs(np.concatenate([before, after])).max()) * 1.1)
    base_layout(fig, title, t("recurrent_matrix.eigen.x"), t("recurrent_matrix.eigen.y"), height=440)
    fig.update_xaxes(range=[-lim, lim], zeroline=True)
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", scaleratio=1, zeroline=True)
    return fig


def norms_over_time(before: np.ndarray, after: np.ndarray, tokens: Sequence[str], title: str, y_title: str,
                    log: bool) -> go.Figure:
    """Returns a per-step norm curve (e.g. ||h_t|| or ||dL/dh_t||) before and after training."""
    steps = np.arange(len(after))
    fig = go.Figure()
    for name, values, color in ((t("recurrent_matrix.eigen.before"), before, BEFORE),
                                (t("recurrent_matrix.eigen.after"), after, AFTER)):
        fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", name=name, line=dict(color=color),
                                 customdata=[html.escape(repr(tok), quote=False) for tok in tokens],
                                 hovertemplate=t("recurrent_matrix.norms.hover") + "<extra>" + name + "</extra>"))
    base_layout(fig, title, t("recurrent_matrix.norms.x"), y_title)
    if log:
        fig.update_yaxes(log_axis(np.concatenate([np.ravel(before), np.ravel(after)])))
    return fig
