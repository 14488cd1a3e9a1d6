"""Hidden states and Gates: a click selects a step and unit that every view marks, the cell at work draws that
step with the page's own numbers, a link reopens the selection, and the predictions read the page's trace."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test, select_point
from test_page_hidden_states import decode, figures

from rnnviz.catalog import t
from rnnviz.ui import cache
from rnnviz.ui.selection import marked_step

GATES, HIDDEN = "pages/5_Gates.py", "pages/4_Hidden_states.py"


@pytest.fixture(autouse=True)
def tiny_defaults(monkeypatch):
    """Shrinks the default LMs so each page trains them in well under a second."""
    base = cache.DEFAULT_RUNS["lm"]
    tiny = replace(base, model=replace(base.model, hidden_size=10), train=replace(base.train, steps=3))
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", tiny)


def run(page: str, model: str | None = None, **params: str):
    at = app_test(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    if model is not None:
        at.selectbox(key="gt_model" if page == GATES else "hs_model").set_value(model).run()
    assert not at.exception, at.exception
    return at


def param(at, name: str) -> str:
    value = at.query_params[name]
    return str(value[0] if isinstance(value, list) else value)


def unit_rows(fig: dict) -> set[int]:
    """Returns the units a figure marks with a horizontal selection line."""
    return {int(s["y0"]) for s in fig["layout"].get("shapes", []) if s.get("name") == "selection"
            and s.get("y0") == s.get("y1") and str(s.get("xref", "")).endswith("domain")}


def boxes(fig: dict) -> dict[str, float]:
    """Returns the diagram's boxes as {English box name: value} read from its labels."""
    by_label = {t(f"cellwork.box.{name}", "en"): name for name in
                ("h", "r", "z", "n", "i", "f", "g", "o", "c", "pre", "rh", "keep", "write", "fc", "ig", "h_prev")}
    out = {}
    for note in fig["layout"].get("annotations", []):
        found = re.fullmatch(r"<b>(.*)</b><br>(−?-?[0-9.]+)", note.get("text", ""))
        if found and found.group(1) in by_label:
            out[by_label[found.group(1)]] = float(found.group(2).replace("−", "-"))
    return out


def heatmap_at(fig: dict, name: str, unit: int, step: int) -> float:
    trace = next(tr for tr in fig["data"] if tr["name"] == name)
    return float(decode(trace["z"])[unit, step])


@pytest.mark.parametrize("model", ["default GRU", "default LSTM"])
def test_a_click_on_a_gate_heatmap_moves_every_view_the_cell_at_work_and_the_url(model):
    at = run(GATES, model)
    select_point(at, "gt_heatmaps", {"x": 5, "y": 3, "z": 0.5, "curve_number": 0, "point_index": [3, 5]})
    assert not at.exception, at.exception
    figs = figures(at)
    for key in ("gt_heatmaps", "gt_timeline", "gt_compare"):
        assert marked_step(figs[key]) == 5, key
    assert unit_rows(figs["gt_heatmaps"]) == {3} and unit_rows(figs["gt_compare"]) == {3}
    assert unit_rows(figs["gt_timeline"]) == set()  # one unit's curves: no unit row to mark
    assert at.selectbox(key="gt_unit").value == 3  # the timeline follows the selected unit
    assert "unit 3" in figs["gt_timeline"]["layout"]["title"]["text"]
    assert "t = 5, unit 3" in figs["gt_work_diagram"]["layout"]["title"]["text"]
    assert (param(at, "at"), param(at, "unit")) == ("5", "3")
    # the diagram's numbers are the heatmaps' at that step and unit, every recorded quantity of the cell
    shown = boxes(figs["gt_work_diagram"])
    names = [tr["name"] for tr in figs["gt_heatmaps"]["data"] if tr["type"] == "heatmap"]
    assert set(names) <= set(shown)
    for name in names:
        assert shown[name] == pytest.approx(heatmap_at(figs["gt_heatmaps"], name, 3, 5), abs=1e-3), name
    for col, name in enumerate(names):  # every unit's bar is the heatmap's column at t
        bars = decode(figs["gt_work_vectors"]["data"][col]["y"])
        heat = next(tr for tr in figs["gt_heatmaps"]["data"] if tr["name"] == name)
        np.testing.assert_allclose(bars, decode(heat["z"])[:, 5], atol=1e-6)
    if model == "default GRU":  # the textbook candidate beside torch's, in numbers
        assert any("d2l" in line.value for line in at.latex)


def test_the_step_buttons_the_timeline_and_the_unit_box_move_the_selection():
    at = run(GATES)
    start = marked_step(figures(at)["gt_heatmaps"])
    at.button(key="gt_work_forward").click().run()
    assert marked_step(figures(at)["gt_heatmaps"]) == start + 1
    at.button(key="gt_work_back").click().run()
    assert marked_step(figures(at)["gt_timeline"]) == start
    select_point(at, "gt_timeline", {"x": 7, "y": 0.5, "curve_number": 0, "point_number": 7, "point_index": 7})
    figs = figures(at)
    assert marked_step(figs["gt_heatmaps"]) == 7 and "t = 7" in figs["gt_work_diagram"]["layout"]["title"]["text"]
    # the browser's click on a cell: the invisible point laid on it (customdata: step, hover, value)
    select_point(at, "gt_heatmaps", {"x": 8, "y": 2, "customdata": [8, "t=8 'e'", 0.4], "curve_number": 5,
                                      "point_number": 17, "point_index": 17})
    figs = figures(at)
    assert marked_step(figs["gt_timeline"]) == 8 and unit_rows(figs["gt_heatmaps"]) == {2}
    at.button(key="gt_work_back").click().run()
    at.selectbox(key="gt_unit").set_value(6).run()
    figs = figures(at)
    assert unit_rows(figs["gt_heatmaps"]) == {6} and "unit 6" in figs["gt_work_diagram"]["layout"]["title"]["text"]
    assert marked_step(figs["gt_heatmaps"]) == 7 and param(at, "unit") == "6"


