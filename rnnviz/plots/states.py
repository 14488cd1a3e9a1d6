"""Figures of hidden states: unit x time heatmaps, a unit's activation over the text, PCA paths, saturation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.plots.style import DIVERGING, base_layout

SPACE = "␣"  # a visible space, so word boundaries show on axes and in the coloured text
MAX_TICKS = 100  # characters that still fit one per tick on a wide chart
TIME_SCALE = "Plasma"  # time is an order, not a sign: a sequential scale different from the gates' Viridis


def show(tokens: Sequence[str]) -> list[str]:
    """Returns tokens with spaces made visible."""
    return [SPACE if t == " " else t for t in tokens]


MAX_LABEL_CHARS = 170  # characters of slanted word or value labels that still fit a wide chart


def _label_fit(tokens: Sequence[str]) -> str | None:
    """Returns 'chars' (one upright character per tick), 'words' (slanted labels) or None (too many to label)."""
    if all(len(t) <= 1 for t in tokens):
        return "chars" if len(tokens) <= MAX_TICKS else None
    return "words" if sum(len(t) + 1 for t in tokens) <= MAX_LABEL_CHARS else None


def time_axis(fig: go.Figure, tokens: Sequence[str], row: int | None = None, col: int | None = None) -> None:
    """Labels a timestep axis with the tokens when they fit (characters upright, words slanted), else numbers."""
    T, fit = len(tokens), _label_fit(tokens)
    if fit is not None:
        fig.update_xaxes(tickmode="array", tickvals=list(range(T)), ticktext=show(tokens),
                         tickangle=0 if fit == "chars" else -50, tickfont=dict(size=10), row=row, col=col)
    else:  # too many to read: numbers here, the token is in every hover and in the coloured text
        fig.update_xaxes(tickmode="auto", row=row, col=col)
    fig.update_xaxes(range=[-0.5, T - 0.5], row=row, col=col)


def time_title(tokens: Sequence[str]) -> str:
    """Returns the timestep axis title, pointing to the hover when the tokens do not fit on the axis."""
    fit = _label_fit(tokens)
    if fit == "chars":
        return t("hidden_states.charts.time_chars")
    return t("hidden_states.charts.time_words") if fit == "words" else t("hidden_states.charts.time_hover")


def hover_tokens(tokens: Sequence[str], H: int) -> np.ndarray:
    """Returns an (H, T) array of 't=.., token' strings for heatmap hovers."""
    row = [f"t={t} '{tok}'" for t, tok in enumerate(show(tokens))]
    return np.array([row] * H)


def state_heatmap(values: np.ndarray, tokens: Sequence[str], title: str, name: str = "h",
                  zmax: float | None = None) -> go.Figure:
    """Returns a units x timesteps heatmap of signed states (T, H), diverging and centred on 0."""
    T, H = values.shape
    zmax = float(zmax if zmax is not None else max(np.abs(values).max(), 1e-6))
    fig = go.Figure(go.Heatmap(
        z=values.T, x=np.arange(T), y=np.arange(H), colorscale=DIVERGING, zmid=0, zmin=-zmax, zmax=zmax,
        customdata=hover_tokens(tokens, H), colorbar=dict(title=name, thickness=12),
        hovertemplate="%{customdata}<br>" + t("hidden_states.charts.unit_hover") + "<br>" + name
                      + " = %{z:.3f}<extra></extra>", name=name,
    ))
    base_layout(fig, title, time_title(tokens), t("hidden_states.charts.hidden_unit"), height=min(260 + 3 * H, 620))
    time_axis(fig, tokens)
    fig.update_yaxes(range=[-0.5, H - 0.5], autorange=False)
    return fig


SELECTED = "#e6007e"  # the selected step, as rnnviz.ui.selection marks it in every chart


def unit_text(values: np.ndarray, tokens: Sequence[str], unit: int, per_line: int = 50,
              label: str = "h", selected: int | None = None) -> go.Figure:
    """Returns the input laid out in lines, each token (character, word or value) coloured by one unit's value (T,);
    the selected step's token is framed, bold and underlined."""
    T = len(tokens)
    rows = int(np.ceil(T / per_line))
    z = np.full((rows, per_line), np.nan)
    text = np.full((rows, per_line), "", dtype=object)
    hover = np.full((rows, per_line), "", dtype=object)
    for step, (tok, v) in enumerate(zip(show(tokens), values)):
        z[step // per_line, step % per_line] = v
        text[step // per_line, step % per_line] = tok
        hover[step // per_line, step % per_line] = f"t={step} '{tok}'"
    zmax = float(max(np.abs(values).max(), 1e-6))
    fig = go.Figure(go.Heatmap(
        z=z, text=text, customdata=hover, texttemplate="%{text}",
        textfont=dict(size=15 if max(map(len, tokens), default=1) <= 4 else 11, family="monospace"),
        colorscale=DIVERGING, zmid=0, zmin=-zmax, zmax=zmax, xgap=1, ygap=3,
        colorbar=dict(title=f"{label}[{unit}]", thickness=12),
        hovertemplate="%{customdata}<br>" + label + f"[{unit}]" + " = %{z:.3f}<extra></extra>",
    ))
    base_layout(fig, t("hidden_states.charts.unit_text_title", unit=unit), "", "", height=max(230, 120 + 34 * rows))
    fig.update_yaxes(autorange="reversed", showticklabels=False, title_text="")
    fig.update_xaxes(showticklabels=False, title_text="", range=[-0.5, per_line - 0.5])
    if selected is not None and 0 <= selected < T:
        row, col = divmod(selected, per_line)
        fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5, name="selection",
                      line=dict(color=SELECTED, width=3))
        fig.add_annotation(x=col, y=row, text=f"<b><u>{show(tokens)[selected]}</u></b>", showarrow=False,
                           font=dict(size=16, family="monospace", color="#111"), name="selection")
    return fig


def unit_ranking(ranking: pd.DataFrame, pattern: str, top: int = 12) -> go.Figure:
    """Returns a bar chart of the units whose activation correlates most with a pattern (Pearson r)."""
    best = ranking.head(top)
    fig = go.Figure(go.Bar(
        x=[t("hidden_states.charts.unit", unit=u) for u in best["unit"]], y=best["r"],
        marker_color=np.where(best["r"] >= 0, "#b2182b", "#2166ac"),
        hovertemplate="%{x}<br>r = %{y:.3f}<extra></extra>", name=t("hidden_states.charts.correlation"),
    ))
    base_layout(fig, t("hidden_states.charts.ranking_title", pattern=pattern),
                t("hidden_states.charts.unit_axis"), t("hidden_states.charts.ranking_y"), height=320)
    fig.update_yaxes(range=[-1, 1])
    return fig


def trajectory(coords: np.ndarray, tokens: Sequence[str], explained: np.ndarray,
               selected: int | None = None) -> go.Figure:
    """Returns the path of the hidden state in its top-2 PCA plane, coloured by time, labelled by token; the
    selected step's point is ringed."""
    T = len(tokens)
    label = show(tokens)
    fig = go.Figure([
        go.Scatter(x=coords[:, 0], y=coords[:, 1], mode="lines", line=dict(color="rgba(120,120,120,0.35)", width=1),
                   hoverinfo="skip", name=t("hidden_states.charts.path"), showlegend=False),
        go.Scatter(x=coords[:, 0], y=coords[:, 1], mode="markers+text" if T <= 120 else "markers",
                   text=label, textposition="top center", textfont=dict(size=11), name="h_t",
                   marker=dict(color=np.arange(T), colorscale=TIME_SCALE, size=8,
                               colorbar=dict(title=t("hidden_states.charts.timestep"), thickness=12)),
                   customdata=[f"t={t} '{tok}'" for t, tok in enumerate(label)],
                   hovertemplate="%{customdata}<br>PC1 %{x:.2f}, PC2 %{y:.2f}<extra></extra>"),
    ])
    base_layout(fig, t("hidden_states.charts.path_title", share=explained.sum()),
                t("hidden_states.charts.pc_axis", pc=1, share=explained[0]),
                t("hidden_states.charts.pc_axis", pc=2, share=explained[1]), height=480)
    if selected is not None and 0 <= selected < T:
        fig.add_trace(go.Scatter(x=[coords[selected, 0]], y=[coords[selected, 1]], mode="markers",
                                 marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color=SELECTED, width=3)),
                                 name=t("hidden_states.charts.selected", step=selected), hoverinfo="skip",
                                 showlegend=False))
        fig.update_layout(showlegend=False)  # a third trace would otherwise bring a legend of one entry
    return fig


