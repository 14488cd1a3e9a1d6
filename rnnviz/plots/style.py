"""Palettes and shared layout: diverging for signed values, sequential 0..1 for gates, log for gradients."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import plotly.graph_objects as go

from rnnviz.cells import SPECS

DIVERGING = "RdBu_r"  # signed values (h, c, candidates), always centred on 0
SEQUENTIAL = "Viridis"  # sigmoid gates on a fixed 0..1 range
MLP_COLOR = "#7f7f7f"  # the forecasting lesson's autoregressive MLP, drawn beside the cells
CELL_COLORS = {name: spec.color for name, spec in SPECS.items()} | {"mlp": MLP_COLOR}
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


# One style for every log axis, so "5" can never mean 0.05 on one chart and 5 on the next: labels only at powers
# of ten written as 10⁻², 10⁻¹, 1, 10, 10², unlabelled minor ticks at 2..9 between them, and a range that starts
# and ends on a labelled power of ten, so no curve runs below the lowest label.
LOG_MAX_LABELS = 6  # more decades than this: label every 2nd (3rd, ...) power of ten
LOG_MINOR_DECADES = 4  # unlabelled 2..9 minor ticks only on axes this short; on longer ones they blur into a bar


def log_range(values: Iterable[float] | np.ndarray, max_labels: int = LOG_MAX_LABELS) -> tuple[int, int, int]:
    """Returns (lowest exponent, highest exponent, exponent step) of the labelled powers of ten around the values."""
    v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return -1, 1, 1
    lo, hi = math.floor(math.log10(v.min()) + 1e-9), math.ceil(math.log10(v.max()) - 1e-9)
    hi = max(hi, lo + 1)
    step = max(1, math.ceil((hi - lo) / max_labels))
    lo, hi = step * math.floor(lo / step), step * math.ceil(hi / step)
    return lo, hi, step


def log_axis(values: Iterable[float] | np.ndarray, max_labels: int = LOG_MAX_LABELS) -> dict:
    """Returns plotly axis settings for the shared log scale, its range fitted to whole decades around the values."""
    lo, hi, step = log_range(values, max_labels)
    short = step == 1 and hi - lo <= LOG_MINOR_DECADES
    minor = dict(ticks="outside", ticklen=3, dtick="D1", showgrid=False) if short else dict(ticks="")
    return dict(type="log", range=[lo, hi], autorange=False, tick0=0, dtick=step, exponentformat="power",
                showexponent="all", minorloglabels="none", minor=minor)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(k: int) -> str:
    """Returns 10^k as the shared log axis writes it: 1, 10, 10², 10⁻¹ (a live chart's labels, plots.vega)."""
    return "1" if k == 0 else "10" if k == 1 else "10" + str(k).translate(SUPERSCRIPT)


def is_shared_log_axis(axis: Mapping) -> bool:
    """Returns whether a figure's axis (its JSON dict) uses log_axis's settings: labels at powers of ten only."""
    dtick = axis.get("dtick")
    rng = axis.get("range")
    return (axis.get("type") == "log" and axis.get("exponentformat") == "power" and isinstance(dtick, int | float)
            and float(dtick).is_integer() and dtick >= 1 and axis.get("minorloglabels") == "none"
            and rng is not None and all(float(r) % dtick == 0 for r in rng))


OWN_COLOR = "#9467bd"  # the learner's own model, whatever its cell: never the colour of a default
OWN_WIDTH = 4.0  # and drawn thicker than the defaults
LINE_WIDTH = 2.0  # a default model's curve
