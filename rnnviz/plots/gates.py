"""Figures of gates: per-gate heatmaps, one unit's gate timeline, memory/reset/saturation summaries, cell comparison."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS
from rnnviz.plots.states import hover_tokens, time_axis, time_title
from rnnviz.plots.style import CELL_COLORS, DIVERGING, SEQUENTIAL, base_layout

SIGMOID = frozenset({"r", "z", "i", "f", "o"})
QUANTITIES = ("r", "z", "n", "i", "f", "g", "o", "c", "h", "pre")  # what a trace records, by its symbol


class _Labels(Mapping[str, str]):
    """Each recorded quantity's name in the current learner's language ("reset r", "重置门 r"): cells.names.*."""

    def __getitem__(self, name: str) -> str:
        if name not in QUANTITIES:
            raise KeyError(name)
        return t(f"cells.names.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(QUANTITIES)

    def __len__(self) -> int:
        return len(QUANTITIES)


LABELS: Mapping[str, str] = _Labels()
GATE_COLORS = {"r": "#9467bd", "z": "#1f77b4", "i": "#2ca02c", "f": "#d62728", "o": "#ff7f0e",
               "n": "#8c564b", "g": "#8c564b", "c": "#17becf", "h": "#222222"}
BEFORE, AFTER = "#aaaaaa", "#1f77b4"


def _axis_for(name: str) -> str:
    if name in SIGMOID:
        return "coloraxis"  # sigmoid gates: fixed 0..1
    return "coloraxis3" if name == "c" else "coloraxis2"  # c is unbounded; n, g, h lie in [-1, 1]


def gate_heatmaps(values: Mapping[str, np.ndarray], tokens: Sequence[str], units: np.ndarray,
                  title: str) -> go.Figure:
    """Returns one units x timesteps heatmap per recorded quantity (T, H'), gates on 0..1, states centred on 0."""
    names = list(values)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[LABELS.get(n, n) for n in names])
    H = len(units)
    for row, name in enumerate(names, start=1):
        fig.add_trace(go.Heatmap(
            z=values[name].T, x=np.arange(len(tokens)), y=units, coloraxis=_axis_for(name), name=name,
            customdata=hover_tokens(tokens, H),
            hovertemplate="%{customdata}<br>" + t("hidden_states.charts.unit_hover") + "<br>" + name
                          + " = %{z:.3f}<extra></extra>",
        ), row=row, col=1)
    cmax = float(max(np.abs(values["c"]).max(), 1e-6)) if "c" in values else 1.0
    on = {axis: ", ".join(n for n in names if _axis_for(n) == axis) for axis in ("coloraxis", "coloraxis2")}
    fig.update_layout(  # each colour bar is titled with the quantities drawn in its colours, and only those
        coloraxis=dict(colorscale=SEQUENTIAL, cmin=0, cmax=1,
                       colorbar=dict(title=t("gates.charts.gates_bar", names=on["coloraxis"]).strip(), y=0.8, len=0.4,
                                     thickness=12)),
        coloraxis2=dict(colorscale=DIVERGING, cmid=0, cmin=-1, cmax=1,
                        colorbar=dict(title=on["coloraxis2"] or t("gates.charts.state"), y=0.3, len=0.4, thickness=12)),
        coloraxis3=dict(colorscale=DIVERGING, cmid=0, cmin=-cmax, cmax=cmax,
                        colorbar=dict(title="c", y=0.3, len=0.4, x=1.1, thickness=12)),
    )
    base_layout(fig, title, "", "", height=170 * len(names) + 80)
    fig.update_yaxes(title_text=t("gates.charts.unit"))
    fig.update_xaxes(title_text=time_title(tokens), row=len(names), col=1)
    time_axis(fig, tokens)
    return fig