def saturation_histogram(after: np.ndarray, before: np.ndarray, name: str = "h") -> go.Figure:
    """Returns overlaid histograms of |values| on [0, 1] for the trained and the untrained model (|v| > 1 counts as 1)."""
    before, after = np.clip(np.abs(before), 0, 1), np.clip(np.abs(after), 0, 1)  # ReLU states are unbounded
    bins = dict(start=0.0, end=1.0 + 1e-9, size=0.05)
    fig = go.Figure([
        go.Histogram(x=before.ravel(), xbins=bins, histnorm="percent", name=t("hidden_states.charts.before"),
                     marker_color="#999999", opacity=0.6),
        go.Histogram(x=after.ravel(), xbins=bins, histnorm="percent", name=t("hidden_states.charts.after"),
                     marker_color="#1f77b4", opacity=0.6),
    ])
    base_layout(fig, t("hidden_states.charts.saturation_title", name=name),
                t("hidden_states.charts.saturation_x", name=name), t("hidden_states.charts.saturation_y"), height=340)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(range=[0, 1])
    return fig


def clickable_cells(fig: go.Figure) -> go.Figure:
    """Returns fig with an invisible, hoverable point on every cell of each heatmap, so a click selects the cell.

    Plotly selects points of scatter traces only: a click on a heatmap cell selects nothing in the browser, and
    Streamlit reads a chart's clicks as selections. The points carry the heatmap's own hover text and value, so
    the hover reads as before; customdata is (x, hover text, value): a click reads the step from it first.
    """
    for trace in list(fig.data):
        if trace.type != "heatmap" or trace.z is None:
            continue
        z = np.asarray(trace.z, dtype=float)
        rows, cols = z.shape
        xs = np.asarray(trace.x) if trace.x is not None else np.arange(cols)
        ys = np.asarray(trace.y) if trace.y is not None else np.arange(rows)
        yy, xx = np.meshgrid(ys, xs, indexing="ij")
        kept = ~np.isnan(z)
        hover = np.asarray(trace.customdata, dtype=object) if trace.customdata is not None else np.full(z.shape, "")
        template = (trace.hovertemplate or "%{z:.3f}").replace("%{customdata}", "%{customdata[1]}") \
            .replace("%{z", "%{customdata[2]")
        fig.add_trace(go.Scattergl(
            x=xx[kept], y=yy[kept], mode="markers", marker=dict(size=6, opacity=0), showlegend=False,
            customdata=np.stack([xx[kept], hover[kept], np.round(z[kept], 4)], axis=-1), hovertemplate=template,
            name="cells", xaxis=trace.xaxis, yaxis=trace.yaxis))  # not a legend entry: hover says <extra></extra>
    return fig
