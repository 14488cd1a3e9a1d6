"""Every page of the app in real headless Chromium: renders clean, draws its charts, gets a screenshot.

Pages come from the lesson registry (rnnviz.lessons), so a new lesson is covered the moment it is
registered. Every page is opened in English and in Chinese. Screenshots go to a throwaway folder, or to
docs/screenshots (and docs/screenshots/zh) when `python scripts/screenshots.py` runs these tests on purpose.
"""

from __future__ import annotations

import re

import pytest

from rnnviz.catalog import entries

from .conftest import (
    APP_PAGES,
    FIRST_VISIT_MS,
    SCREENSHOTS,
    AppPage,
    open_page,
    page_problems,
    save_screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.browser
LANGS = ("en", "zh")
CJK = re.compile(r"[\u4e00-\u9fff]")

MIN_CHART_PX = 150  # a drawn chart is at least this wide and tall (a collapsed one is ~0)


def drawn_charts(page) -> tuple[int, list[str]]:
    """Returns (number of charts, problems with any of them not drawn properly): st.plotly_chart elements and the
    live charts (Vega-Lite, plots.vega)."""
    containers = page.locator('[data-testid="stPlotlyChart"]')
    n = containers.count()
    problems = []
    live = page.locator('[data-testid="stVegaLiteChart"]')
    for i in range(live.count()):
        marks = live.nth(i).locator(".marks")
        marks.first.wait_for(state="visible", timeout=10_000)
        size = marks.first.bounding_box()
        if size is None or size["width"] < MIN_CHART_PX or size["height"] < MIN_CHART_PX:
            drawn = f"{round(size['width'])}x{round(size['height'])} px" if size else "invisible"
            problems.append(f"live chart {i + 1} is drawn {drawn}")
    for i in range(n):
        box = containers.nth(i)
        plot = box.locator(".js-plotly-plot")
        if plot.count() == 0:
            problems.append(f"chart {i + 1} has no .js-plotly-plot (plotly never drew it)")
            continue
        size = plot.first.bounding_box()
        if size is None:  # a chart was being redrawn: measure the new one
            plot.first.wait_for(state="visible", timeout=10_000)
            size = plot.first.bounding_box()
        if size is None or size["width"] < MIN_CHART_PX or size["height"] < MIN_CHART_PX:
            problems.append(f"chart {i + 1} is drawn {size and round(size['width'])}x{size and round(size['height'])} px")
        elif plot.first.locator(".main-svg").count() == 0:
            problems.append(f"chart {i + 1} has no SVG layer")
    return n + live.count(), problems


def shot(app_page: AppPage, lang: str):
    """Returns where a page's screenshot goes: <page>.png in English, zh/<page>.png in Chinese."""
    return app_page.screenshot if lang == "en" else SCREENSHOTS / "zh" / app_page.screenshot.name


def sidebar_links(page) -> list[tuple[str, str]]:
    """Returns (text, href) of every page link the sidebar draws."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').evaluate_all(
        "links => links.map(a => [a.innerText.trim().split(\"\\n\").pop().trim(), a.href])")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("app_page", APP_PAGES, ids=[p.name for p in APP_PAGES])
def test_page_renders_clean_with_charts(page, server, app_page, lang):
    page.goto(f"{server.url}/{app_page.url_path}?lang={lang}", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
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
        save_screenshot(page, shot(app_page, lang))
    where = f"{app_page.file} in {lang}"
    assert not problems, f"{where} shows errors:\n" + "\n".join(problems) + "\n--- server log ---\n" + server.log_tail()
    assert not chart_problems, f"{where}: " + "; ".join(chart_problems)
    if app_page.kind == "lesson":  # a lesson teaches with charts; home and the teacher's tools need not
        assert n_charts >= 1, f"{where} draws no chart"
    title = page.title()
    assert title == f"{entries(lang)[f'lessons.{app_page.slug}.title']} · rnnviz", f"{where}: tab title {title!r}"
    h1 = page.locator('[data-testid="stMain"] h1').first.inner_text()
    assert bool(CJK.search(h1)) == (lang == "zh"), f"{where}: the page title {h1!r} is not in {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_sidebar_lists_every_page_in_the_learners_language(page, server, lang):
    page.goto(f"{server.url}/?lang={lang}", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    links = sidebar_links(page)
    paths = [href.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if href.split("?")[0].rstrip("/") != server.url else ""
             for _, href in links]
    assert paths == [p.url_path for p in APP_PAGES], f"sidebar lists {paths}"
    assert [text for text, _ in links] == [entries(lang)[f"lessons.{p.slug}.title"] for p in APP_PAGES]
    assert links[0][0] == ("Home" if lang == "en" else "首页")
    assert all(f"lang={lang}" in href for _, href in links), "every sidebar link carries the language"
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "Streamlit's own list is hidden"


def test_deep_link_on_a_fresh_tab_works(browser, server):
    # A learner following a link lands on a lesson without visiting the home page first, and gets the sidebar.
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        tab = context.new_page()
        open_page(tab, server.url, APP_PAGES[4])
        assert not page_problems(tab)
        assert len(sidebar_links(tab)) == len(APP_PAGES)
    finally:
        context.close()


def test_switching_language_changes_the_lesson_and_survives_navigation(page, server):
    gates = next(p for p in APP_PAGES if p.slug == "gates")
    open_page(page, server.url, gates)
    title_en = page.locator('[data-testid="stPlotlyChart"] .gtitle').first.text_content()
    assert sidebar_links(page)[0][0] == "Home"
    page.locator('[data-testid="stSidebar"] button', has_text="简体中文").first.click()
    wait_for_app(page)
    page.wait_for_function("() => /lang=zh/.test(location.search)")
    assert sidebar_links(page)[0][0] == "首页"
    # Plotly redraws the chart after Streamlit has delivered the new figure: wait for its title to change
    title = "document.querySelector('[data-testid=\"stPlotlyChart\"] .gtitle')?.textContent || ''"
    page.wait_for_function(f"() => /[\\u3400-\\u9fff]/.test({title})", timeout=30_000)
    title_zh = page.locator('[data-testid="stPlotlyChart"] .gtitle').first.text_content()
    assert title_zh != title_en and CJK.search(title_zh), (title_en, title_zh)
    labels = page.locator('[data-testid="stMain"] [data-testid="stWidgetLabel"]').all_inner_texts()
    assert any(CJK.search(label) for label in labels), labels
    # another lesson through the sidebar: still Chinese
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a', has_text="隐状态").first.click()
    page.wait_for_url(re.compile(r"/Hidden_states\?.*lang=zh"))
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    assert CJK.search(page.locator('[data-testid="stMain"] h1').first.inner_text())
