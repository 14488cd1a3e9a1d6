"""Every page at a projector's 1024x768, a laptop's 1400 px and a phone's 390 px, in real Chromium.

One tab per page, opened once and resized (the script does not rerun, so the added time is the
redraws): at 1024 and 1400 px no button label is cut off and no chart title runs past its chart;
at 390 px nothing makes the page scroll sideways. Screenshots at 1024x768 go to /tmp/rnnviz_layouts.
"""

from __future__ import annotations

import pytest

from .conftest import APP_PAGES, SCREENSHOTS, open_page, page_problems, save_screenshot, wait_for_app
from .test_lab_browser import steps_shown

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "layouts"
PROJECTOR = {"width": 1024, "height": 768}
WIDE = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}

# Button labels and widget labels whose text does not fit: the browser cut them with an ellipsis.
CUT_LABELS_JS = """() => {
  const cut = [];
  const shown = el => el.offsetParent && el.getClientRects().length && el.innerText.trim();
  const boxes = document.querySelectorAll(
    '[data-testid="stMain"] button, [data-testid="stMain"] .stMarkdownEllipsis, [data-testid="stMain"] label');
  for (const b of boxes) {
    if (!shown(b)) continue;
    for (const el of [b, ...b.querySelectorAll('*')]) {
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && shown(el)) {
        cut.push(b.innerText.trim().slice(0, 40)); break;
      }
    }
  }
  return [...new Set(cut)];
}"""

# Chart titles (and subtitles) that run past the left or right edge of their chart.
CUT_TITLES_JS = """() => {
  const cut = [];
  for (const plot of document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')) {
    const svg = plot.querySelector('.main-svg');
    if (!svg || !plot.offsetParent) continue;
    const box = svg.getBoundingClientRect();
    for (const t of plot.querySelectorAll('.gtitle, .g-gtitle text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.right > box.right + 1 || r.left < box.left - 1)) cut.push(t.textContent.slice(0, 60));
    }
  }
  // a live chart (plots.vega): Vega ends a title, an axis title or a legend label it had to cut with "…"
  for (const t of document.querySelectorAll('[data-testid="stMain"] [data-testid="stVegaLiteChart"] text')) {
    const role = t.closest('g[class]')?.getAttribute('class') || '';
    const words = /role-(title-text|axis-title|legend-label)/.test(role);
    if (words && t.textContent.endsWith('…')) cut.push(t.textContent.slice(0, 60));
  }
  return cut;
}"""

