"""The cell at work: one step drawn as dataflow with the real numbers, and every gate vector of that step."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.cellwork import LINEAR, SIGMOID, CellAtWork
from rnnviz.plots.style import FONT, base_layout

# Where each box sits (x, y) on a 10 x 6 canvas, and which boxes feed it, per cell type. The names are the
# replay's states plus the step's inputs ('x', 'h_prev', 'c_prev').
LAYOUTS: dict[str, tuple[dict[str, tuple[float, float]], tuple[tuple[str, str], ...]]] = {
    "gated_update": ({"x": (0.8, 0.9), "h_prev": (0.8, 5.1), "r": (3.2, 4.0), "z": (3.2, 2.5), "rh": (5.0, 2.6),
                      "n": (6.3, 1.0), "keep": (6.5, 4.8), "write": (7.9, 2.6), "h": (9.5, 3.7)},
                     (("x", "r"), ("h_prev", "r"), ("x", "z"), ("h_prev", "z"), ("r", "rh"), ("h_prev", "rh"),
                      ("rh", "n"), ("x", "n"), ("h_prev", "keep"), ("z", "keep"), ("z", "write"), ("n", "write"),
                      ("keep", "h"), ("write", "h"))),
    "cell_state": ({"x": (0.8, 0.7), "h_prev": (0.8, 2.6), "c_prev": (0.8, 5.2), "f": (3.4, 4.6), "i": (3.4, 3.3),
                    "g": (3.4, 2.0), "o": (3.4, 0.7), "fc": (5.5, 5.0), "ig": (5.5, 2.7), "c": (7.3, 4.0),
                    "h": (9.5, 1.6)},
                   (("x", "f"), ("h_prev", "f"), ("x", "i"), ("h_prev", "i"), ("x", "g"), ("h_prev", "g"),
                    ("x", "o"), ("h_prev", "o"), ("c_prev", "fc"), ("f", "fc"), ("i", "ig"), ("g", "ig"),
                    ("fc", "c"), ("ig", "c"), ("c", "h"), ("o", "h"))),
    "plain": ({"x": (0.8, 1.2), "h_prev": (0.8, 4.8), "pre": (4.6, 3.0), "h": (8.6, 3.0)},
              (("x", "pre"), ("h_prev", "pre"), ("pre", "h"))),
}
PRODUCTS = frozenset({"rh", "keep", "write", "fc", "ig"})  # drawn as circles: an elementwise product
BOX_W, BOX_H, RADIUS = 1.8, 0.95, 0.62


def _half_width(name: str) -> float:
    return RADIUS if name in PRODUCTS else BOX_W / 2


def _layout_for(cell: str) -> str:
    spec = SPECS[cell]
    return "cell_state" if spec.has_cell_state else "gated_update" if spec.gated else "plain"


def _colour(kind: str, value: float) -> str:
    """Returns a fill colour: sigmoid gates from purple (0) to yellow (1); others blue (-) to red (+)."""
    if kind == SIGMOID:
        v = float(np.clip(value, 0, 1))
        lo, hi = np.array([68, 1, 84]), np.array([253, 231, 37])
    else:
        v = float(np.clip((np.tanh(value) + 1) / 2, 0, 1))
        lo, hi = np.array([33, 102, 172]), np.array([178, 24, 43])
        mid = np.array([247, 247, 247])
        rgb = lo + (mid - lo) * (v / 0.5) if v < 0.5 else mid + (hi - mid) * ((v - 0.5) / 0.5)
        return "rgb({},{},{})".format(*rgb.astype(int))
    rgb = lo + (hi - lo) * v
    return "rgb({},{},{})".format(*rgb.astype(int))


def plain_formula(latex: str) -> str:
    """Returns a box's filled-in formula as plain text for hover labels (no LaTeX renderer there)."""
    out = latex
    for a, b in ((r"\sigma", "σ"), (r"\tanh", "tanh"), (r"\mathrm{ReLU}", "ReLU"), (r"\cdot", "·"),
                 ("_{t-1}", "₍ₜ₋₁₎"), ("_t", "ₜ"), ("{", ""), ("}", "")):
        out = out.replace(a, b)
    return out


