"""Linked selection: a click on one chart marks the same step (and unit) in every linked chart and in the URL."""

from __future__ import annotations

import json

from conftest import select_point
from streamlit.testing.v1 import AppTest


def _lesson():
    import numpy as np
    import plotly.graph_objects as go

    from rnnviz.ui import selection

    pick = selection.current("demo", steps=20, units=8)
    heat = go.Figure(go.Heatmap(z=np.zeros((8, 20))))
    curve = go.Figure(go.Scatter(x=list(range(20)), y=[0.0] * 20))
    selection.linked_chart(selection.mark(heat, pick, unit_axis=True), "demo_heat", "demo", selection.step_of)
    selection.linked_chart(selection.mark(curve, pick), "demo_curve", "demo", selection.step_of)


def marks(at) -> list[tuple[int | None, list]]:
    from rnnviz.ui.selection import marked_step

    out = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        units = [s["y0"] for s in spec["layout"].get("shapes", []) if s.get("name") == "selection" and s["y0"] == s["y1"]
                 and s.get("xref", "").endswith("domain")]
        out.append((marked_step(spec), units))
    return out


def test_a_click_on_one_chart_moves_every_view_and_the_url():
    at = AppTest.from_function(_lesson, default_timeout=60)
    at.run()
    assert marks(at) == [(0, [0]), (0, [])]
    select_point(at, "demo_curve", {"x": 7, "y": 0.0, "curve_number": 0, "point_number": 7, "point_index": 7})
    assert not at.exception
    assert marks(at) == [(7, [0]), (7, [])]  # the heatmap above follows the curve below
    assert at.query_params["at"] == ["7"] or at.query_params["at"] == "7"
    select_point(at, "demo_heat", {"x": 12, "y": 5, "z": 0.0, "curve_number": 0, "point_index": [5, 12]})
    assert marks(at) == [(12, [5]), (12, [])]
    assert str(at.query_params["unit"]).strip("[]'") == "5"


def test_a_link_with_a_selection_reopens_it_and_a_bad_one_is_refused():
    at = AppTest.from_function(_lesson, default_timeout=60)
    at.query_params["at"] = "9"
    at.query_params["unit"] = "3"
    at.run()
    assert marks(at) == [(9, [3]), (9, [])]
    bad = AppTest.from_function(_lesson, default_timeout=60)
    bad.query_params["at"] = "999"
    bad.run()
    assert not bad.exception and marks(bad)[0][0] == 0 and bad.warning


def test_heatmap_cells_get_click_targets_that_select_step_and_unit():
    import numpy as np
    import plotly.graph_objects as go

    from rnnviz.ui.selection import CELL, Pick, click_targets, step_of

    fig = click_targets(go.Figure(go.Heatmap(z=np.arange(12.0).reshape(3, 4), hovertemplate="t=%{x} u=%{y} %{z:.2f}")))
    targets = fig.data[1]
    assert len(targets.x) == 12 and targets.marker.opacity == 0
    assert "%{customdata[2]" in targets.hovertemplate  # the heatmap's own hover, reading z from the target
    point = {"x": 2, "y": 1, "customdata": list(targets.customdata[1 * 4 + 2])}
    assert point["customdata"][3] == CELL and step_of(point) == Pick(2, 1)
    assert len(click_targets(fig).data) == 2  # a chart that has its targets gets no second set
    big = click_targets(go.Figure(go.Heatmap(z=np.zeros((64, 500)))), max_targets=6000)
    assert len(big.data[1].x) <= 6000 + 500  # every column (step) stays clickable, rows are thinned
