"""The class board's chart: each learner's final loss (or perplexity) against the setting the lesson varies."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS, CELLS
from rnnviz.plots.style import CELL_COLORS, base_layout, log_axis

SETTINGS: tuple[str, ...] = ("cell", "lr", "clip")  # what the board compares against (class_board.settings.<name>)
METRICS: tuple[str, ...] = ("loss", "perplexity")  # what it shows (class_board.metrics.<name>)


def setting_label(setting: str) -> str:
    """Returns a setting's name as the board shows it, in the learner's language."""
    return t(f"class_board.settings.{setting}")


def metric_label(metric: str) -> str:
    """Returns a metric's name as the board shows it, in the learner's language."""
    return t(f"class_board.metrics.{metric}")


@dataclass(frozen=True)
class BoardPoint:
    """One run on the board: who (a nickname, never a learner code), its settings and where it ended."""

    nickname: str
    cell: str
    lr: float | None
    clip: float | None
    loss: float | None


def _value(point: BoardPoint, metric: str) -> float | None:
    if point.loss is None or not math.isfinite(point.loss):
        return None
    if metric == "perplexity":
        return math.exp(min(point.loss, 700.0))  # exp(700) is still a finite float
    return point.loss


def board_figure(points: Sequence[BoardPoint], setting: str, metric: str = "loss") -> go.Figure:
    """Returns the board's scatter: metric against setting (cells as categories, lr and clip on log axes).

    Runs without a value for the setting (no clipping, no loss yet) are left out; the title says how many.
    """
    if setting not in SETTINGS or metric not in METRICS:
        raise ValueError(f"unknown setting or metric: {setting}, {metric}")
    fig = go.Figure()
    shown, xs_all = 0, []
    for cell in CELLS:
        rows = [(getattr(p, setting) if setting != "cell" else CELL_LABELS[cell], _value(p, metric), p.nickname)
                for p in points if p.cell == cell]
        rows = [r for r in rows if r[0] is not None and r[1] is not None]
        if not rows:
            continue
        shown += len(rows)
        xs_all += [r[0] for r in rows]
        fig.add_trace(go.Scatter(
            x=[r[0] for r in rows], y=[r[1] for r in rows], mode="markers", name=CELL_LABELS[cell],
            marker=dict(color=CELL_COLORS[cell], size=12, line=dict(width=1, color="white")),
            text=[r[2] for r in rows],  # nicknames pass classcode.clean_nickname: no markup characters
            hovertemplate="%{text}<br>%{x}<br>%{y:.3g}<extra>" + CELL_LABELS[cell] + "</extra>"))
    left_out = len(points) - shown
    title = t("class_board.plot.title", metric=t(f"class_board.plot.{metric}"), setting=setting_label(setting))
    if left_out:
        title += t("class_board.plot.left_out_many", count=left_out) if left_out > 1 else t("class_board.plot.left_out_one")
    base_layout(fig, title, setting_label(setting), metric_label(metric), height=420)
    if setting == "cell":
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=[CELL_LABELS[c] for c in CELLS])
    elif xs_all:
        fig.update_xaxes(**log_axis(xs_all))
    return fig