def diagram(work: CellAtWork, x_norm: float | None = None, h_prev: float | None = None,
            c_prev: float | None = None, token: str | None = None) -> go.Figure:
    """Returns the dataflow of one step: a box per input and gate, coloured and labelled with its value.

    The inputs' values default to the step's own (work.x_norm, work.h_prev, work.c_prev); token is the character
    (or word) read at t: with it the x_t box names it, and for a token id read by lookup shows its W_ih column's norm.
    """
    x_norm = work.x_norm if x_norm is None else x_norm
    h_prev = work.h_prev if h_prev is None else h_prev
    c_prev = work.c_prev if c_prev is None else c_prev
    positions, edges = LAYOUTS[_layout_for(work.cell)]
    values = {b.name: b for b in work.boxes}
    fig = go.Figure()
    for src, dst in edges:
        (x0, y0), (x1, y1) = positions[src], positions[dst]
        fig.add_annotation(x=x1 - _half_width(dst), y=y1, ax=x0 + _half_width(src), ay=y0, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=1.4,
                           arrowcolor="#888", text="")
    hover_x, hover_y, hover_text = [], [], []
    for name, (cx, cy) in positions.items():
        if name in values:
            box = values[name]
            fill, value, detail = _colour(box.activation, box.value), box.value, plain_formula(box.latex)
        else:
            value = {"x": x_norm, "h_prev": h_prev, "c_prev": c_prev}[name]
            fill, detail = "#eeeeee", t(f"cellwork.input_note.{name}")
        w, h = (RADIUS, RADIUS * 0.9) if name in PRODUCTS else (BOX_W / 2, BOX_H / 2)
        fig.add_shape(type="circle" if name in PRODUCTS else "rect", x0=cx - w, x1=cx + w, y0=cy - h, y1=cy + h,
                      fillcolor=fill, line=dict(color="#333", width=1.5 if name == "h" else 1), layer="below")
        dark = name in values and (values[name].activation == SIGMOID and values[name].value < 0.55)
        title = t(f"cellwork.box.{name}")
        if name == "x" and token is not None:
            title = t("cellwork.box.x_lookup" if work.token is not None else "cellwork.box.x_token", token=token)
        fig.add_annotation(x=cx, y=cy, text=f"<b>{title}</b><br>{value:.3f}", showarrow=False,
                           font=dict(size=10 if name in PRODUCTS else 12, color="white" if dark else "#111"))
        hover_x.append(cx)
        hover_y.append(cy)
        hover_text.append(detail)
    fig.add_trace(go.Scatter(x=hover_x, y=hover_y, mode="markers", marker=dict(size=40, opacity=0),
                             hovertext=hover_text, hoverinfo="text", showlegend=False))
    label = SPECS[work.cell].label
    base_layout(fig, t("cellwork.diagram_title", cell=label, step=work.t, unit=work.unit, layer=work.layer + 1), "", "",
                height=440)
    fig.update_xaxes(visible=False, range=[-0.2, 10.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.1, 6.0], fixedrange=True, scaleanchor=None)
    fig.update_layout(plot_bgcolor="white", margin=dict(l=10, r=10, t=60, b=10))
    return fig


def vectors(work: CellAtWork) -> go.Figure:
    """Returns one small bar chart per gate vector of the step (every unit), the chosen unit outlined."""
    names = [n for n in SPECS[work.cell].states if n in work.vectors]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[t(f"cellwork.box.{n}") for n in names],
                        horizontal_spacing=0.03)
    for col, name in enumerate(names, start=1):
        v = work.vectors[name]
        kind = next((b.activation for b in work.boxes if b.name == name), LINEAR)
        colours = [_colour(kind, float(u)) for u in v]
        widths = [2.5 if u == work.unit else 0 for u in range(len(v))]
        fig.add_trace(go.Bar(x=np.arange(len(v)), y=v, marker=dict(color=colours, line=dict(color="#000", width=widths)),
                             showlegend=False, hovertemplate=t("cellwork.vector_hover") + "<extra></extra>"),
                      row=1, col=col)
        fig.update_yaxes(range=[0, 1] if kind == SIGMOID else None, row=1, col=col, showticklabels=col == 1)
        fig.update_xaxes(showticklabels=False, row=1, col=col)
    fig.update_layout(title=dict(text=t("cellwork.vectors_title", step=work.t, unit=work.unit), x=0.0), height=230,
                      font=FONT, margin=dict(l=40, r=10, t=70, b=20), bargap=0.05)
    return fig
