"""A live line chart drawn with Vega-Lite: the same Plotly figure, redrawn in place at every refresh.

Streamlit 1.67 gives a Plotly chart an id made from its figure, and its page mounts a new chart whenever the id
changes. A chart redrawn with new data every half second therefore went blank for 20-180 ms at every refresh
(Plotly draws the new one from scratch): on a projector the lab's loss and gradient charts flashed twice a second.
A Vega-Lite chart keeps its place and takes new data in place. So the figure builders stay the one home of what a
chart shows (Plotly figures, tested as such), and the charts a fragment redraws while a run trains are
translated here: scatter traces (lines, markers, labels, a second y axis), the shared log axis, category axes,
titles, lines across the plot and notes. What the translation does not know (a heatmap, panels) it refuses, so
nothing is dropped silently.

In place only while the spec stays the same: a live figure's words (title, legend) must not change from refresh
to refresh (no step count in a title), or Vega builds the chart anew each time, which costs the page its frames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.plots.figdict import FigureDict, Part, axis, words
from rnnviz.plots.fit import AXIS_TITLE_CHARS, title_lines
from rnnviz.plots.style import power_label

LEGEND_TWO_PX = 420  # a plot narrower than this lists its legend one entry a row
MIN_PLOT_PX = 160  # the plot area's height however many title lines and legend rows the figure made room for
DASHES = {"dot": [2, 3], "dash": [6, 4], "longdash": [10, 4], "dashdot": [6, 3, 2, 3]}
SHAPES = {"x": "M-1,-1L1,1M-1,1L1,-1", "x-thin": "M-1,-1L1,1M-1,1L1,-1", "circle": "circle", "square": "square",
          "diamond": "diamond", "cross": "cross", "triangle-up": "triangle-up"}
DEFAULT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def to_vega(fig: go.Figure | Mapping) -> tuple[pd.DataFrame, dict]:
    """Returns (data, Vega-Lite spec) drawing the figure's scatter traces, axes, title, vertical lines and notes.

    fig is a Plotly figure, or the plain dict one is built from ({"data": [...], "layout": {...}}: the lab's live
    figures, which skip building the figure at every refresh). One long table holds every trace's points
    (columns x, y, trace, and text where a trace has words of its own). Raises ValueError for a trace type the
    translation does not draw.
    """
    fig = FigureDict(fig)
    layout = fig.layout
    xs, ys, ids, texts, layers = [], [], [], [], {"y": [], "y2": []}
    categories = _categories(fig)
    names = [(words(tr.name), _color(tr, i)) for i, tr in enumerate(fig.data) if _in_legend(fig, tr)]
    legend = _legend(names)
    x_enc = _x_encoding(axis(layout, "xaxis"), categories)
    y_enc = {name: _y_encoding(axis(layout, name), right=name == "yaxis2") for name in ("yaxis", "yaxis2")}
    for i, tr in enumerate(fig.data):
        if (tr.type or "scatter") != "scatter":
            raise ValueError(f"a live chart draws scatter traces only, not {tr.type}")
        if tr.xaxis not in (None, "x") or tr.yaxis not in (None, "y", "y2"):
            raise ValueError(f"a live chart has one plot (and a second y axis), not {tr.xaxis}/{tr.yaxis}")
        y = _floats(tr.y)
        x = np.asarray([str(v) for v in _xs(tr)], dtype=object) if categories is not None else _floats(tr.x)
        n = min(len(x), len(y))
        xs.append(x[:n])
        ys.append(y[:n])
        ids.append(np.full(n, i))
        words_of = [words(str(v)) for v in tr.text][:n] if _has_text(tr) else []
        texts.append(words_of + [None] * (n - len(words_of)))
        y_of = y_enc["yaxis2" if tr.yaxis == "y2" else "yaxis"]
        layers["y2" if tr.yaxis == "y2" else "y"] += _trace_layers(fig, tr, i, legend, x_enc, y_of)
    x, y = (np.concatenate(part) if part else np.zeros(0) for part in (xs, ys))
    y = np.where(np.isfinite(y), y, np.nan)  # inf or NaN: a gap, not a broken scale
    if categories is None:
        x = np.where(np.isfinite(x), x, np.nan)
    data = pd.DataFrame({"x": x, "y": y, "trace": np.concatenate(ids) if ids else np.zeros(0, dtype=int)})
    if any(t is not None for part in texts for t in part):
        data["text"] = pd.Series([t for part in texts for t in part], dtype=object)
    main = {"layer": layers["y"] + _shapes(layout) + _notes(layout)}
    if layers["y2"]:
        layer = [main, {"layer": layers["y2"]}]
        spec_layers = {"layer": layer, "resolve": {"scale": {"y": "independent"}}}
    else:
        spec_layers = main
    title = title_lines(layout.title.text)
    top, bottom = (50 if m is None else m for m in (layout.margin.t, layout.margin.b))
    plot_px = (layout.height or 450) - top - bottom
    spec = {
        "title": {"text": title if any(title) else "", "anchor": "start", "frame": "bounds", "limit": 0, "fontSize": 15,
                  "fontWeight": 600},
        "height": max(int(plot_px), MIN_PLOT_PX),
        "autosize": {"type": "fit-x", "contains": "padding"},  # the width fits the column; the height is the plot's
        **spec_layers,
        "config": {"axis": {"labelFontSize": 13, "titleFontSize": 13}, "legend": {"labelFontSize": 13}},
    }
    return data, spec


def _categories(fig: FigureDict) -> list[str] | None:
    """Returns the x axis's categories in their order when it has categories (the board's cells), else None."""
    ax = axis(fig.layout, "xaxis")
    if ax.type != "category" and not any(_textual(_xs(tr)) for tr in fig.data):
        return None
    order = [str(v) for v in ax.categoryarray or ()]
    seen = [str(v) for tr in fig.data for v in _xs(tr)]
    return order + [v for v in dict.fromkeys(seen) if v not in order]


def _xs(tr) -> Sequence:
    return () if tr.x is None else tr.x


def _textual(values: Sequence) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "OUS" and any(isinstance(v, str) for v in values)
    return any(isinstance(v, str) for v in values)


def _has_text(tr) -> bool:
    return tr.text is not None and not isinstance(tr.text, str)


def _floats(values) -> np.ndarray:
    return np.asarray([] if values is None else values, dtype=float).ravel()


def _in_legend(fig: FigureDict, tr: Part) -> bool:
    return bool(tr.name) and tr.showlegend is not False and fig.layout.showlegend is not False and (
        len(fig.data) > 1 or fig.layout.showlegend is True)


def _color(tr, i: int) -> str:
    line = tr.line.color
    marker = tr.marker.color if isinstance(tr.marker.color, str) else None
    return (marker if tr.mode == "markers" else line) or line or marker or DEFAULT_COLORS[i % len(DEFAULT_COLORS)]


def _legend(names: Sequence[tuple[str, str]]) -> dict:
    """Returns the colour scale that names the traces in one legend above the plot (two per row)."""
    return {"scale": {"domain": [n for n, _ in names], "range": [c for _, c in names]},
            "legend": {"orient": "top", "direction": "horizontal", "title": None, "symbolStrokeWidth": 3,
                       # two entries a row where the plot is wide enough, else one (a phone, a half-width projector)
                       "columns": {"expr": f"width < {LEGEND_TWO_PX} ? 1 : {min(2, max(len(names), 1))}"},
                       "labelLimit": {"expr": "max(width + 40, 120)"}}}  # over the plot and its right axis


def _axis(ax, zero: bool) -> dict:
    """Returns a Vega-Lite position channel's scale and axis for a Plotly axis (the shared log axis included)."""
    enc: dict = {"axis": {"title": words(ax.title.text) or None}, "scale": {"zero": zero}}
    if ax.type == "log":
        lo, hi = (int(round(r)) for r in ax.range) if ax.range is not None else (-1, 1)
        step = int(ax.dtick) if isinstance(ax.dtick, int | float) and ax.dtick >= 1 else 1
        powers = list(range(lo, hi + 1, step))
        enc["scale"] = {"type": "log", "domain": [10.0 ** lo, 10.0 ** hi], "zero": False}
        # Labels only at the powers of ten, written 10⁻¹, 1, 10 (style.log_axis): a chain of thresholds halfway
        # between neighbouring labels in log space.
        expr = repr(power_label(powers[-1]))
        for k in reversed(powers[:-1]):
            expr = f"datum.value < {10.0 ** (k + step / 2):.6g} ? {power_label(k)!r} : {expr}"
        enc["axis"].update(values=[10.0 ** k for k in powers], labelExpr=expr)
    elif ax.range is not None:
        enc["scale"]["domain"] = list(ax.range)
    return enc


