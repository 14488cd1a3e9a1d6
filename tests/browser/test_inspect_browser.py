"""The inspection lessons' teaching affordances in real Chromium: a class link (guide open, a control hidden),
the training-time scrubber, and a CSV export that holds the numbers the heatmap shows."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from rnnviz.catalog import items

from .conftest import FIRST_VISIT_MS, RERUN_MS, page_problems, save_screenshot, wait_for_app

HEATMAP_JS = """() => {
  const plot = document.querySelector('.st-key-hs_heatmap .js-plotly-plot');
  const trace = plot._fullData[0];
  // a long title is wrapped for narrow screens: read it as one line
  return {title: plot.layout.title.text.replaceAll('<br>', ' '), z: Array.from(trace.z, row => Array.from(row))};
}"""


TITLE_HAS_JS = """(text) => {
  const plot = document.querySelector('.st-key-hs_heatmap .js-plotly-plot');
  return plot !== null && plot.layout !== undefined && plot.layout.title.text.replaceAll('<br>', ' ').includes(text);
}"""


def open_url(page, server_url: str, path: str) -> None:
    """Opens a page of the app by URL path (query string included) and waits for its script to finish."""
    page.goto(f"{server_url}/{path}", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    page.wait_for_selector(".js-plotly-plot", timeout=FIRST_VISIT_MS)


def test_class_link_opens_the_guide_and_hides_the_model(page, server_url, tmp_path):
    open_url(page, server_url, "Hidden_states?guide=1&hide=model,pattern")
    assert page_problems(page) == []
    steps = len(items("hidden_states.guide", "en"))
    assert page.get_by_text(f"Step 1 of {steps}.").is_visible()  # the guide is open, not just present
    assert page.locator(".st-key-hs_model").count() == 0 and page.locator(".st-key-hs_pattern").count() == 0
    assert page.locator(".st-key-hs_source").count() == 1  # only what the link names is hidden
    page.locator(".st-key-guide_step_hidden_states_next button").click()
    page.get_by_text(f"Step 2 of {steps}.").wait_for(timeout=RERUN_MS)
    wait_for_app(page)
    assert page.get_by_text(f"Step 2 of {steps}.").is_visible()
    save_screenshot(page, tmp_path / "hidden_states_class_link.png")


def test_scrubber_and_csv_export_hold_the_heatmap_values(page, server_url, tmp_path):
    open_url(page, server_url, "Hidden_states")
    latest = page.evaluate(HEATMAP_JS)
    assert "fully trained" in latest["title"]
    page.locator(".st-key-hs_scrub input[type='range']").focus()
    page.keyboard.press("Home")  # the first checkpoint: step 0, the untrained model
    # The rerun may start after a short delay, so wait for the heatmap itself to change, not only for idleness.
    page.wait_for_function(TITLE_HAS_JS, arg="step 0 of", timeout=RERUN_MS, polling=200)
    wait_for_app(page)
    early = page.evaluate(HEATMAP_JS)
    assert "step 0 of" in early["title"], early["title"]
    z_early, z_latest = np.array(early["z"], dtype=float), np.array(latest["z"], dtype=float)
    assert z_early.shape == z_latest.shape and not np.allclose(z_early, z_latest, atol=1e-3)
    assert np.abs(z_early).mean() < np.abs(z_latest).mean()  # untrained states sit nearer 0
    page.get_by_text("Download the recorded states").click()
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-hs_export_csv button").click()
    table = pd.read_csv(io.BytesIO(download.value.path().read_bytes()), keep_default_na=False)
    rows = table[(table["layer"] == 0) & (table["quantity"] == "h")]
    exported = rows.pivot(index="unit", columns="t", values="value").to_numpy()
    np.testing.assert_allclose(exported, z_early, atol=1e-5)  # the file holds what the learner is looking at
    assert page_problems(page) == []