# Plotly and Vega (the live charts) redraw charts after a resize: wait until every drawn chart is as wide as its
# container.
CHARTS_FIT_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')]
  .filter(p => p.offsetParent)
  .every(p => { const s = p.querySelector('.main-svg');
                return s && Math.abs(s.getBoundingClientRect().width - p.getBoundingClientRect().width) <= 2; })
  && [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stVegaLiteChart"]')]
  .filter(c => c.offsetParent)
  .every(c => { const s = c.querySelector('.marks');
                return s && Math.abs(s.getBoundingClientRect().width - c.getBoundingClientRect().width) <= 2; })"""

# Sideways scrolling of the page itself (a block that scrolls inside itself, such as a formula, is fine).
OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const doc = document.documentElement;
  const wide = [];
  if (doc.scrollWidth > window.innerWidth + 1) wide.push(`document ${doc.scrollWidth}px`);
  if (main && main.scrollWidth > main.clientWidth + 1) {
    const limit = main.getBoundingClientRect().right;
    for (const el of main.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > limit + 1 && r.width > 0) {
        wide.push(`${el.tagName.toLowerCase()}.${String(el.className).slice(0, 40)} ends at ${Math.round(r.right)}px`);
        if (wide.length > 4) break;
      }
    }
    wide.unshift(`main ${main.scrollWidth}px in ${main.clientWidth}px`);
  }
  return wide;
}"""


def resize(page, size: dict) -> None:
    """Sets the viewport and waits until Streamlit is idle and every chart has been redrawn to its new width."""
    page.set_viewport_size(size)
    wait_for_app(page, idle_ms=300)
    page.wait_for_function(CHARTS_FIT_JS, timeout=30_000, polling=100)


def fit_problems(page, where: str) -> list[str]:
    """Returns the cut labels and chart titles of the page as it is now."""
    return ([f"{where}: label cut: {t!r}" for t in page.evaluate(CUT_LABELS_JS)]
            + [f"{where}: chart title past its chart: {t!r}" for t in page.evaluate(CUT_TITLES_JS)])


@pytest.mark.parametrize("app_page", APP_PAGES, ids=[p.name for p in APP_PAGES])
def test_page_fits_a_projector_a_laptop_and_a_phone(browser, server, app_page):
    context = browser.new_context(viewport=PROJECTOR)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_page(page, server.url, app_page)
        resize(page, PROJECTOR)
        problems = page_problems(page) + fit_problems(page, "1024 px")
        save_screenshot(page, SHOTS / f"{app_page.name}_1024.png")
        resize(page, WIDE)
        problems += fit_problems(page, "1400 px")
        resize(page, PHONE)
        problems += [f"390 px: the page scrolls sideways: {w}" for w in page.evaluate(OVERFLOW_JS)]
        save_screenshot(page, SHOTS / f"{app_page.name}_390.png")
        assert not problems, f"{app_page.file}:\n" + "\n".join(problems)
    finally:
        context.close()


def _lab_preset(page, server_url: str) -> None:
    """Opens the lab on the d2l GRU preset's link and presses Start (lesson speed, the preset default)."""
    import urllib.parse

    from rnnviz.presets import PRESETS_BY_SLUG, encode_query

    query = urllib.parse.urlencode(encode_query(PRESETS_BY_SLUG["d2l-gru"].cfg))
    page.goto(f"{server_url}/Training_lab?{query}", wait_until="domcontentloaded")
    wait_for_app(page, timeout_ms=120_000)
    page.locator(".st-key-lab_start button").click()
    page.wait_for_function("() => /step [1-9]\\d* \\//.test(document.querySelector('[data-testid=\"stProgress\"]')"
                           "?.innerText || '')", timeout=60_000, polling=200)


# Counts, frame by frame, the animation frames in which a live chart of the lab is not drawn (missing or flat);
# a chart is Vega's (.marks) or, as it was, Plotly's (.main-svg).
BLANK_FRAMES_JS = """ms => new Promise(done => {
  const start = performance.now(); let frames = 0, blank = 0;
  const look = () => {
    const drawn = ['lab_loss', 'lab_grad'].filter(key => [...document.querySelectorAll(
      `.st-key-${key} .marks, .st-key-${key} .main-svg`)].some(m => m.getBoundingClientRect().height > 10)).length;
    frames += 1; blank += drawn < 2 ? 1 : 0;
    if (performance.now() - start < ms) requestAnimationFrame(look); else done([frames, blank]);
  };
  requestAnimationFrame(look);
})"""


def test_the_lab_at_lesson_speed_on_a_projector_redraws_its_charts_in_place(browser, server):
    context = browser.new_context(viewport=PROJECTOR)
    try:
        page = context.new_page()
        _lab_preset(page, server.url)
        text = page.locator('[data-testid="stProgress"]').first.inner_text()
        assert "lesson speed" in text, text
        page.locator(".st-key-lab_story").wait_for(timeout=60_000)  # the sample history has its first steps
        assert page.locator(".st-key-lab_speed").count() == 1
        problems = page_problems(page) + fit_problems(page, "1024 px, training")
        page.locator(".st-key-lab_controls").scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "Training_lab_lesson_1024.png"))
        assert not problems, "\n".join(problems)
        # Refreshed charts are updated where they stand: a chart remounted at each refresh (a Plotly chart whose
        # figure changed, in Streamlit 1.67) was blank for 20-180 ms twice a second.
        before = steps_shown(page)
        frames, blank = page.evaluate(BLANK_FRAMES_JS, 4000)
        after = steps_shown(page)
        assert after > before, f"the lab did not refresh while the probe watched (step {before} -> {after})"
        assert blank == 0, f"the live charts were blank in {blank} of {frames} frames while they refreshed"
    finally:
        context.close()


# The controls' and the live loss chart's tops, read in one go (a refresh between two reads cannot split them).
TOPS_JS = """() => {
  const controls = document.querySelector('.st-key-lab_controls');
  const chart = document.querySelector('.st-key-lab_loss .marks');
  if (!controls || !chart || chart.getBoundingClientRect().height <= 10) return null;
  return [controls.getBoundingClientRect().y, chart.getBoundingClientRect().y];
}"""


def test_on_a_phone_the_lab_shows_start_and_the_live_chart_together(browser, server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        _lab_preset(page, server.url)
        page.locator(".st-key-lab_loss .marks").first.wait_for(timeout=60_000)
        page.evaluate("() => document.querySelector('.st-key-lab_controls').scrollIntoView({block: 'start'})")
        start, plot = page.wait_for_function(TOPS_JS, timeout=30_000, polling=100).json_value()
        page.screenshot(path=str(SHOTS / "Training_lab_phone_training.png"))
        assert plot - start < PHONE["height"] - 150, (
            f"the live chart starts {plot - start:.0f} px below the controls on a {PHONE['height']} px screen")
    finally:
        context.close()
