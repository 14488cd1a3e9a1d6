"""The text lesson in real Chromium: it opens with every chart, and switching to words redraws the vocabulary."""

from __future__ import annotations

from .conftest import FIRST_VISIT_MS, RERUN_MS, page_problems, save_screenshot, wait_for_app

VOCAB_JS = """() => {
  const m = Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
    .find(el => el.innerText.includes('Vocabulary size'));
  return m ? m.querySelector('[data-testid="stMetricValue"]').innerText : null;
}"""


def test_switching_to_words_redraws_the_vocabulary(page, server_url, tmp_path):
    page.goto(f"{server_url}/Text_and_language_models", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    page.wait_for_selector(".st-key-tl_surprise_bars .js-plotly-plot", timeout=FIRST_VISIT_MS)
    assert page_problems(page) == []
    assert page.locator(".js-plotly-plot").count() == 6
    assert page.evaluate(VOCAB_JS) == "28"
    save_screenshot(page, tmp_path / "text.png")

    page.locator(".st-key-tl_token label").filter(has_text="words").click()
    page.wait_for_function(f"() => ({VOCAB_JS})() !== '28'", timeout=RERUN_MS, polling=200)
    wait_for_app(page)
    assert int(page.evaluate(VOCAB_JS).replace(",", "")) > 1000
    assert page_problems(page) == [] and page.locator('[data-testid="stException"]').count() == 0
