"""The sentiment lesson in real Chromium: it opens, a typed review redraws the word chart, a bad one is a message."""

from __future__ import annotations

from .conftest import FIRST_VISIT_MS, RERUN_MS, page_problems, save_screenshot, wait_for_app

WORD_CHART_JS = """() => {
  const plot = document.querySelector('.st-key-sent_words .js-plotly-plot');
  return {x: Array.from(plot._fullData[0].y).length, ticks: Array.from(plot.layout.xaxis2.ticktext)};
}"""


def _type_review(page, text: str, done_js: str) -> None:
    """Types a review, sends it, and waits until done_js holds (the rerun may start a moment after the key)."""
    box = page.locator(".st-key-sent_review textarea")
    box.fill(text)
    box.press("Control+Enter")  # a text area sends its value on Ctrl+Enter (or when it loses focus)
    page.wait_for_function(done_js, timeout=RERUN_MS, polling=200)
    wait_for_app(page)


def test_typing_a_review_redraws_the_word_chart_without_errors(page, server_url, tmp_path):
    page.goto(f"{server_url}/Sentiment", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)  # the first visit trains the small default models
    page.wait_for_selector(".st-key-sent_words .js-plotly-plot", timeout=FIRST_VISIT_MS)
    assert page.locator(".js-plotly-plot").count() == 6  # the word chart, the swings, the long review (2), held-out (2)
    assert page_problems(page) == []
    save_screenshot(page, tmp_path / "sentiment.png")
    before = page.evaluate(WORD_CHART_JS)

    _type_review(page, "the acting was brilliant but the plot was a mess",
                 f"() => ({WORD_CHART_JS})().ticks.includes('brilliant')")
    after = page.evaluate(WORD_CHART_JS)
    assert after["ticks"] == ["the", "acting", "was", "brilliant", "but", "the", "plot", "was", "a", "mess"]
    assert after["x"] == 10 and after != before
    assert page_problems(page) == []

    _type_review(page, "   ", """() => document.querySelector('[data-testid="stAlertContentError"]') !== null""")
    problems = page_problems(page)
    assert len(problems) == 1 and "at least one word" in problems[0]
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.evaluate(WORD_CHART_JS)["ticks"] == after["ticks"]  # the last good review is still shown