def _y_format(tr) -> str | None:
    """Returns the d3 format of the trace's hover value (%{y:.4f} gives .4f), if it gives one."""
    tpl = tr.hovertemplate or ""
    at = tpl.find("%{y:")
    return tpl[at + 4:tpl.index("}", at)] if at >= 0 and "}" in tpl[at:] else None


def _trace_layers(fig: FigureDict, tr: Part, i: int, legend: dict, x: dict, y: dict) -> list[dict]:
    """Returns the trace's layer, and a layer of its labels when its mode writes text beside the points."""
    layer = _trace_layer(fig, tr, i, legend, x, y)
    if "text" not in (tr.mode or "") or not _has_text(tr):
        return [layer]
    where = tr.textposition if isinstance(tr.textposition, str) else "middle center"
    vertical, _, horizontal = where.partition(" ")
    if horizontal == "left" and x["type"] == "quantitative" and _left_half(fig, tr):
        # a label left of a point near the y axis would run over the axis: above and to the right of it instead
        vertical, horizontal = "top", "right"
    mark = {"type": "text", "fontSize": 13, "fontWeight": 600, "color": tr.textfont.color or _color(tr, i),
            "align": {"left": "right", "right": "left"}.get(horizontal, "center"),
            "dx": {"left": -10, "right": 10}.get(horizontal, 0), "dy": {"top": -10, "bottom": 10}.get(vertical, 0),
            "baseline": {"top": "bottom", "bottom": "top"}.get(vertical, "middle")}
    enc = {"x": x, "y": y, "text": {"field": "text", "type": "nominal"}}
    return [layer, {"transform": layer["transform"], "mark": mark, "encoding": enc}]


