"""Figures for architectures: the unrolled layers x time grid, look-ahead Jacobians, an encoder-decoder at work."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz import catalog
from rnnviz.plots.style import DIVERGING, TRUTH, base_layout, log_axis

ON, OFF, PICK, FUTURE = "#1f77b4", "#d9d9d9", "#d62728", "#ff7f0e"
NODE_PX = 38  # side of a square node in the dependency grid, in pixels
S2S_PX = 30  # the encoder-decoder diagram has twice the columns in half the width


def _arrow(fig: go.Figure, x0: float, y0: float, x1: float, y1: float, color: str, node_px: int | None = None) -> None:
    gap = (node_px or NODE_PX) // 2 + 3  # arrows stop short of the square nodes and their labels
    fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                       arrowhead=2, arrowsize=1.2, arrowwidth=1.6, arrowcolor=color, standoff=gap, startstandoff=gap)


def dependency_grid(mask: np.ndarray, layer: int, t: int, bidirectional: bool) -> go.Figure:
    """Returns the unrolled grid (inputs at the bottom, one row per layer) with the states that feed (layer, t) in blue."""
    rows, T = mask.shape
    lift = 0.13 if bidirectional else 0.0  # forward arrows above the nodes' centre, backward ones below
    fig = go.Figure()
    for k in range(1, rows):  # arrows: up from the layer below, along time within a layer
        for s in range(T):
            _arrow(fig, s, k - 1, s, k, ON if mask[k, s] else OFF)
            if s + 1 == T:
                continue
            fwd = s + 1 <= t if k == layer else bool(mask[k, s] and mask[k, s + 1])
            _arrow(fig, s, k + lift, s + 1, k + lift, ON if fwd else OFF)
            if bidirectional:
                back = s >= t if k == layer else k < layer
                _arrow(fig, s + 1, k - lift, s, k - lift, FUTURE if back else OFF)
    xs, ys = np.meshgrid(np.arange(T), np.arange(rows))
    labels = np.where(ys == 0, [[f"x<sub>{s + 1}</sub>" for s in range(T)]] * rows,
                      [[f"h<sub>{s + 1}</sub><sup>({k})</sup>" for s in range(T)] for k in range(rows)])
    colors = np.where(mask, ON, OFF).astype(object)
    colors[layer, t] = PICK
    fig.add_trace(go.Scatter(
        x=xs.ravel(), y=ys.ravel(), mode="markers+text", text=labels.ravel(), textposition="middle center",
        textfont=dict(size=12, color=np.where(colors == OFF, "#666666", "white").ravel().tolist()),
        marker=dict(size=NODE_PX, color=colors.ravel(), symbol="square"),
        hovertemplate="%{text}<extra></extra>", showlegend=False))
    base_layout(fig, catalog.t("architectures.plot.dep_title", step=t + 1, layer=layer)
                + (catalog.t("architectures.plot.dep_future") if bidirectional else ""),
                catalog.t("architectures.plot.time_step"), "", height=160 + 90 * rows)
    fig.update_xaxes(tickvals=list(range(T)), ticktext=[str(s + 1) for s in range(T)], range=[-0.6, T - 0.4])
    fig.update_yaxes(tickvals=list(range(rows)), ticktext=[catalog.t("architectures.plot.input_row")]
                     + [catalog.t("architectures.plot.layer_row", layer=k) for k in range(1, rows)],
                     range=[-0.6, rows - 0.4], title_text="")
    fig.update_layout(plot_bgcolor="white")
    return fig


def lookahead(uni: np.ndarray, bi: np.ndarray) -> go.Figure:
    """Returns ||d output_t / d x_s|| for a forward and a bidirectional RNN side by side.

    Zero above the diagonal means no look-ahead.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=[catalog.t("architectures.plot.look_forward"),
                                                        catalog.t("architectures.plot.look_bidirectional")],
                        horizontal_spacing=0.12)  # two-line titles: one line each overlapped at 1024 px
    zmax = float(max(uni.max(), bi.max()))
    T = uni.shape[0]
    for col, jac in ((1, uni), (2, bi)):
        fig.add_trace(go.Heatmap(z=jac, x=np.arange(1, T + 1), y=np.arange(1, T + 1), colorscale="Blues", zmin=0,
                                 zmax=zmax, showscale=col == 2, colorbar=dict(title="‖∂o_t/∂x_s‖", thickness=12),
                                 hovertemplate=catalog.t("architectures.plot.look_hover")
                                 + "<br>‖∂o_t/∂x_s‖ = %{z:.3f}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title_text=catalog.t("architectures.plot.input_position"), row=1, col=col)
        fig.update_yaxes(title_text=catalog.t("architectures.plot.output_position"), autorange="reversed", row=1, col=col)
    base_layout(fig, catalog.t("architectures.plot.look_title"), catalog.t("architectures.plot.input_position"),
                catalog.t("architectures.plot.output_position"), height=430)
    fig.update_layout(title=dict(y=0.98), margin=dict(t=105))
    return fig


def seq2seq_diagram(src: Sequence[int], dec_in: Sequence[str], tgt: Sequence[int], pred: Sequence[int] | None) -> go.Figure:
    """Returns the encoder reading the source, the context vector, and the decoder reading its shifted input.

    Outputs are green where they match the target and orange where they do not, so an untrained model's guesses
    never look right; the target is written above them.
    """
    L = len(src)
    fig = go.Figure()
    ctx_x = L + 0.25  # on the states' row, in the gap between encoder and decoder: it overlaps nothing
    enc_x, dec_x = np.arange(L), np.arange(L) + L + 1.5
    for s in range(L):
        _arrow(fig, enc_x[s], 0, enc_x[s], 1, TRUTH, S2S_PX)
        _arrow(fig, dec_x[s], 0, dec_x[s], 1, TRUTH, S2S_PX)
        _arrow(fig, dec_x[s], 1, dec_x[s], 2, TRUTH, S2S_PX)
        if s + 1 < L:
            _arrow(fig, enc_x[s], 1, enc_x[s + 1], 1, ON, S2S_PX)
            _arrow(fig, dec_x[s], 1, dec_x[s + 1], 1, ON, S2S_PX)
    _arrow(fig, enc_x[-1], 1, ctx_x, 1, PICK, S2S_PX)
    _arrow(fig, ctx_x, 1, dec_x[0], 1, PICK, S2S_PX)
    shown_in = ["bos" if v == "<bos>" else str(v) for v in dec_in]  # "<bos>" is wider than a node
    nodes = [(enc_x, [0] * L, [str(v) for v in src], "#7f7f7f", catalog.t("architectures.plot.source_token")),
             (enc_x, [1] * L, ["enc"] * L, ON, catalog.t("architectures.plot.encoder_state")),
             ([ctx_x], [1], ["c"], PICK, catalog.t("architectures.plot.context")),
             (dec_x, [0] * L, shown_in, "#7f7f7f", catalog.t("architectures.plot.decoder_input")),
             (dec_x, [1] * L, ["dec"] * L, ON, catalog.t("architectures.plot.decoder_state"))]
    if pred is None:
        nodes.append((dec_x, [2] * L, ["?"] * L, "#bbbbbb", catalog.t("architectures.plot.untrained")))
    else:
        right = np.array([int(p) == int(t) for p, t in zip(pred, tgt)], dtype=bool)
        for keep, color, name in ((right, "#2ca02c", catalog.t("architectures.plot.right")),
                                  (~right, "#ff7f0e", catalog.t("architectures.plot.wrong"))):
            if keep.any():
                nodes.append((dec_x[keep], [2] * int(keep.sum()), [str(p) for p, k in zip(pred, keep) if k], color,
                              name))
    for x, y, text, color, name in nodes:
        fig.add_trace(go.Scatter(x=list(x), y=y, mode="markers+text", text=text, name=name,
                                 marker=dict(size=S2S_PX, color=color, symbol="square"),
                                 textfont=dict(color="white", size=12), hovertemplate=name + ": %{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=list(dec_x), y=[2.62] * L, mode="text", text=[str(v) for v in tgt], showlegend=False,
                             textfont=dict(color=TRUTH, size=13), hovertemplate=catalog.t("architectures.plot.target")
                             + ": %{text}<extra></extra>"))
    fig.add_annotation(x=dec_x[0] - 0.55, y=2.62, showarrow=False, text=catalog.t("architectures.plot.target"),
                       xanchor="right", font=dict(color=TRUTH, size=12))
    base_layout(fig, catalog.t("architectures.plot.s2s_title"), "", "", height=420)
    fig.update_xaxes(visible=False, range=[-0.7, dec_x[-1] + 0.7])
    fig.update_yaxes(visible=False, range=[-0.45, 2.9])
    fig.update_layout(plot_bgcolor="white", legend=dict(orientation="h", y=-0.05, font=dict(size=12)))
    return fig


def training_curve(losses: Sequence[float], accuracy: Sequence[tuple[int, float, float]]) -> go.Figure:
    """Returns the training loss per step (log axis) with held-out accuracies after each training burst."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=np.arange(1, len(losses) + 1), y=losses, mode="lines",
                             name=catalog.t("architectures.plot.loss"),
                             line=dict(color="#1f77b4")), secondary_y=False)
    if accuracy:
        steps, tok, seq = zip(*accuracy)
        fig.add_trace(go.Scatter(x=steps, y=tok, mode="lines+markers", name=catalog.t("architectures.plot.digits"),
                                 line=dict(color="#2ca02c")), secondary_y=True)
        fig.add_trace(go.Scatter(x=steps, y=seq, mode="lines+markers", name=catalog.t("architectures.plot.sequences"),
                                 line=dict(color="#ff7f0e")), secondary_y=True)
    base_layout(fig, catalog.t("architectures.plot.curve_title"), catalog.t("architectures.plot.step"),
                catalog.t("architectures.plot.cross_entropy"), height=360)
    fig.update_yaxes(log_axis(losses), secondary_y=False)
    fig.update_yaxes(title_text=catalog.t("architectures.plot.accuracy"),
                     type="linear", range=[0, 1.05], tickformat=".0%", dtick=0.25,
                     showgrid=False, secondary_y=True)
    return fig


def encoder_states(h: np.ndarray, src: Sequence[int]) -> go.Figure:
    """Returns the encoder's hidden state after each source token (units x steps), diverging around 0."""
    T, H = h.shape
    zmax = float(max(np.abs(h).max(), 1e-6))
    fig = go.Figure(go.Heatmap(z=h.T, x=[f"{t + 1}: {v}" for t, v in enumerate(src)], y=np.arange(H),
                               colorscale=DIVERGING, zmid=0, zmin=-zmax, zmax=zmax, colorbar=dict(title="h", thickness=12),
                               hovertemplate=catalog.t("architectures.plot.after_token") + "<br>"
                               + catalog.t("architectures.plot.unit") + "<br>h = %{z:.3f}<extra></extra>"))
    base_layout(fig, catalog.t("architectures.plot.enc_title"), catalog.t("architectures.plot.enc_x"),
                catalog.t("architectures.plot.hidden_unit"), height=420)
    return fig
