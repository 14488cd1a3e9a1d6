"""A learner's runs survive in real Chromium: train, pause, reload; a lesson opened by URL in a new tab; a second
server process on the same store folder; a wrong learner code shows nobody's runs.

These tests start their own servers on a temporary store folder (RNNVIZ_DATA_DIR), never the real one.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from rnnviz import runstore

from .conftest import Server, _stop, free_port, live_trace, page_problems, start_app, wait_for_app
from .test_lab_browser import LOSS_LAST_STEP_JS, SETTINGS, steps_shown, wait_steps_above

SIDEBAR_MODEL = '[data-testid="stSidebar"] .st-key-rnnviz_sidebar_active'


def start_server(store: str, log) -> Server:
    """Starts the app on a free port with the given store folder; returns it once healthy."""
    port = free_port() if not os.environ.get("RNNVIZ_TEST_PORT") else int(os.environ["RNNVIZ_TEST_PORT"]) + 1
    return start_app(port, log, {runstore.DATA_ENV: store})


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def store_server(store_dir, tmp_path_factory) -> Iterator[Server]:
    server = start_server(store_dir, tmp_path_factory.mktemp("log") / "first.log")
    try:
        yield server
    finally:
        _stop(server.process)


def loss_points(page) -> int:
    return live_trace(page, "lab_loss")[0]


def learner_of(url: str) -> str | None:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("learner")


def wait_steps(page, expected: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while steps_shown(page) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert steps_shown(page) == expected


def test_reload_new_tab_second_server_and_wrong_token(browser, store_dir, store_server, tmp_path_factory):
    server_url = store_server.url
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    second = None
    try:
        page.goto(f"{server_url}/Training_lab?{urllib.parse.urlencode(SETTINGS)}", wait_until="domcontentloaded")
        wait_for_app(page, timeout_ms=120_000)
        page.locator(".st-key-lab_start button").click()
        wait_steps_above(page, 5)
        page.locator(".st-key-lab_pause button").click()
        page.locator(".st-key-lab_resume button").wait_for(timeout=60_000)
        wait_for_app(page)
        paused_at, points = steps_shown(page), loss_points(page)
        assert paused_at > 5 and page.evaluate(f"({LOSS_LAST_STEP_JS})()") == paused_at  # the chart ends at the bar's step
        page.wait_for_function("() => new URL(location.href).searchParams.get('learner') !== null", timeout=30_000)
        token = learner_of(page.url)
        assert runstore.valid_token(token)
        name = page.locator(SIDEBAR_MODEL).inner_text().strip()

        page.reload(wait_until="domcontentloaded")  # same run, same step, same loss curve
        wait_for_app(page, timeout_ms=120_000)
        wait_steps(page, paused_at)
        assert loss_points(page) == points
        assert page.locator(".st-key-lab_resume button").is_enabled()
        assert page.locator(".st-key-lab_hidden input").input_value() == "8"
        assert learner_of(page.url) == token
        assert page_problems(page) == []
        codes = page.locator('[data-testid="stMain"] [data-testid="stCode"]').all_text_contents()
        hrefs = [h for h in page.locator('[data-testid="stMain"] a[href]').evaluate_all("links => links.map(a => a.href)")
                 if "#" not in h]  # headings' anchors point into this very page (its address), not a shared link
        assert sum("Training_lab?" in c for c in codes) >= 2  # the share link and the class link
        assert not [c for c in codes + hrefs if token in c]  # neither carries the learner's code
        assert token in page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.text_content()

        tab = context.new_page()  # a lesson opened by its URL in a new tab: the learner's model is offered
        tab.goto(f"{server_url}/Hidden_states?learner={token}", wait_until="domcontentloaded")
        tab.locator(SIDEBAR_MODEL).get_by_text(name).wait_for(timeout=60_000)
        tab.close()

        second = start_server(store_dir, tmp_path_factory.mktemp("log") / "second.log")
        other = context.new_page()  # another server process on the same store folder
        other.goto(f"{second.url}/Training_lab?learner={token}", wait_until="domcontentloaded")
        wait_for_app(other, timeout_ms=120_000)
        wait_steps(other, paused_at)
        assert other.locator(SIDEBAR_MODEL).inner_text().strip() == name
        assert other.locator(".st-key-lab_hidden input").input_value() == "8"  # the lab shows the run's settings
        other.close()

        stranger = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        try:
            for wrong in (runstore.new_token(), token[:-1] + ("A" if token[-1] != "A" else "B"), "../" + token):
                stranger.goto(f"{server_url}/Training_lab?learner={urllib.parse.quote(wrong)}",
                              wait_until="domcontentloaded")
                wait_for_app(stranger, timeout_ms=120_000)
                assert stranger.locator(SIDEBAR_MODEL).count() == 0
                assert stranger.locator('[data-testid="stProgress"]').count() == 0
                assert stranger.get_by_text("No model trained yet").count() == 1
        finally:
            stranger.context.close()
    finally:
        if second is not None:
            _stop(second.process)
        context.close()

