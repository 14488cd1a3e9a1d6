"""Palettes and shared layout: diverging for signed values, sequential 0..1 for gates, log for gradients."""

from __future__ import annotations

import plotly.graph_objects as go

DIVERGING = "RdBu_r"  # signed values (h, c, candidates), always centred on 0
SEQUENTIAL = "Viridis"  # sigmoid gates on a fixed 0..1 range
CELL_COLORS = {"rnn_tanh": "#d62728", "rnn_relu": "#ff7f0e", "gru": "#1f77b4", "lstm": "#2ca02c", "mlp": "#7f7f7f"}
TRUTH = "#444444"
FONT = dict(family="Inter, Segoe UI, sans-serif", size=14)  # readable on a classroom projector


def base_layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 380) -> go.Figure:
    """Returns fig with rnnviz's common layout: title, axis titles with units, compact margins."""
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left"), height=height, font=FONT,
        margin=dict(l=60, r=20, t=50, b=50), hovermode="closest", legend=dict(orientation="h", y=-0.2),
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig
