"""The text and language-model page: tokens and vocabulary, Zipf, minibatch strips and perplexity, in AppTest."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import app_test
from test_page_hidden_states import figures

from rnnviz.ui import cache

PAGE = "pages/2_Text_and_language_models.py"


@pytest.fixture(autouse=True)
def tiny_default(monkeypatch):
    """Shrinks the default LM so the perplexity section trains it in well under a second."""
    base = cache.DEFAULT_RUNS["lm"]
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", replace(base, model=replace(base.model, hidden_size=8),
                                                          train=replace(base.train, steps=3)))


def metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def number(text: str) -> float:
    return float(text.replace(",", ""))


def run_page():
    at = app_test(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_draws_every_view_and_the_guide():
    at = run_page()
    figs = figures(at)
    assert {"tl_vocab", "tl_zipf", "tl_sequential", "tl_random", "tl_surprise_text", "tl_surprise_bars"} <= set(figs)
    assert any("Guided lesson" in e.label for e in at.expander)
    assert number(metric(at, "Vocabulary size")) == 28  # 26 letters, the space and <unk>


def test_words_make_a_much_larger_vocabulary_and_zipf_shows_three_n():
    at = run_page()
    chars = number(metric(at, "Vocabulary size"))
    at.radio(key="tl_token").set_value("word").run()
    assert not at.exception
    words = number(metric(at, "Vocabulary size"))
    assert words > 100 * chars
    zipf = figures(at)["tl_zipf"]
    assert len(zipf["data"]) >= 3 and zipf["layout"]["xaxis"]["type"] == "log"


def test_untrained_perplexity_is_near_uniform_guessing():
    at = run_page()
    V = number(metric(at, "Uniform guessing"))
    before = number(metric(at, "Same model before training"))
    assert V == 28 and 0.6 * V < before < 1.6 * V  # an untrained model guesses about uniformly


def test_partition_sliders_change_the_strips():
    at = run_page()
    title = figures(at)["tl_sequential"]["layout"]["title"]["text"]
    at.slider(key="tl_batch").set_value(4).run()
    at.slider(key="tl_steps").set_value(10).run()
    assert not at.exception
    new = figures(at)["tl_sequential"]["layout"]["title"]["text"]
    assert new != title and "4 x 10" in new


def test_a_bad_paste_is_a_message_and_the_page_survives():
    at = run_page()
    at.radio(key="tl_source").set_value("paste").run()
    assert not at.exception and not at.error  # the example text is long enough
    at.text_area(key="tl_paste").set_value("   ").run()
    assert not at.exception and any("empty" in e.value for e in at.error)
    at.text_area(key="tl_paste").set_value("Hi! 42").run()
    assert not at.exception and any("letters" in e.value for e in at.error)