def test_a_link_with_a_selection_reopens_it():
    at = run(GATES, at="4", unit="2")
    figs = figures(at)
    assert marked_step(figs["gt_heatmaps"]) == 4 and unit_rows(figs["gt_heatmaps"]) == {2}
    assert at.selectbox(key="gt_unit").value == 2
    assert "t = 4, unit 2" in figs["gt_work_diagram"]["layout"]["title"]["text"]
    hs = run(HIDDEN, at="6", unit="1")
    figs = figures(hs)
    assert marked_step(figs["hs_heatmap"]) == 6 and unit_rows(figs["hs_heatmap"]) == {1}
    assert "t = 6, unit 1" in figs["hs_work_diagram"]["layout"]["title"]["text"]


def test_without_a_link_the_lessons_open_on_their_best_unit():
    gates = run(GATES)
    best = gates.selectbox(key="gt_unit").options[0]  # the longest memory comes first
    assert unit_rows(figures(gates)["gt_heatmaps"]) == {int(best.split()[1].rstrip(":,"))}
    hs = run(HIDDEN)
    ranking = figures(hs)["hs_ranking"]["data"][0]["x"]  # "unit 7" first: the best for the pattern
    assert unit_rows(figures(hs)["hs_heatmap"]) == {int(ranking[0].split()[-1])}


def test_a_click_on_the_path_or_the_text_moves_the_heatmap_and_the_plain_rnn_cell():
    at = run(HIDDEN)
    model = next(o for o in at.selectbox(key="hs_model").options if "tanh" in o)
    at.selectbox(key="hs_model").set_value(model).run()
    select_point(at, "hs_trajectory", {"x": 0.1, "y": 0.2, "curve_number": 1, "point_number": 6, "point_index": 6})
    assert not at.exception, at.exception
    figs = figures(at)
    assert marked_step(figs["hs_heatmap"]) == 6
    ring = figs["hs_trajectory"]["data"][-1]
    path = figs["hs_trajectory"]["data"][1]
    assert decode(ring["x"])[0] == pytest.approx(decode(path["x"])[6])  # the selected point is ringed
    frame = [s for s in figs["hs_unit_text"]["layout"]["shapes"] if s.get("name") == "selection"]
    assert [(s["x0"] + 0.5, s["y0"] + 0.5) for s in frame] == [(6, 0)]  # the token framed in the text
    assert any("<u>" in a["text"] for a in figs["hs_unit_text"]["layout"]["annotations"])
    unit = int(str(param(at, "unit")))
    shown = boxes(figs["hs_work_diagram"])
    assert shown["h"] == pytest.approx(heatmap_at(figs["hs_heatmap"], "h", unit, 6), abs=1e-3)
    assert "pre" in shown  # a plain RNN: a_t, then h_t
    select_point(at, "hs_unit_text", {"x": 3, "y": 0, "z": 0.1, "curve_number": 0, "point_index": [0, 3]})
    assert marked_step(figures(at)["hs_heatmap"]) == 3 and param(at, "at") == "3"


def test_the_predictions_are_answered_from_the_pages_trace():
    at = run(GATES)
    bars = figures(at)["gt_saturation"]["data"][1]  # after training, per gate
    share = dict(zip(bars["x"], decode(bars["y"])))
    keep = share.pop(t("cells.names.z", "en"))
    expected = "keep" if keep >= np.mean(list(share.values())) else "others"
    key = "predict.gates.keep_saturated"
    at.radio(key=f"{key}.choice").set_value("keep").run()
    at.button(key=f"{key}.reveal").click().run()
    said = (at.success if expected == "keep" else at.info)
    assert said and f"{keep:.0%}" in said[0].value
    hs = run(HIDDEN)
    r = decode(figures(hs)["hs_ranking"]["data"][0]["y"])[0]
    key = "predict.hidden_states.follows"
    hs.radio(key=f"{key}.choice").set_value("no").run()
    hs.button(key=f"{key}.reveal").click().run()
    said = hs.success if abs(r) <= 0.5 else hs.info
    assert said and f"r = {r:.2f}" in said[0].value


def test_the_cell_at_work_and_the_predictions_read_in_chinese():
    from conftest import figure_texts

    at = run(GATES, lang="zh", model="default LSTM")
    words = [text.replace("<br>", "") for text in figure_texts(at)]
    assert any(text.startswith("LSTM 第 t = ") and text.endswith("真实数值") for text in words)  # the diagram
    assert any("遗忘门 f" in text for text in words) and "单元在工作" in [s.value for s in at.subheader]
    assert any("保留门（GRU 的更新门 z" in m.value for m in at.markdown)  # the new prediction's question
    assert any(b.label == "下一步" for b in at.button)
