"""Fit a chart to narrow screens: long titles wrap onto lines, a horizontal legend sits above the plot.

Plotly never wraps a title: a 70-character title in a half-width chart on a 1024 px projector runs
past the chart's edge. Every chart the pages draw passes through `fitted` (affordances.chart) or is built
fitted (`fit_layout`: the lab's live charts), so the figure builders keep their one-line titles and every
screen can read them.
The page CSS (core.LAYOUT_CSS) shrinks a title further when its chart is narrow.
"""

from __future__ import annotations

import re
import unicodedata

import plotly.graph_objects as go

from rnnviz.plots.figdict import words

TITLE_CHARS = 40  # per title line: fits a ~300 px half-width chart at the title size the page CSS gives it
AXIS_TITLE_CHARS = 30  # per line of a live chart's x-axis title: centred under a ~200 px plot, it stays in its chart
LINE_PX = 21  # height of one more title line
LEGEND_ROW_PX = 21  # the top margin one row of a legend above the plot needs
LEGEND_ROW_CHARS = 36  # legend entries (name + symbol) per row of a ~300 px chart, in characters
WIDE_UNITS = 2.4  # wrap_wide: a Chinese character is as wide as 2.4 English ones on average (15 px against ~6.3)
MIN_TOP = 50  # base_layout's top margin
NO_LEGEND = ("heatmap", "contour", "histogram2d", "surface")  # traces plotly leaves out of the legend by default
NOTE_PX = 22  # a one-line annotation just above the plot
DEFAULT_HEIGHT = 450  # plotly's, for a figure that sets none


def wrap(text: str, width: int = TITLE_CHARS) -> list[str]:
    """Returns the text's lines: its own <br> breaks kept, each part wrapped at spaces to about width characters."""
    return [line for part in text.split("<br>") for line in _at_spaces(part, width)]


