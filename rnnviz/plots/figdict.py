"""A Plotly figure read from its plain dict, its parts as attributes: `FigureDict(fig).data[0].line.color`.

A figure's own properties validate and build objects at every read; plots.vega reads a live figure at every refresh
of every learner's page, and reading the dict (`to_dict`, or the dict a live figure is built from) is ~6x faster.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

TAG = re.compile(r"<[^<>]*>")  # Plotly's markup in a title, a name or a note


def words(text: str | None) -> str:
    """Returns a Plotly text as plain text: its markup (<b>, <sub>) dropped and its escapes (&lt;) read back.

    Vega draws text as text, never as markup, so a learner's own words are shown as they typed them."""
    return html.unescape(TAG.sub("", text or ""))


class Part:
    """A part of a figure's dict (a trace, the layout, an axis, a line) read as attributes; a missing one is None."""

    __slots__ = ("_d",)

    def __init__(self, d: dict) -> None:
        self._d = d

    def __getattr__(self, name: str):
        value = self._d.get(name)
        if value is None and name in PARTS:
            return EMPTY  # an unset part reads as a part with nothing set, as a figure's own property does
        if _is_base64(value):  # decoded once: the dict is to_dict's own copy (a plain dict holds no base64)
            value = self._d[name] = _decode(value)
        return wrap(value)

    def __bool__(self) -> bool:
        return bool(self._d)


EMPTY = Part({})
PARTS = {"line", "marker", "textfont", "font", "title", "margin", "legend"}  # (a trace's xaxis is a name: see axis)


class FigureDict:
    """A figure's traces and layout as Parts, from a Plotly figure or the plain dict it is built from."""

    def __init__(self, fig: go.Figure | Mapping) -> None:
        plain = fig if isinstance(fig, Mapping) else fig.to_dict()
        self.data = [Part(tr) for tr in plain.get("data", [])]
        self.layout = Part(plain.get("layout", {}))


def axis(layout: Part, name: str) -> Part:
    """Returns one of the layout's axes, an unset one as an axis with nothing set."""
    part = getattr(layout, name)
    return part if isinstance(part, Part) else EMPTY


def wrap(value):
    """Returns a value of a figure's dict as read through a Part: a dict as a Part, a base64 array as numpy."""
    if isinstance(value, dict):
        return _decode(value) if _is_base64(value) else Part(value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [wrap(v) for v in value]  # shapes, notes
    return value


def _is_base64(value) -> bool:
    return isinstance(value, dict) and "bdata" in value and "dtype" in value  # Plotly 7's number arrays


def _decode(value: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
