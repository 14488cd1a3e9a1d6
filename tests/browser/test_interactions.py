"""The main interactions in real headless Chromium: train live and stop, change the architecture, bad uploads.

AppTest never fires `run_every` timers, so live training is only proven here. Widgets are found
by key (`.st-key-<key>`): Streamlit shows its own "Stop" while a script runs.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .conftest import (
    ROOT,
    SCREENSHOTS,
    click_button,
    find_page,
    live_trace,
    open_page,
    page_problems,
    save_screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser

LAB = find_page("Training_lab")
CHARTS = '[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]'  # Plotly's, and the live charts (plots.vega)
STEP = re.compile(r"step (\d+) / (\d+)")
LIVE_TIMEOUT_S = 90  # a loaded 2-core CI box: the first ticks may take a while


def need(app_page, what: str):
    if app_page is None:
        pytest.skip(f"{what} has not landed in pages/ yet")
    return app_page


def progress_step(page) -> int | None:
    """Returns the step the lab's progress bar shows, if it shows one."""
    bar = page.locator('[data-testid="stProgress"]')
    if bar.count() == 0:
        return None
    match = STEP.search(bar.first.inner_text())
    return int(match.group(1)) if match else None


def wait_for_step_above(page, floor: int, timeout_s: float = LIVE_TIMEOUT_S) -> int:
    """Waits (without waiting for the app to be idle: a live fragment keeps it busy) until step > floor."""
    deadline = time.monotonic() + timeout_s
    step = None
    while time.monotonic() < deadline:
        step = progress_step(page)
        if step is not None and step > floor:
            return step
        page.wait_for_timeout(250)
    raise AssertionError(f"the lab's step counter stayed at {step} (wanted > {floor}) for {timeout_s} s")


def select_option(page, key: str, label: str) -> None:
    """Picks an option of the keyed st.selectbox by its visible label and waits for the rerun."""
    page.locator(f'.st-key-{key} [role="combobox"]').first.click()  # react-aria combobox in streamlit 1.67
    page.locator('[role="option"]').filter(has_text=label).first.click()
    wait_for_app(page)


def test_training_starts_streams_and_stops(page, server):
    lab = need(LAB, "the training lab")
    open_page(page, server.url, lab)
    assert page.locator(".st-key-lab_start button").is_enabled()
    page.locator(".st-key-lab_start button").click()

    # the run_every fragment ticks in the browser: the counter and the loss chart keep moving
    first = wait_for_step_above(page, 0)
    later = wait_for_step_above(page, first)
    assert later > first
    page.wait_for_selector(".st-key-lab_pause button", timeout=30_000)
    assert page.locator('.st-key-lab_loss [data-testid="stVegaLiteChart"]').count() == 1

    click_button(page, "lab_pause")
    stopped = progress_step(page)
    assert stopped is not None and stopped >= later
    wait_for_app(page, idle_ms=2500)  # no live refresh reruns the page for several of its intervals
    assert progress_step(page) == stopped, "training went on after Pause"
    assert "paused" in page.locator('[data-testid="stProgress"]').first.inner_text()
    assert live_trace(page, "lab_loss")[0] >= 1, "the loss chart is empty after training"
    assert page.locator(".st-key-lab_resume button").is_enabled()
    problems = page_problems(page)
    save_screenshot(page, SCREENSHOTS / "Training_lab_paused.png", thumb_from='[data-testid="stProgress"]')
    assert not problems, "\n".join(problems) + "\n--- server log ---\n" + server.log_tail()


def test_change_architecture_in_the_lab(page, server):
    lab = need(LAB, "the training lab")
    open_page(page, server.url, lab)
    select_option(page, "lab_cell", "LSTM")
    page.locator(".st-key-lab_start button").click()
    wait_for_step_above(page, 0)
    page.wait_for_selector(".st-key-lab_pause button", timeout=30_000)
    click_button(page, "lab_pause")
    # the sidebar's "Model to inspect" now names the learner's run, which must be the LSTM just chosen
    chosen = page.locator('[data-testid="stSidebar"] input[role="combobox"]').first.input_value()
    assert "LSTM" in chosen, f"the run trained after choosing LSTM is named {chosen!r}"
    problems = page_problems(page)
    assert not problems, "\n".join(problems) + "\n--- server log ---\n" + server.log_tail()


