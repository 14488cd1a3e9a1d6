"""Point at a moment and every view follows: one selected timestep (and unit) per lesson, kept in the URL.

A linked chart is drawn with ``linked_chart(fig, key, page, to_pick)``: clicking a point (a heatmap cell, a point of
a curve, a token) calls ``to_pick(point)`` to turn Plotly's point into a ``Pick`` and makes it the lesson's
selection before the page runs again, so every view drawn in that run, above or below the chart that was clicked,
marks the same step and unit (``mark``). The selection is written into the URL (?at=12&unit=5), so a teacher can
link to "this character, this unit"; a link with a selection reopens it (values outside the input are refused by
the one link parser with a note).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from rnnviz.plots.fit import fitted
from rnnviz.ui.affordances import query_value

STEP_PARAM, UNIT_PARAM = "at", "unit"
MARK_COLOUR = "#e6007e"  # one colour for the selection in every chart of every lesson


@dataclass(frozen=True)
class Pick:
    """A selected timestep and, where the chart has units, a unit (None: keep the unit selected before)."""

    t: int
    unit: int | None = None


def _key(page: str) -> str:
    return f"selection_{page}"


def current(page: str, steps: int, units: int | None = None) -> Pick:
    """Returns the lesson's selection, clamped to this input: the session's, else the link's, else step 0 / unit 0."""
    held: Pick | None = st.session_state.get(_key(page))
    if held is None:
        t = query_value(STEP_PARAM, 0, bounds=(0, max(steps - 1, 0)))
        unit = query_value(UNIT_PARAM, 0, bounds=(0, max((units or 1) - 1, 0))) if units else None
        held = Pick(t, unit)
    t = min(max(held.t, 0), max(steps - 1, 0))
    unit = None if not units else min(max(held.unit or 0, 0), units - 1)
    picked = Pick(t, unit)
    if st.session_state.get(_key(page)) != picked:  # the same object while nothing changes
        st.session_state[_key(page)] = picked
    _to_url(picked)
    return picked


def choose(page: str, pick: Pick) -> None:
    """Makes pick the lesson's selection (a unit of None keeps the unit chosen before)."""
    held: Pick | None = st.session_state.get(_key(page))
    unit = pick.unit if pick.unit is not None else (held.unit if held is not None else None)
    st.session_state[_key(page)] = Pick(pick.t, unit)


def _to_url(pick: Pick) -> None:
    wanted = {STEP_PARAM: str(pick.t), **({UNIT_PARAM: str(pick.unit)} if pick.unit is not None else {})}
    for name, value in wanted.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def _picked(key: str, page: str, to_pick: Callable[[dict[str, Any]], Pick | None]) -> None:
    """The chart's on_select callback: the first clicked point becomes the lesson's selection."""
    state = st.session_state.get(key)
    points = (state or {}).get("selection", {}).get("points", []) if state is not None else []
    for point in points:
        pick = to_pick(dict(point))
        if pick is not None:
            choose(page, pick)
            return


CELL = "cell"  # the last customdata item of a click target: a heatmap cell [t, unit, z, CELL]
MAX_TARGETS = 6000  # click targets per heatmap; a bigger one gets every k-th row (units), every column (steps)


