"""Every page of the app in real headless Chromium: renders clean, draws its charts, gets a screenshot.

Pages are discovered from pages/ (plus the home page), so a new lesson is covered the moment it
lands. Screenshots go to docs/screenshots/<page>.png, overwritten each run; the README shows them.
"""

from __future__ import annotations

import pytest

from rnnviz.ui.home import TEACHER_TOOLS

from .conftest import (
    APP_PAGES,
    GALLERY_END,
    GALLERY_START,
    README,
    SCREENSHOTS,
    open_page,
    page_problems,
    save_screenshot,
    write_readme_gallery,
)

pytestmark = pytest.mark.browser
TOOLS = {page for page, *_ in TEACHER_TOOLS}  # a teacher's tool (the class board) is empty until a class trains

MIN_CHART_PX = 150  # a drawn chart is at least this wide and tall (a collapsed one is ~0)


def drawn_charts(page) -> tuple[int, list[str]]:
    """Returns (number of st.plotly_chart elements, problems with any of them not drawn properly)."""
    containers = page.locator('[data-testid="stPlotlyChart"]')
    n = containers.count()
    problems = []
    for i in range(n):
        box = containers.nth(i)
        plot = box.locator(".js-plotly-plot")
        if plot.count() == 0:
            problems.append(f"chart {i + 1} has no .js-plotly-plot (plotly never drew it)")
            continue
        size = plot.first.bounding_box()
        if size is None:  # a live chart (the home page's preview) was being redrawn: measure the new one
            plot.first.wait_for(state="visible", timeout=10_000)
            size = plot.first.bounding_box()
        if size is None or size["width"] < MIN_CHART_PX or size["height"] < MIN_CHART_PX:
            problems.append(f"chart {i + 1} is drawn {size and round(size['width'])}x{size and round(size['height'])} px")
        elif plot.first.locator(".main-svg").count() == 0:
            problems.append(f"chart {i + 1} has no SVG layer")
    return n, problems


@pytest.mark.parametrize("app_page", APP_PAGES, ids=[p.name for p in APP_PAGES])
def test_page_renders_clean_with_charts(page, server, app_page):
    open_page(page, server.url, app_page)
    n_charts = page.locator('[data-testid="stPlotlyChart"]').count()
    if n_charts:
        # plotly draws asynchronously after Streamlit is done: wait until every chart has its plot div
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot').length >= n",
            arg=n_charts, timeout=30_000)
    try:
        problems = page_problems(page)
        n_charts, chart_problems = drawn_charts(page)
    finally:
        save_screenshot(page, app_page.screenshot)
    where = f"{app_page.file} (screenshot {app_page.screenshot.relative_to(SCREENSHOTS.parents[1])})"
    assert not problems, f"{where} shows errors:\n" + "\n".join(problems) + "\n--- server log ---\n" + server.log_tail()
    assert not chart_problems, f"{where}: " + "; ".join(chart_problems)
    if app_page.url_path and app_page.file not in TOOLS:  # a lesson teaches with charts; home and tools need not
        assert n_charts >= 1, f"{where} draws no Plotly chart"
    title = page.title()
    assert "rnnviz" in title, f"{where}: browser tab title {title!r} (setup_page sets '<title> · rnnviz')"


def test_sidebar_lists_every_page(page, server):
    open_page(page, server.url, APP_PAGES[0])
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()
    hrefs = page.locator('[data-testid="stSidebarNav"] a').evaluate_all("links => links.map(a => a.href)")
    listed = {h.rstrip("/").rsplit("/", 1)[-1] if h.rstrip("/") != server.url else "" for h in hrefs}
    expected = {p.url_path for p in APP_PAGES}
    assert listed == expected, f"sidebar lists {sorted(listed)}, pages/ holds {sorted(expected)}"


@pytest.mark.parametrize("app_page", APP_PAGES[1:2], ids=["deep link"])
def test_deep_link_on_a_fresh_tab_works(browser, server, app_page):
    # A learner following a link lands on a lesson without visiting the home page first.
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        tab = context.new_page()
        open_page(tab, server.url, app_page)
        assert not page_problems(tab)
        assert tab.locator('[data-testid="stSidebarNav"]').count() == 1
    finally:
        context.close()


def test_readme_gallery_shows_every_page():
    # Last in this file: every page has just been photographed. The README's section is rewritten
    # from the pages found, so a new lesson appears in the README without anyone editing it.
    missing = [p.name for p in APP_PAGES if not (p.screenshot.exists() and p.screenshot.with_name(
        f"{p.name}_top.png").exists())]
    assert not missing, f"no screenshot for {missing} (their page test failed before taking one?)"
    readme = README.read_text(encoding="utf-8") if README.exists() else ""
    if GALLERY_START not in readme or GALLERY_END not in readme:
        pytest.skip("README.md has no <!-- screenshots:start/end --> markers")
    write_readme_gallery(APP_PAGES)
    section = README.read_text(encoding="utf-8").split(GALLERY_START)[1].split(GALLERY_END)[0]
    assert all(f"docs/screenshots/{p.name}" in section for p in APP_PAGES)