def _left_half(fig: FigureDict, tr: Part) -> bool:
    """Returns whether all the trace's points lie in the left half of the figure's x range."""
    xs = np.concatenate([_floats(t.x) for t in fig.data] or [np.zeros(0)])
    xs, own = xs[np.isfinite(xs)], _floats(tr.x)
    own = own[np.isfinite(own)]
    return bool(xs.size and own.size) and own.max() < (xs.min() + xs.max()) / 2


def _x_encoding(xaxis: Part, categories: list[str] | None) -> dict:
    """Returns the x channel every trace shares: the categories in their order, or a number axis. A long title
    is written on lines as a chart title is: Vega centres it under the plot, and one line wider than a
    half-width chart pushed the whole chart past its column."""
    if categories is not None:
        x = {"field": "x", "type": "nominal", "sort": categories, "axis": {"title": _axis(xaxis, False)["axis"]["title"],
                                                                          "labelAngle": 0}}
    else:
        x = {"field": "x", "type": "quantitative", **_axis(xaxis, zero=False)}
        if xaxis.type != "log":  # steps, delays, time: 20 and 1000 as Plotly writes them (not 20.000000, 1,000)
            x["axis"]["format"] = xaxis.tickformat or "~r"
    title = title_lines(x["axis"]["title"], AXIS_TITLE_CHARS)
    x["axis"]["title"] = title if len(title) > 1 else x["axis"]["title"]
    return x


def _y_encoding(yaxis: Part, right: bool) -> dict:
    """Returns the y channel of the traces on one y axis (the second one on the right, without grid lines)."""
    y = {"field": "y", "type": "quantitative", **_axis(yaxis, zero=yaxis.rangemode == "tozero")}
    if right:
        y["axis"].update(orient="right", grid=False)
    if yaxis.tickformat:
        y["axis"]["format"] = yaxis.tickformat
    return y


