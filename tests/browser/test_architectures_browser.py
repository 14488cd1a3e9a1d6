"""The architectures lesson in real Chromium: the shape table, then a live encoder-decoder burst redraws its charts."""

from __future__ import annotations

from .conftest import FIRST_VISIT_MS, page_problems, save_screenshot, wait_for_app

STEPS_JS = """() => {
  const plot = document.querySelector('.st-key-arch_s2s_curve .js-plotly-plot');
  return plot ? Array.from(plot._fullData[0].y).length : 0;
}"""


def test_pressing_train_trains_the_encoder_decoder_and_redraws(page, server_url, tmp_path):
    page.goto(f"{server_url}/Deep_and_bidirectional", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    page.wait_for_selector(".st-key-arch_s2s_diagram .js-plotly-plot", timeout=FIRST_VISIT_MS)
    assert page_problems(page) == []
    assert page.evaluate(STEPS_JS) == 0  # nothing trained yet: no curve
    page.locator(".st-key-arch_s2s_train button").click()
    page.wait_for_selector(".st-key-arch_s2s_curve .js-plotly-plot", timeout=FIRST_VISIT_MS)
    wait_for_app(page)
    first = page.evaluate(STEPS_JS)
    assert first > 0
    page.locator(".st-key-arch_s2s_train button").click()
    page.wait_for_function(f"() => ({STEPS_JS})() > {first}", timeout=FIRST_VISIT_MS)
    assert page_problems(page) == [] and page.locator('[data-testid="stException"]').count() == 0
    save_screenshot(page, tmp_path / "architectures.png")