@pytest.mark.parametrize("stem, key, option, expect", [("Gates", "gt_model", "LSTM", "forget")],
                         ids=["gates: GRU -> LSTM"])
def test_change_architecture_redraws_the_lesson(page, server, stem, key, option, expect):
    lesson = need(find_page(stem), f"the {stem} lesson")
    open_page(page, server.url, lesson)
    if page.locator(f".st-key-{key}").count() == 0:
        pytest.skip(f"{lesson.file} has no model chooser with key {key!r}")
    select_option(page, key, option)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot').length"
                           " === document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length", timeout=30_000)
    text = page.locator('[data-testid="stMain"]').inner_text().lower()
    assert expect in text, f"after choosing {option} the page never mentions the '{expect}' gate"
    problems = page_problems(page)
    assert not problems, "\n".join(problems) + "\n--- server log ---\n" + server.log_tail()


# --- uploads ---------------------------------------------------------------------------------------

BAD_FILES = {
    "csv": ("not_numbers.csv", b"name,colour\n" + b"ada,red\n" * 30),
    "txt": ("binary.txt", bytes(range(256)) * 8),
    "pt": ("someone_elses.pt", b"PK\x03\x04 this is not a checkpoint" + bytes(64)),
    "json": ("not_a_run.json", b'{"epoch": 3}'),
}


def uploader_pages() -> list:
    """Returns the pages whose source, or an rnnviz.ui module they import, draws an st.file_uploader."""
    found = []
    for app_page in [p for p in (find_page(s) for s in _page_stems()) if p is not None]:
        source = (ROOT / app_page.file).read_text(encoding="utf-8")
        modules = re.findall(r"from rnnviz\.ui import ([\w, ]+)", source) + re.findall(r"rnnviz\.ui\.(\w+)", source)
        names = {n.strip().split(" as ")[0] for group in modules for n in group.split(",")}
        texts = [source] + [(ROOT / "rnnviz" / "ui" / f"{n}.py").read_text(encoding="utf-8")
                            for n in names if (ROOT / "rnnviz" / "ui" / f"{n}.py").exists()]
        if any("file_uploader" in t or "uploader(" in t for t in texts):  # st.file_uploader or uploads.uploader
            found.append(app_page)
    return found


def _page_stems() -> list[str]:
    return [Path(p).stem for p in sorted((ROOT / "pages").glob("*.py"))]


UPLOAD_PAGES = uploader_pages()


@pytest.mark.parametrize("app_page", UPLOAD_PAGES or [None], ids=[p.name for p in UPLOAD_PAGES] or ["none yet"])
def test_bad_upload_shows_a_message_and_keeps_the_page(page, server, app_page):
    app_page = need(app_page, "a page with an upload")
    open_page(page, server.url, app_page)
    inputs = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if inputs.count() == 0:  # the upload is one choice of a select box (Forecasting: where the series comes from)
        for box in page.locator('[data-testid="stSelectbox"]').all():
            box.click()
            page.locator('[role="option"]').first.wait_for()  # the list is open
            option = page.locator('[role="option"]', has_text=re.compile("upload", re.IGNORECASE))
            if option.count():
                option.first.click()
                wait_for_app(page)
                break
            page.keyboard.press("Escape")
    if inputs.count() == 0:  # uploads often sit in a collapsed expander
        for summary in page.locator('[data-testid="stExpander"] summary').all():
            summary.click()
    inputs.first.wait_for(state="attached")
    assert inputs.count() >= 1, f"{app_page.file} draws no file uploader in the browser"
    for i in range(inputs.count()):
        charts_before = page.locator(CHARTS).count()
        accept = (inputs.nth(i).get_attribute("accept") or ".csv").lower()
        ext = next((e for e in BAD_FILES if f".{e}" in accept), "csv")
        name, data = BAD_FILES[ext]
        inputs.nth(i).set_input_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
        errors = page.locator('[data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]')
        errors.first.wait_for(timeout=60_000)  # the upload lands and the rerun says what is wrong with it
        wait_for_app(page)
        assert errors.count() >= 1, f"{app_page.file}: uploading {name} showed no message"
        assert page.locator('[data-testid="stException"]').count() == 0, page_problems(page)
        assert page.locator(CHARTS).count() >= charts_before, "charts vanished after a bad upload"
        message = errors.first.inner_text()
        assert len(message) > 20 and "Traceback" not in message, message
        errors.first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{app_page.name}_bad_upload.png"), full_page=False)
