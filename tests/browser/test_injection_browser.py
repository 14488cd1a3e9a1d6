"""Markdown injection through links, in real Chromium: a value from the URL is shown as text, never as a live
link or image, and a one-word review keeps the hidden-state lesson on the page."""

from __future__ import annotations

import urllib.parse

import pytest

from .conftest import FIRST_VISIT_MS, wait_for_app

EVIL = "evil.example"
LINK = "[Session expired: log in](https://evil.example)"
REVIEW = "great ![p](http://evil.example/p.png) [x](https://evil.example) <img src=x onerror=alert(1)>"
ERROR_BOX = '[data-testid="stAlertContentError"]'
# Links and images that came from the input: pointing at the payload's host, or the payload's bare 'x'. (The app's
# own class links carry the value percent-encoded in their query; their host is the app's.)
INJECTED_JS = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
           .filter(h => new URL(h, location.href).hostname.includes('evil')),
  images: [...document.querySelectorAll('img[src]')].map(i => i.getAttribute('src'))
           .filter(s => s === 'x' || new URL(s, location.href).hostname.includes('evil')),
})"""


def _open(page, server_url: str, path: str, params: dict[str, str], must_show: str) -> list[str]:
    """Opens a page with query parameters, waits for an element it must show, returns requests made to the
    payload's host (blocked, so nothing leaves the machine)."""
    fetched: list[str] = []

    def block(route):
        fetched.append(route.request.url)
        route.abort()

    page.route(lambda url: EVIL in (urllib.parse.urlsplit(url).hostname or ""), block)
    page.goto(f"{server_url}/{path}?{urllib.parse.urlencode(params)}", wait_until="domcontentloaded",
              timeout=FIRST_VISIT_MS)
    page.wait_for_selector(must_show, timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    return fetched


def _assert_inert(page, fetched: list[str]) -> None:
    injected = page.evaluate(INJECTED_JS)
    assert injected == {"links": [], "images": []}, injected
    assert fetched == []
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_lab_link_value_is_shown_as_text(page, server_url):
    fetched = _open(page, server_url, "Training_lab", {"cell": LINK}, ERROR_BOX)
    _assert_inert(page, fetched)
    message = page.locator(ERROR_BOX).first.inner_text().replace("\u200b", "")  # invisible breaks in bare URLs
    # the value as typed (a long value is cut to its first 40 characters, with "...")
    assert "[Session expired: log in](https://evi" in message


def test_a_hidden_review_from_a_link_is_shown_as_text(page, server_url):
    fetched = _open(page, server_url, "Sentiment", {"review": REVIEW, "hide": "review"},
                    '[data-testid="stMarkdownContainer"] blockquote')
    page.wait_for_selector(".st-key-sent_words .js-plotly-plot", timeout=FIRST_VISIT_MS)
    _assert_inert(page, fetched)
    quote = page.locator('[data-testid="stMarkdownContainer"] blockquote').first.inner_text().replace("\u200b", "")
    assert "![p](http://evil.example/p.png)" in quote and "<img src=x onerror=alert(1)>" in quote


@pytest.mark.parametrize("review", [REVIEW, "great"], ids=["payload", "one word"])
def test_hidden_states_reads_a_linked_review_as_text_and_keeps_the_lesson(page, server_url, review):
    fetched = _open(page, server_url, "Hidden_states", {"reads": "review", "review": review},
                    ".st-key-hs_heatmap .js-plotly-plot")
    _assert_inert(page, fetched)
    if review == "great":  # too short to read: a message, and the lesson goes on with the example review
        assert "at least 2 words" in page.locator(ERROR_BOX).first.inner_text()
        assert page.locator(".js-plotly-plot").count() >= 3
