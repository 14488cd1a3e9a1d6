"""The Gates lesson's linked selection in real Chromium: a click on a cell of the gate heatmaps moves the selection
line of every other chart (read back from each figure's layout shapes named "selection") and the cell at work;
screenshots of the cell diagram for a GRU and an LSTM."""

from __future__ import annotations

from .conftest import FIRST_VISIT_MS, RERUN_MS, SCREENSHOTS, page_problems, wait_for_app

# Every chart's marked step, by the key of its Streamlit element (st-key-<key>), read from the live figures.
MARKS_JS = """() => {
  const out = {};
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const holder = plot.closest('[class*="st-key-"]');
    const key = holder ? [...holder.classList].find(c => c.startsWith('st-key-')).slice(7) : '?';
    const line = (plot.layout.shapes || []).find(s => s.name === 'selection' && s.x0 === s.x1);
    const units = (plot.layout.shapes || []).filter(s => s.name === 'selection' && s.y0 === s.y1
                                                    && String(s.xref).endsWith('domain')).map(s => s.y0);
    out[key] = {step: line ? line.x0 : null, units: units, title: (plot.layout.title || {}).text || ''};
  }
  return out;
}"""

# Where on the screen the heatmap cell (step, unit) of the first subplot is, from the figure's own axes.
CELL_JS = """([step, unit]) => {
  const plot = document.querySelector('.st-key-gt_heatmaps .js-plotly-plot');
  const box = plot.getBoundingClientRect(), xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
  return {x: box.left + xa._offset + xa.l2p(step), y: box.top + ya._offset + ya.l2p(unit)};
}"""

MOVED_JS = """([step, keys]) => keys.every(key => {
  const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const line = plot && (plot.layout.shapes || []).find(s => s.name === 'selection' && s.x0 === s.x1);
  return line !== undefined && line.x0 === step;
})"""

LINKED = ["gt_heatmaps", "gt_timeline", "gt_compare"]


def open_gates(page, server_url: str, query: str = "") -> None:
    page.goto(f"{server_url}/Gates{query}", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    page.wait_for_selector(".st-key-gt_compare .js-plotly-plot", timeout=FIRST_VISIT_MS)


def shoot_cell(page, name: str) -> None:
    """Saves the cell at work (diagram, formulas and gate vectors) as SCREENSHOTS/<name>.png."""
    diagram = page.locator(".st-key-gt_work_diagram")
    diagram.scroll_into_view_if_needed()
    top = diagram.bounding_box()
    bottom = page.locator(".st-key-gt_work_vectors").bounding_box()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"),
                    clip={"x": 0, "y": max(top["y"] - 90, 0), "width": page.viewport_size["width"],
                          "height": bottom["y"] + bottom["height"] - top["y"] + 100})


def test_a_click_on_a_gate_heatmap_moves_the_line_in_every_chart(page, server_url):
    open_gates(page, server_url)
    assert page_problems(page) == []
    before = page.evaluate(MARKS_JS)
    assert {before[key]["step"] for key in LINKED} == {0}
    target, unit = 9, 4
    page.locator(".st-key-gt_heatmaps").scroll_into_view_if_needed()
    spot = page.evaluate(CELL_JS, [target, unit])
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function(MOVED_JS, arg=[target, LINKED], timeout=RERUN_MS, polling=200)
    wait_for_app(page)
    after = page.evaluate(MARKS_JS)
    assert all(after[key]["step"] == target for key in LINKED), after
    assert after["gt_heatmaps"]["units"] and set(after["gt_heatmaps"]["units"]) == {unit}
    assert f"t = {target}, unit {unit}" in after["gt_work_diagram"]["title"].replace("<br>", " ")
    assert f"at={target}" in page.url and f"unit={unit}" in page.url
    assert page_problems(page) == []
    shoot_cell(page, "cell_at_work_gru")


def test_the_lstm_cell_at_work_opens_from_a_link(page, server_url):
    open_gates(page, server_url, "?model=default+LSTM&at=12&unit=3")
    marks = page.evaluate(MARKS_JS)
    assert all(marks[key]["step"] == 12 for key in LINKED), marks
    assert "LSTM" in marks["gt_work_diagram"]["title"] and "t = 12, unit 3" in marks["gt_work_diagram"]["title"]
    page.keyboard.press("ArrowRight")  # the forward button's shortcut (Streamlit: "Right")
    page.wait_for_function(MOVED_JS, arg=[13, LINKED], timeout=RERUN_MS, polling=200)
    wait_for_app(page)
    assert page_problems(page) == []
    shoot_cell(page, "cell_at_work_lstm")