def _trace_layer(fig: FigureDict, tr: Part, i: int, legend: dict, x: dict, y: dict) -> dict:
    color = {"datum": words(tr.name), **legend} if _in_legend(fig, tr) else {"value": _color(tr, i)}
    enc: dict = {"x": x, "y": y, "color": color}
    if tr.hoverinfo != "skip":
        tips = [{"field": "text", "type": "nominal", "title": " "}] if _has_text(tr) else []  # a point's own words
        x_title = x["axis"]["title"] or "x"
        x_title = " ".join(x_title) if isinstance(x_title, list) else x_title  # a title's lines, as one line
        tips += [{"field": "x", "type": x["type"], "title": x_title},
                 {"field": "y", "type": "quantitative", "title": words(tr.name) or "y", "format": _y_format(tr) or ".4g"}]
        enc["tooltip"] = tips
    mode = tr.mode or "lines"
    if "lines" in mode:
        line = tr.line
        mark: dict = {"type": "line", "strokeWidth": line.width or 2, "interpolate": "linear"}
        if line.dash in DASHES:
            mark["strokeDash"] = DASHES[line.dash]
        if "markers" in mode:
            mark["point"] = {"filled": True, "size": 30}
        elif "tooltip" in enc:
            mark["point"] = {"filled": True, "opacity": 0, "size": 60}  # invisible points carry the hover text
    else:
        marker = tr.marker
        shape = SHAPES.get(marker.symbol or "circle", "circle")
        mark = {"type": "point", "shape": shape, "size": (marker.size or 6) ** 2 * 1.5, "strokeWidth": 2,
                "filled": shape in ("circle", "square", "diamond", "triangle-up"), "opacity": 1}
        if mark["filled"] and marker.line.color:  # the board's white ring
            mark.update(stroke=marker.line.color, strokeWidth=marker.line.width or 1)
    return {"transform": [{"filter": {"field": "trace", "equal": i}}], "mark": mark, "encoding": enc}


ACROSS = ("paper", "x domain", "y domain")  # a shape's or a note's reference to the whole plot's width or height


def _shapes(layout) -> list[dict]:
    """Returns a rule for each line across the plot: vertical (a train/test cut) or horizontal (the chance level)."""
    out = []
    for s in layout.shapes or ():
        if s.type != "line":
            continue
        if s.x0 is not None and s.x0 == s.x1 and s.yref in ACROSS:
            enc = {"x": {"datum": float(s.x0), "type": "quantitative"}}
        elif s.y0 is not None and s.y0 == s.y1 and s.xref in ACROSS:
            enc = {"y": {"datum": float(s.y0), "type": "quantitative"}}
        else:
            continue
        mark = {"type": "rule", "color": s.line.color or "#999", "strokeWidth": s.line.width or 1}
        if s.line.dash in DASHES:
            mark["strokeDash"] = DASHES[s.line.dash]
        out.append({"mark": mark, "encoding": enc})
    return out


def _notes(layout) -> list[dict]:
    """Returns a text mark for each note: above the plot (paper y ≥ 1) or at a point of the data."""
    out = []
    for a in layout.annotations or ():
        if a.x is None or not a.text or not math.isfinite(float(a.x)):
            continue
        color = a.font.color or "#444"
        enc: dict = {"x": {"datum": float(a.x), "type": "quantitative"}, "text": {"value": words(a.text)}}
        if a.xref in ACROSS and a.yref not in ACROSS and a.y is not None:  # a note on a horizontal line
            right = float(a.x) >= 0.5
            enc.update(x={"value": "width" if right else 0}, y={"datum": float(a.y), "type": "quantitative"})
            below = a.yanchor == "top"
            mark = {"type": "text", "align": "right" if right else "left", "baseline": "top" if below else "bottom",
                    "dy": 3 if below else -3, "color": color, "fontSize": 12}
        elif a.yref in ACROSS:
            enc["y"] = {"value": -6}  # just above the plot area
            mark = {"type": "text", "baseline": "bottom", "color": color, "fontSize": 12}
        else:  # at a point of the data; a point off the scale (a loss that became inf) is marked at the top
            finite = a.y is not None and math.isfinite(float(a.y))
            enc["y"] = {"datum": float(a.y), "type": "quantitative"} if finite else {"value": 4}
            mark = {"type": "text", "baseline": "bottom" if finite else "top", "align": "right", "dy": -8 if finite else 0,
                    "color": color, "fontSize": 13, "fontWeight": 600}
        out.append({"mark": mark, "encoding": enc})
    return out