def click_targets(fig: go.Figure, max_targets: int = MAX_TARGETS) -> go.Figure:
    """Returns fig with an invisible marker on the cells of each heatmap, which takes the hover and the click.

    Plotly selects no heatmap cells, and Streamlit sends a chart's clicks only as a selection of points, so a click on
    a bare heatmap reaches nobody. Each marker carries [t, unit, z, CELL] and shows the heatmap's own hover text.
    """
    if any(isinstance(tr, (go.Scatter, go.Scattergl)) and tr.marker is not None and tr.marker.opacity == 0
           for tr in fig.data):
        return fig  # a chart that brings its own click targets keeps them
    for trace in [tr for tr in fig.data if isinstance(tr, go.Heatmap) and tr.z is not None]:
        z = np.asarray(trace.z, dtype=float)
        rows, cols = z.shape
        xs = list(trace.x) if trace.x is not None else list(range(cols))
        ys = list(trace.y) if trace.y is not None else list(range(rows))
        stride = max(1, int(np.ceil(rows * cols / max_targets)))
        r, c = np.meshgrid(np.arange(0, rows, stride), np.arange(cols), indexing="ij")
        r, c = r.ravel(), c.ravel()
        template = (trace.hovertemplate or "%{x}, %{y}: %{z:.3f}<extra></extra>").replace("%{z", "%{customdata[2]")
        text = np.asarray(trace.text, dtype=object) if trace.text is not None and np.ndim(trace.text) == 2 else None
        fig.add_trace(go.Scatter(
            x=[xs[j] for j in c], y=[ys[i] for i in r], mode="markers", showlegend=False,
            marker=dict(size=8, opacity=0), xaxis=trace.xaxis, yaxis=trace.yaxis,
            text=[text[i, j] for i, j in zip(r, c, strict=True)] if text is not None else None,
            customdata=[[_number(xs[j], j), _number(ys[i], i), float(z[i, j]), CELL] for i, j in zip(r, c, strict=True)],
            hovertemplate=template if "%{customdata[0" not in template else None))
    return fig


def _number(value: object, index: int) -> int:
    """Returns an axis value as the step or unit it names (heatmaps of units lo..hi label rows by unit), else index."""
    try:
        return int(round(float(value)))
    except (TypeError, ValueError):
        return int(index)


def linked_chart(fig: go.Figure, key: str, page: str, to_pick: Callable[[dict[str, Any]], Pick | None]) -> None:
    """Draws a chart whose clicks select a step (and unit) for every view of the lesson; heatmaps get click targets."""
    st.plotly_chart(fitted(click_targets(fig)), key=key, on_select=lambda: _picked(key, page, to_pick),
                    selection_mode="points", config={"displaylogo": False})


def step_of(point: dict[str, Any]) -> Pick | None:
    """Reads a point whose x is the timestep (a curve over time; a heatmap whose columns are steps)."""
    x, y = point.get("x"), point.get("y")
    data = point.get("customdata")
    if isinstance(data, (list, tuple)) and len(data) == 4 and data[3] == CELL:  # a heatmap cell's click target
        return Pick(int(data[0]), int(data[1]))
    if isinstance(data, (list, tuple)) and data:
        x = data[0]
    try:
        t = int(round(float(x)))
    except (TypeError, ValueError):
        index = point.get("point_index")
        t = int(index[-1] if isinstance(index, (list, tuple)) else index) if index is not None else None
        if t is None:
            return None
    unit = None
    if "z" in point:  # a heatmap cell: its row is the unit
        try:
            unit = int(round(float(y)))
        except (TypeError, ValueError):
            unit = None
    return Pick(t, unit)


def mark(fig: go.Figure, pick: Pick, unit_axis: bool = False) -> go.Figure:
    """Returns fig with the selection drawn: a vertical line at the step in every subplot, and on charts whose y
    axis is the unit (heatmaps of units over time), a horizontal line at the unit."""
    pairs = sorted({(getattr(tr, "xaxis", None) or "x", getattr(tr, "yaxis", None) or "y") for tr in fig.data}) \
        or [("x", "y")]
    line = dict(color=MARK_COLOUR, width=2, dash="dot")
    for xa, ya in pairs:
        fig.add_shape(type="line", x0=pick.t, x1=pick.t, y0=0, y1=1, xref=xa, yref=f"{ya} domain", line=line,
                      name="selection")
        if unit_axis and pick.unit is not None:
            fig.add_shape(type="line", y0=pick.unit, y1=pick.unit, x0=0, x1=1, yref=ya, xref=f"{xa} domain",
                          line={**line, "width": 1.5}, name="selection")
    return fig


def marked_step(fig_json: dict) -> int | None:
    """Returns the step a figure (as JSON) marks, or None: what tests and the browser read back."""
    for shape in fig_json.get("layout", {}).get("shapes", []):
        if shape.get("name") == "selection" and shape.get("x0") == shape.get("x1"):
            return int(shape["x0"])
    return None
