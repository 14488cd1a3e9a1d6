"""The training lab in real Chromium: a link fills the settings, Start trains with a live loss chart, Pause
stops it, and the page's share link reproduces the run in a fresh session."""

from __future__ import annotations

import re
import time
import urllib.parse

from rnnviz.presets import LAB_DEFAULTS, encode_query

from .conftest import LIVE_TRACE_JS, page_problems, wait_for_app

# A small, fast forecaster with many steps, so it is still training while the test watches.
SETTINGS = {**encode_query(LAB_DEFAULTS["forecast"]), "hidden": "8", "steps": "4000", "seed": "5"}
IDLE_PAUSED_MS = 1500  # while training, the live fragments rerun the page every 0.4-1.5 s; paused, nothing does
STEP = re.compile(r"step (\d+) / (\d+)")
# The last step the loss chart draws: past 300 steps the live chart keeps 300 points (each bucket's extremes and the
# last one), so its point count no longer equals the step.
LOSS_LAST_STEP_JS = f"() => ({LIVE_TRACE_JS})('lab_loss')[1]"


def steps_shown(page) -> int:
    """Returns the step count in the lab's progress bar (0 before the first step)."""
    text = page.locator('[data-testid="stProgress"]').first.inner_text(timeout=30_000)
    match = STEP.search(text)
    return int(match.group(1)) if match else 0


def wait_steps_above(page, n: int, timeout_s: float = 60.0) -> int:
    """Waits until the progress bar shows more than n steps; returns the count."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        shown = steps_shown(page)
        if shown > n:
            return shown
        time.sleep(0.3)
    raise AssertionError(f"the lab stayed at step {n} for {timeout_s:.0f} s")


def test_start_live_loss_pause_and_shared_link(page, server_url):
    page.goto(f"{server_url}/Training_lab?{urllib.parse.urlencode(SETTINGS)}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_ms=120_000)
    assert page.locator(".st-key-lab_hidden input").input_value() == "8"  # the link filled in the settings

    page.locator(".st-key-lab_start button").click()  # by key: Streamlit's own "Stop" shares the toolbar
    first = wait_steps_above(page, 0)
    page.wait_for_function(f"() => ({LOSS_LAST_STEP_JS})() >= {first}", timeout=60_000)
    later = wait_steps_above(page, first + 5)
    page.wait_for_function(f"() => ({LOSS_LAST_STEP_JS})() >= {later}", timeout=60_000)  # the loss chart grew

    page.locator(".st-key-lab_pause button").click()
    page.locator(".st-key-lab_resume button").wait_for(timeout=60_000)
    wait_for_app(page)
    paused_at = steps_shown(page)
    assert "paused" in page.locator('[data-testid="stProgress"]').first.inner_text()
    assert page.evaluate(f"({LOSS_LAST_STEP_JS})()") == paused_at  # the chart stops where the bar does
    assert page_problems(page) == []

    page.get_by_text("Save, restore and share").click()
    code = page.locator('[data-testid="stMain"] [data-testid="stCode"]').filter(has_text="Training_lab?").first.inner_text()
    link = re.search(r"\S*Training_lab\?\S+", code).group(0)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    assert query["hidden"] == "8" and query["seed"] == "5" and query["task"] == "forecast"

    other = page.context.new_page()  # a classmate opening the shared link: a new session
    try:
        other.goto(link if link.startswith("http") else f"{server_url}/{link.lstrip('/')}", wait_until="domcontentloaded")
        wait_for_app(other, timeout_ms=120_000)
        assert other.locator(".st-key-lab_hidden input").input_value() == "8"
        assert other.locator(".st-key-lab_seed input").input_value() == "5"
        assert page_problems(other) == []
    finally:
        other.close()
    assert steps_shown(page) == paused_at, "training went on after Pause"  # seconds later, after the classmate's visit


def one_step(page, expected: int) -> None:
    """Presses One step and waits until the progress bar shows `expected` steps, then checks it stays there."""
    from .conftest import click_button

    click_button(page, "lab_one_step")
    bar = "document.querySelector('[data-testid=\"stProgress\"]')?.innerText"
    page.wait_for_function(f"() => /step {expected} \\//.test({bar})", timeout=30_000)
    # a paused run must not train on by itself: no live refresh reruns the page for several of its intervals
    wait_for_app(page, idle_ms=IDLE_PAUSED_MS)
    assert steps_shown(page) == expected


def test_one_step_adds_exactly_one_step_and_shows_what_changed(page, server_url):
    from .conftest import SCREENSHOTS, save_screenshot

    small = {**SETTINGS, "steps": "300"}
    page.goto(f"{server_url}/Training_lab?{urllib.parse.urlencode(small)}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_ms=120_000)
    one_step(page, 1)
    panel = page.locator(".st-key-lab_step_panel")
    panel.get_by_text("What step 1 changed").wait_for(timeout=30_000)
    one_step(page, 2)
    panel.get_by_text("What step 2 changed").wait_for(timeout=30_000)
    panel.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert panel.locator(".js-plotly-plot").count() == 2  # the gate before/after/difference and the weight moves
    assert page_problems(page) == []
    save_screenshot(page, SCREENSHOTS / "Training_lab_one_step.png", thumb_from=".st-key-lab_step_panel")
