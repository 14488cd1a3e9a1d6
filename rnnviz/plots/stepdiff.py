"""Figures of one training step: a gate before / after / difference, and how far each weight tensor moved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.catalog import t
from rnnviz.plots.gates import LABELS, SIGMOID
from rnnviz.plots.states import hover_tokens, time_axis, time_title
from rnnviz.plots.style import DIVERGING, SEQUENTIAL, base_layout


def step_gate_figure(before: np.ndarray, after: np.ndarray, name: str, tokens: Sequence[str], step: int,
                     max_units: int = 32) -> go.Figure:
    """Returns three stacked units x time heatmaps of one gate (T, H): before the step, after it, and after - before.

    Sigmoid gates share a fixed 0..1 scale, tanh quantities -1..1; the difference is diverging around 0,
    scaled to its own largest magnitude (one step moves gates only a little).
    """
    total = before.shape[1]
    before, after = before[:, :max_units], after[:, :max_units]  # (T, H')
    diff = after - before
    units = np.arange(before.shape[1])
    span = float(max(np.abs(diff).max(), 1e-9))
    label = LABELS.get(name, name)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=[t("training_lab.stepdiff.before", gate=label, step=step),
                                        t("training_lab.stepdiff.after", gate=label, step=step),
                                        t("training_lab.stepdiff.difference", span=f"{span:.2g}")])
    hover = hover_tokens(tokens, len(units))
    short = max(map(len, tokens), default=0) <= 2  # characters fit one per tick; values and words do not
    for row, (values, axis) in enumerate(((before, "coloraxis"), (after, "coloraxis"), (diff, "coloraxis2")), 1):
        fig.add_trace(go.Heatmap(
            z=values.T, x=np.arange(len(tokens)), y=units, coloraxis=axis, customdata=hover,
            hovertemplate=t("training_lab.stepdiff.hover") + "<extra></extra>",
        ), row=row, col=1)
        fig.update_yaxes(title_text=t("training_lab.stepdiff.unit"), row=row, col=1)
        if short:
            time_axis(fig, tokens, row=row, col=1)
    gate_scale = (dict(colorscale=SEQUENTIAL, cmin=0, cmax=1) if name in SIGMOID
                  else dict(colorscale=DIVERGING, cmid=0, cmin=-1, cmax=1))
    fig.update_layout(
        coloraxis=dict(**gate_scale, colorbar=dict(title=name, y=0.68, len=0.6, thickness=12)),
        coloraxis2=dict(colorscale=DIVERGING, cmid=0, cmin=-span, cmax=span,
                        colorbar=dict(title="Δ", y=0.15, len=0.3, thickness=12)),
    )
    shown = t("training_lab.stepdiff.units_shown", last=len(units) - 1, total=total) if total > len(units) else ""
    base_layout(fig, t("training_lab.stepdiff.title", gate=label, shown=shown), "", "", height=560)
    fig.update_yaxes(title_text=t("training_lab.stepdiff.unit"))
    fig.update_xaxes(title_text=time_title(tokens) if short else t("training_lab.stepdiff.time_hover"), row=3, col=1)
    return fig


def weight_change_figure(change: Mapping[str, float], norm: Mapping[str, float]) -> go.Figure:
    """Returns horizontal bars of each weight tensor's relative change ||Δθ|| / ||θ|| in one step (from zero)."""
    names = list(change)
    rel = np.array([change[k] / max(norm[k], 1e-12) for k in names])
    fig = go.Figure(go.Bar(
        x=rel, y=names, orientation="h", marker_color="#1f77b4",
        customdata=np.stack([[change[k] for k in names], [norm[k] for k in names]], axis=1),
        hovertemplate="%{y}<br>||Δθ|| = %{customdata[0]:.3g}<br>||θ|| = %{customdata[1]:.3g}"
                      f"<br>{t('training_lab.stepdiff.relative')} %{{x:.3%}}<extra></extra>",
    ))
    base_layout(fig, t("training_lab.stepdiff.weights_title"), t("training_lab.stepdiff.weights_axis"), "",
                height=max(220, 28 * len(names) + 110))
    fig.update_xaxes(rangemode="tozero", tickformat=".1%", nticks=5)
    fig.update_yaxes(autorange="reversed")
    return fig