def _at_spaces(part: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in part.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def wrap_wide(line: str, width: int = TITLE_CHARS) -> list[str]:
    """Returns a title line cut into lines of about `width` units, a Chinese character counting WIDE_UNITS.

    `wrap` breaks a title at its spaces; a Chinese title has none, and Vega cuts a line wider than its chart
    ("…"). So a wide line breaks after a punctuation mark (：，、；）) or before a bracket where one falls, else
    between characters."""
    if _units(line) <= width:
        return [line]
    lines, current = [], ""
    for piece in re.findall(r"[（(]?[^：，、；）,;:) （(]*[：，、；）,;:) ]?", line):  # from an opening bracket to a mark
        while _units(piece) > width:  # a piece too long for a line on its own: cut it between characters
            cut = max(1, _fits(piece, width - _units(current)))
            if current and cut <= 1:
                lines.append(current.rstrip())
                current = ""
                continue
            lines.append((current + piece[:cut]).rstrip())
            current, piece = "", piece[cut:]
        if current and _units(current + piece) > width:
            lines.append(current.rstrip())
            current = ""
        current += piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _char_units(ch: str) -> float:
    return WIDE_UNITS if unicodedata.east_asian_width(ch) in "WF" else 1


def _units(text: str) -> float:
    return sum(map(_char_units, text))


def _fits(text: str, units: float) -> int:
    """Returns how many of the text's first characters fit in `units`."""
    used = 0.0
    for n, ch in enumerate(text):
        used += _char_units(ch)
        if used > units:
            return n
    return len(text)


def title_lines(text: str | None, width: int = TITLE_CHARS) -> list[str]:
    """Returns a title as plain lines for a chart that wraps nothing itself (a live chart, plots.vega): its own
    <br> breaks kept, each part wrapped at its spaces (`wrap`) and, written in Chinese, at its marks (`wrap_wide`)."""
    plain = [words(part) for part in (text or "").split("<br>")]  # then a learner's own "<br>" is text, not a break
    return [wide for part in plain for line in _at_spaces(part, width) for wide in wrap_wide(line, width)]


def legend_rows(names: list[str], per_row: int = LEGEND_ROW_CHARS) -> int:
    """Returns how many rows a horizontal legend of these entries takes in a narrow chart (entries never split)."""
    rows, used = 0, per_row
    for name in names:
        need = len(name) + 5  # the line or marker sample before the name
        if used + need > per_row:
            rows, used = rows + 1, 0
        used += need
    return rows


def fit_updates(title: str | None, names: list[str], margin_t: float | None, margin_b: float | None,
                height: float | None, noted: bool) -> dict | None:
    """Returns the layout updates that fit a chart, or None when nothing needs fitting.

    names are the legend's entries when a horizontal legend sits below the plot (else empty); noted says a
    note is written just above the plot (e.g. "training | test"), which keeps its line under the legend.
    """
    if not (title and len(title) > TITLE_CHARS) and not names:
        return None
    updates: dict = {}
    base = margin_t if margin_t is not None else MIN_TOP
    top = max(base, MIN_TOP)
    if title:  # pinned to the top, so a legend above the plot sits below it, never across it
        lines = wrap(title) if len(title) > TITLE_CHARS else [title]
        updates["title"] = dict(text="<br>".join(lines), y=1.0, yref="container", yanchor="top", pad=dict(t=10))
        top += LINE_PX * (len(lines) - 1)
    height = height if height is not None else DEFAULT_HEIGHT
    if names:
        plot_px = max(height - base - (margin_b if margin_b is not None else 80), 50)
        updates["legend"] = dict(y=1.02 + (NOTE_PX / plot_px if noted else 0), yanchor="bottom", x=0.0, xanchor="left")
        top += LEGEND_ROW_PX * legend_rows(names) + (NOTE_PX if noted else 0)
    updates["margin"] = dict(t=top)
    updates["height"] = height + max(top - base, 0)  # the plot itself keeps its height
    return updates


def _legend_names(layout: dict, traces: list[dict]) -> list[str]:
    """Returns the legend's entries when a horizontal legend sits below the plot, else none: the named traces plotly
    lists (by default every type but NO_LEGEND's; a lone trace's only when the layout asks for it)."""
    legend = layout.get("legend") or {}
    if not (legend.get("orientation") == "h" and legend.get("y") is not None and legend["y"] < 0
            and layout.get("showlegend") is not False):
        return []
    names = [tr["name"] for tr in traces if tr.get("name") and (
        tr.get("showlegend") or (tr.get("showlegend") is None and tr.get("type", "scatter") not in NO_LEGEND))]
    return names if names and (len(traces) > 1 or layout.get("showlegend") is True) else []


def _layout_updates(layout: dict, traces: list[dict]) -> dict | None:
    """Returns fit_updates for a layout and its traces given as (possibly partial) plotly dicts."""
    names = _legend_names(layout, traces)
    noted = bool(names) and any(a.get("yref") == "paper" and a.get("y") is not None and a["y"] >= 1
                                for a in layout.get("annotations") or ())
    margin = layout.get("margin") or {}
    return fit_updates((layout.get("title") or {}).get("text"), names, margin.get("t"), margin.get("b"),
                       layout.get("height"), noted)


def fitted(fig: go.Figure, in_place: bool = False) -> go.Figure:
    """Returns fig (a copy unless in_place) whose title wraps and whose horizontal legend sits above the plot.

    in_place is for a figure just built for this one call: a copy of a figure costs more than the figure.
    A figure that may be cached or shared is copied.
    """
    layout = fig.layout
    if layout.title.yref == "container":
        return fig  # built fitted (fit_layout pins the title to the top): fitting again would add the margins twice
    # Only the properties the fit reads (a figure's full dicts would copy its data and its template).
    read = dict(title=dict(text=layout.title.text), legend=dict(orientation=layout.legend.orientation, y=layout.legend.y),
                showlegend=layout.showlegend, margin=dict(t=layout.margin.t, b=layout.margin.b), height=layout.height,
                annotations=[dict(yref=a.yref, y=a.y) for a in layout.annotations or ()])
    updates = _layout_updates(read, [dict(name=t.name, showlegend=t.showlegend, type=t.type) for t in fig.data])
    if updates is None:
        return fig  # nothing to fit: no copy
    out = fig if in_place else go.Figure(fig)
    out.update_layout(**updates)
    return out


def fit_layout(layout: dict, traces: list[dict]) -> dict:
    """Returns a layout dict (being built, with its traces as dicts) fitted as `fitted` fits a figure, without
    building the figure twice: the live charts, rebuilt at every refresh of every learner's page, use it."""
    updates = _layout_updates(layout, traces)
    if updates is None:
        return layout
    out = dict(layout, height=updates["height"], margin=dict(layout.get("margin") or {}, **updates["margin"]))
    for part in ("title", "legend"):
        if part in updates:
            out[part] = dict(layout.get(part) or {}, **updates[part])
    return out
