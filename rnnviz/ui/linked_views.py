"""Linked views of the inspection lessons (hidden states, gates): which step and unit every chart marks.

rnnviz.ui.selection holds the lesson's selection and draws clickable charts; this module adds what these two
lessons need on top: a selection that knows whether it is fresh (no click yet, no link), clicks read from the
PCA path (x is a coordinate there, not the step) and from the coloured text (a grid of lines), and a unit
selectbox that follows the selected unit and moves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from rnnviz.plots.states import clickable_cells
from rnnviz.ui import selection
from rnnviz.ui.selection import Pick

__all__ = ["Pick", "changed", "first_unit", "linked", "path_pick", "start", "text_pick", "unit_select"]


def start(page: str, steps: int, units: int) -> tuple[Pick, bool]:
    """Returns the lesson's selection and whether it is fresh (no click in this session and no ?unit= link), in
    which case the lesson may choose a better first unit than 0."""
    fresh = f"selection_{page}" not in st.session_state and selection.UNIT_PARAM not in st.query_params
    return selection.current(page, steps, units), fresh


def cell_pick(point: dict[str, Any]) -> Pick | None:
    """Reads a click on a heatmap cell (the invisible point plots.states.clickable_cells lays on it: customdata
    (step, hover, value), y the unit) or on a curve over time (x the step)."""
    custom = point.get("customdata")
    if isinstance(custom, (list, tuple)) and len(custom) == 3:
        try:
            return Pick(int(round(float(custom[0]))), int(round(float(point.get("y")))))
        except (TypeError, ValueError):
            return None
    return selection.step_of(point)


def linked(fig: go.Figure, key: str, page: str, pick: Pick | None, unit_axis: bool = False,
           to_pick: Callable[[dict[str, Any]], Pick | None] = cell_pick) -> None:
    """Draws fig marked at the selection (and the unit row when unit_axis; pick None: the figure marks it itself);
    a click on it, heatmap cells included, selects."""
    marked = selection.mark(fig, pick, unit_axis=unit_axis) if pick is not None else fig
    selection.linked_chart(clickable_cells(marked), key, page, to_pick)


def _index(point: dict[str, Any]) -> int | None:
    for name in ("point_index", "point_number"):
        value = point.get(name)
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


def path_pick(point: dict[str, Any]) -> Pick | None:
    """Reads a click on the PCA path: its x and y are coordinates, the point's index is the step (the ring that
    marks the selection, a third trace, is not a step)."""
    if int(point.get("curve_number") or 0) > 1:
        return None
    index = _index(point)
    return None if index is None else Pick(index)


def text_pick(per_line: int, unit: int) -> Callable[[dict[str, Any]], Pick | None]:
    """Returns the reader of a click on the coloured text: column x of line y is step y * per_line + x."""

    def pick(point: dict[str, Any]) -> Pick | None:
        try:
            col, row = int(round(float(point.get("x")))), int(round(float(point.get("y"))))
        except (TypeError, ValueError):
            return None
        return Pick(row * per_line + col, unit)

    return pick


def unit_select(page: str, pick: Pick, label: str, options: list[int], key: str,
                format_func: Callable[[int], str]) -> int:
    """Draws a unit selectbox that follows the selected unit (a click elsewhere moves it) and, when the learner
    picks a unit in it, selects that unit for every view of the lesson. Returns the unit."""
    seen = f"{key}_follows"
    if st.session_state.get(seen) != pick.unit and pick.unit in options:
        st.session_state[key] = pick.unit  # the selection moved since this box last drew: the box follows
    st.session_state[seen] = pick.unit
    chosen = _as_unit(st.selectbox(label, options, key=key, format_func=format_func, on_change=_chosen,
                                   args=(page, key, pick)))
    return chosen if chosen is not None else (pick.unit if pick.unit in options else options[0])


def _as_unit(value: object) -> int | None:
    """Returns the unit a selectbox holds. Its labels quote numbers that change with the model (r, run lengths), and
    the browser sends back the label it showed: a label from an earlier run arrives as text, e.g. 'unit 55 (r = ...)'."""
    if isinstance(value, int):
        return value
    found = re.search(r"\d+", str(value)) if value is not None else None
    return int(found.group(0)) if found else None


def _chosen(page: str, key: str, pick: Pick) -> None:
    unit = _as_unit(st.session_state.get(key))
    if unit is not None:
        selection.choose(page, Pick(pick.t, unit))
        st.session_state[f"{key}_follows"] = unit


def first_unit(page: str, pick: Pick, unit: int, steps: int, units: int) -> Pick:
    """Selects `unit` (the lesson's best one for what it shows) keeping the step; returns the new selection."""
    selection.choose(page, Pick(pick.t, unit))
    return selection.current(page, steps, units)


def changed(key: str, value: object) -> bool:
    """Returns whether value differs from the one recorded under key by an earlier run (False the first time)."""
    before = st.session_state.get(key, value)
    st.session_state[key] = value
    return before != value