def gate_timeline(values: Mapping[str, np.ndarray], tokens: Sequence[str], unit: int) -> go.Figure:
    """Returns one unit's gates (top, 0..1) and its candidate and state (bottom, signed) over time; values (T,)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.5, 0.5],
                        subplot_titles=[t("gates.charts.timeline_gates"), t("gates.charts.timeline_states")])
    hover = [f"t={t} '{'␣' if tok == ' ' else tok}'" for t, tok in enumerate(tokens)]
    for name, v in values.items():
        fig.add_trace(go.Scatter(
            x=np.arange(len(tokens)), y=v, mode="lines", name=LABELS.get(name, name), customdata=hover,
            line=dict(color=GATE_COLORS.get(name), width=2.5 if name in ("h", "c") else 1.8),
            hovertemplate="%{customdata}<br>" + name + " = %{y:.3f}<extra></extra>",
        ), row=1 if name in SIGMOID else 2, col=1)
    base_layout(fig, t("gates.charts.timeline_title", unit=unit), "", "", height=540)
    fig.update_xaxes(title_text=time_title(tokens), row=2, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], title_text=t("gates.charts.gate_value"), row=1, col=1)
    fig.update_yaxes(title_text=t("gates.charts.value"), row=2, col=1)
    time_axis(fig, tokens, row=1, col=1)
    time_axis(fig, tokens, row=2, col=1)
    fig.update_layout(legend=dict(orientation="h", y=-0.15))
    return fig


def memory_bars(after: pd.DataFrame, before: pd.DataFrame, gate: str, top: int = 15) -> go.Figure:
    """Returns the units with the longest keep-gate stretches after training, next to the same units before."""
    best = after.head(top)
    prior = before.set_index("unit").loc[best["unit"]]
    x = [str(u) for u in best["unit"]]
    fig = go.Figure([
        go.Bar(x=x, y=prior["longest_run"], name=t("hidden_states.charts.before"), marker_color=BEFORE),
        go.Bar(x=x, y=best["longest_run"], name=t("hidden_states.charts.after"), marker_color=AFTER,
               customdata=best["mean_keep"],
               hovertemplate=t("gates.charts.memory_hover", gate=gate) + "<extra></extra>"),
    ])
    base_layout(fig, t("gates.charts.memory_title", gate=gate), t("gates.charts.memory_x"),
                t("gates.charts.memory_y"), height=360)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    return fig


def reset_bars(resets: pd.DataFrame, gate: str, boundaries: str, top: int = 12) -> go.Figure:
    """Returns, for the units whose keep gate drops most at the boundaries (spaces, turning points, clause words),
    its mean there and elsewhere (0..1)."""
    best = resets.head(top)
    x = [str(u) for u in best["unit"]]
    fig = go.Figure([
        go.Bar(x=x, y=best["elsewhere"], name=t("gates.charts.reset_elsewhere", gate=gate), marker_color="#2ca02c"),
        go.Bar(x=x, y=best["at_mask"], name=t("gates.charts.reset_at", gate=gate, where=boundaries),
               marker_color="#d62728"),
    ])
    base_layout(fig, t("gates.charts.reset_title", gate=gate, where=boundaries), t("gates.charts.reset_x"),
                t("gates.charts.reset_y", gate=gate), height=360)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1])
    return fig


def saturation_bars(after: pd.DataFrame, before: pd.DataFrame) -> go.Figure:
    """Returns the fraction of saturated values per gate (within 0.05 of 0 or 1), before and after training."""
    gates = after[after["sigmoid"]]
    prior = before.set_index("quantity").loc[gates["quantity"]]
    x = [LABELS[q] for q in gates["quantity"]]
    fig = go.Figure([
        go.Bar(x=x, y=prior["saturated"], name=t("hidden_states.charts.before"), marker_color=BEFORE),
        go.Bar(x=x, y=gates["saturated"], name=t("hidden_states.charts.after"), marker_color=AFTER),
    ])
    base_layout(fig, t("gates.charts.saturated_title"), t("gates.charts.gate"), t("gates.charts.saturated_y"),
                height=360)
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 1])
    return fig


def cell_comparison(states: Mapping[str, np.ndarray], tokens: Sequence[str]) -> go.Figure:
    """Returns the h heatmaps (T, H) of several cells on the same input, stacked on one shared -1..1 scale."""
    cells = list(states)
    fig = make_subplots(rows=len(cells), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[f"{CELL_LABELS.get(c, c)}: h" for c in cells])
    for row, cell in enumerate(cells, start=1):
        h = states[cell]
        fig.add_trace(go.Heatmap(
            z=h.T, x=np.arange(len(tokens)), y=np.arange(h.shape[1]), coloraxis="coloraxis", name=cell,
            customdata=hover_tokens(tokens, h.shape[1]),
            hovertemplate="%{customdata}<br>" + t("hidden_states.charts.unit_hover") + "<br>h = %{z:.3f}<extra></extra>",
        ), row=row, col=1)
    fig.update_layout(coloraxis=dict(colorscale=DIVERGING, cmid=0, cmin=-1, cmax=1,
                                     colorbar=dict(title="h", thickness=12)))
    base_layout(fig, t("gates.charts.compare_title"), "", "", height=220 * len(cells) + 60)
    fig.update_yaxes(title_text=t("gates.charts.unit"))
    fig.update_xaxes(title_text=time_title(tokens), row=len(cells), col=1)
    time_axis(fig, tokens)
    return fig


def textbook_gap(gap: np.ndarray, tokens: Sequence[str]) -> go.Figure:
    """Returns max |h_torch - h_textbook| per step: how far the two GRU formulas drift on this model."""
    hover = [f"t={t} '{'␣' if tok == ' ' else tok}'" for t, tok in enumerate(tokens)]
    fig = go.Figure(go.Scatter(x=np.arange(len(gap)), y=gap, mode="lines", line=dict(color=CELL_COLORS["gru"]),
                               customdata=hover, name=t("gates.charts.gap"),
                               hovertemplate="%{customdata}<br>max |Δh| = %{y:.3f}<extra></extra>"))
    base_layout(fig, t("gates.charts.textbook_title"),
                time_title(tokens), "max |h_torch − h_textbook|", height=300)
    fig.update_yaxes(rangemode="tozero")
    time_axis(fig, tokens)
    return fig
