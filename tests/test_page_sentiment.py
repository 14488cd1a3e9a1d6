"""The sentiment page runs alone, redraws the word chart for a typed review and turns bad reviews into messages."""

from __future__ import annotations

import json
import re

import pytest
from conftest import app_test, reveal, revealed, select_point

import rnnviz.ui.sentiment as sentiment_ui


@pytest.fixture(autouse=True)
def _tiny_defaults(monkeypatch):
    # AppTest runs the page in this process, so these module globals size the default models it trains (fast);
    # the real sizes are checked for accuracy in test_sentiment_lesson.py.
    monkeypatch.setattr(sentiment_ui, "DEFAULT_HIDDEN", 8)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_STEPS", 20)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_EMBED", 8)


def _charts(at) -> dict[str, dict]:
    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return {f["layout"]["title"]["text"].replace("<br>", " "): f for f in figs}  # a long title wraps


def _word_ticks(at) -> list[str]:
    fig = next(f for title, f in _charts(at).items() if "after each word" in title)
    return fig["layout"]["xaxis2"]["ticktext"]


def test_page_runs_and_shows_the_word_chart_the_long_review_and_held_out_scores():
    at = app_test("pages/9_Sentiment.py")
    at.run()
    assert not at.exception
    titles = list(_charts(at))
    assert len(titles) == 6
    assert any("after each word" in t for t in titles)
    assert any("moved P(positive)" in t for t in titles)
    assert any("opening is left" in t for t in titles)
    assert any("both openings" in t for t in titles)
    assert any("accuracy per source" in t for t in titles)
    assert any("diagonal is right" in t for t in titles)
    assert len(at.latex) == 2 and "z_t" in at.latex[0].value  # the default GRU's own formula


def test_typing_a_review_redraws_the_word_chart():
    at = app_test("pages/9_Sentiment.py")
    at.run()
    before = _word_ticks(at)
    at.text_area(key="sent_review").set_value("the plot was terrible").run()
    assert not at.exception and not at.error
    after = _word_ticks(at)
    assert after == ["the", "plot", "was", "terrible"] and after != before


@pytest.mark.parametrize("text, needle", [("", "at least one word"), ("zzzqqq xxyyq", "None of these words"),
                                          ("good " * 130, "130 words")],
                         ids=["empty", "all-unknown", "too-long"])
def test_a_bad_review_shows_a_message_and_keeps_the_last_good_chart(text, needle):
    at = app_test("pages/9_Sentiment.py")
    at.run()
    at.text_area(key="sent_review").set_value("the plot was terrible").run()
    at.text_area(key="sent_review").set_value(text).run()
    assert not at.exception
    assert any(needle in e.value for e in at.error)
    assert _word_ticks(at) == ["the", "plot", "was", "terrible"]  # what the learner had stays
    assert len(at.get("plotly_chart")) == 6


def test_switching_source_and_cell_changes_the_models():
    at = app_test("pages/9_Sentiment.py")
    at.run()
    at.selectbox(key="sent_source").set_value("yelp").run()
    assert not at.exception
    assert at.text_area(key="sent_review").value == sentiment_ui.EXAMPLE_REVIEWS["yelp"]  # the example follows
    at.selectbox(key="sent_model").set_value("default RNN (tanh)").run()
    assert not at.exception
    assert "tanh" in at.latex[0].value and "z_t" not in at.latex[0].value
    assert any("Default RNN (tanh)" in t for t in _charts(at))


def test_the_learners_own_sentiment_model_is_offered_and_read():
    from rnnviz.config import ModelConfig, RunConfig, SentimentConfig, TrainConfig
    from rnnviz.data import build_sentiment
    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun
    from rnnviz.ui.store import ACTIVE_KEY, MODELS_KEY, ModelEntry

    cfg = RunConfig(task="sentiment", model=ModelConfig(cell="lstm", hidden_size=6, embed_dim=4),
                    train=TrainConfig(steps=5), sentiment=SentimentConfig(source="yelp"))
    task = make_task(cfg, build_sentiment(cfg.sentiment))
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train)
    run.run(5)
    at = app_test("pages/9_Sentiment.py")
    at.session_state[MODELS_KEY] = {"tiny": ModelEntry("tiny", cfg, run)}
    at.session_state[ACTIVE_KEY] = "tiny"
    at.run()
    assert not at.exception
    assert at.selectbox(key="sent_model").value == "mine: tiny"
    assert at.text_area(key="sent_review").value == sentiment_ui.EXAMPLE_REVIEWS["yelp"]
    assert "c_t" in at.latex[0].value  # the LSTM's formula, not the default GRU's
    assert any(t.startswith("tiny (trained on Yelp") and "after each word" in t for t in _charts(at))


def test_a_class_link_presets_model_source_and_review_and_hides_what_it_names():
    at = app_test("pages/9_Sentiment.py")
    at.query_params.update({"model": "default LSTM", "source": "yelp", "review": "the food was cold and bland",
                            "hide": "model,review"})
    at.run()
    assert not at.exception
    keys = {w.key for w in [*at.selectbox, *at.text_area]}
    assert "sent_model" not in keys and "sent_review" not in keys and at.selectbox(key="sent_source").value == "yelp"
    assert "c_t" in at.latex[0].value  # the linked LSTM's formula
    assert _word_ticks(at)[:3] == ["the", "food", "was"]
    link = next(c.proto.code_text for c in at.get("code") if "Sentiment?" in c.proto.code_text)
    assert "model=default+LSTM" in link and "source=yelp" in link and "hide=model%2Creview" in link


def test_the_page_shows_the_negation_probes_and_counts_the_swing_from_the_second_word():
    import re

    from rnnviz.negation import PROBES

    at = app_test("pages/9_Sentiment.py")
    at.run()
    assert not at.exception
    probes = next(df.value for df in at.dataframe if "negated" in df.value.columns)
    assert list(probes["review"]) == [p for p, _ in PROBES]
    at.text_area(key="sent_review").set_value("great phone but awful battery").run()
    verdict = next(m.value for m in at.markdown if m.value.startswith("Final verdict"))
    number = int(re.search(r"came at word (\d+)", verdict).group(1))
    assert 2 <= number <= 5  # counted from 1, and never the first word (its jump is from the prior)
    at.text_area(key="sent_review").set_value("great").run()
    assert not at.exception
    assert "swing" not in next(m.value for m in at.markdown if m.value.startswith("Final verdict"))


# Texts drawn by shared helpers (show_code, the guide, the class-link form, the sidebar's model list) that move to
# the catalogues with their own modules: not this lesson's words, so left out of its count.
SHARED = ("Show the code that ran", "No model trained yet", "Send this link to a class", "Open the guided lesson")
# The reviews are data (the UCI sentences are English): the Chinese prose quotes them as they are, in “…”.
QUOTED_REVIEW = re.compile(r"“[ -~]*”")


def test_the_page_reads_in_chinese_with_the_reviews_left_in_english():
    from conftest import ENGLISH_SENTENCE, english_residue

    from rnnviz.catalog import t

    at = app_test("pages/9_Sentiment.py")
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    left, total = english_residue(at)
    mine = [text for text in left if not text.startswith(SHARED)
            and ENGLISH_SENTENCE.search(QUOTED_REVIEW.sub(" ", text))]
    assert len(mine) <= 0.03 * total, mine
    assert at.title[0].value == t("sentiment.title", "zh")
    assert at.selectbox(key="sent_model").label == "模型"
    assert at.selectbox(key="sent_model").value == "default GRU"  # the value stays the link's code
    titles = [title.replace("<br>", "") for title in _charts(at)]
    assert any(title.startswith("默认 GRU：每读一个词后的 P(正面)") for title in titles)
    assert "各来源留出数据上的准确率" in " ".join(titles)
    assert at.text_area(key="sent_review").value == sentiment_ui.EXAMPLE_REVIEWS["imdb"]  # the review stays English
    probes = next(df.value for df in at.dataframe if "否定句" in df.value.columns)
    assert list(probes["评论"])[0] == "the food was good"


def test_the_page_reads_in_english():
    at = app_test("pages/9_Sentiment.py")
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Reading a review word by word"
    assert at.selectbox(key="sent_model").label == "Model"
    assert any(title.startswith("default GRU: P(positive) after each word") for title in _charts(at))


def test_a_link_made_in_chinese_opens_the_same_model_in_english():
    at = app_test("pages/9_Sentiment.py")
    at.query_params.update({"lang": "zh", "model": "default LSTM"})  # (AppTest formats set_value in English)
    at.run()
    assert not at.exception and "c_t" in at.latex[0].value
    assert at.selectbox(key="sent_model").value == "default LSTM"
    link = next(c.proto.code_text for c in at.get("code") if "Sentiment?" in c.proto.code_text)
    assert "model=default+LSTM" in link and "lang=zh" in link


# ---- the selected word: a click on any word chart marks it everywhere, and the link keeps it ------------------

LINKED = ("sent_words", "sent_swings")  # the charts whose x axis is the review's words


def _marks(at) -> dict[str, int | None]:
    from rnnviz.ui.selection import marked_step

    return {el.proto.id.rsplit("-", 1)[-1]: marked_step(json.loads(el.proto.spec)) for el in at.get("plotly_chart")
            if el.proto.id.rsplit("-", 1)[-1] in LINKED}


def _bold_word(at) -> str:
    shown = next(m.value for m in at.markdown if m.value.startswith("Word by word"))
    return re.search(r":violet-background\[__(.*?)__\]", shown).group(1)


def _step(at) -> str:
    return str(at.query_params["at"]).strip("[]'")


def test_a_click_on_a_word_marks_it_in_every_word_chart_the_review_and_the_url():
    at = app_test("pages/9_Sentiment.py")
    at.run()
    assert _marks(at) == {"sent_words": 0, "sent_swings": 0} and _step(at) == "0"
    words = _word_ticks(at)
    # A bar of the swings chart: its customdata starts with the word's index (the x is the index too)
    select_point(at, "sent_swings", {"x": 5, "y": 0.1, "curve_number": 0, "point_number": 4, "point_index": 4,
                                     "customdata": [5, words[5], 6]})
    assert not at.exception
    assert _marks(at) == {"sent_words": 5, "sent_swings": 5}  # the chart above follows the one below
    assert _step(at) == "5" and _bold_word(at) == words[5]
    assert "word 6 of" in next(c.value for c in at.caption if c.value.startswith("Selected"))
    # A cell of the heatmap under the curve: the invisible marker on it takes the click (its y is a unit)
    select_point(at, "sent_words", {"x": 3, "y": 2, "curve_number": 2, "point_index": 2 * len(words) + 3,
                                    "customdata": [3, "after 'plot' (word 4)", 0.1]})
    assert _marks(at) == {"sent_words": 3, "sent_swings": 3} and _step(at) == "3"
    # A point of the P(positive) curve
    select_point(at, "sent_words", {"x": 8, "y": 0.5, "curve_number": 0, "point_index": 8,
                                    "customdata": [8, words[8], 9]})
    assert _marks(at) == {"sent_words": 8, "sent_swings": 8} and _bold_word(at) == words[8]
    link = next(c.proto.code_text for c in at.get("code") if "Sentiment?" in c.proto.code_text)
    assert "at=8" in link  # a class link carries the selected word


def test_a_link_with_a_selected_word_reopens_it_and_a_bad_one_is_refused():
    at = app_test("pages/9_Sentiment.py")
    at.query_params.update({"review": "the plot was terrible and boring", "at": "5"})
    at.run()
    assert not at.exception
    assert _marks(at) == {"sent_words": 5, "sent_swings": 5} and _bold_word(at) == "boring"
    bad = app_test("pages/9_Sentiment.py")
    bad.query_params.update({"review": "the plot was terrible", "at": "99"})
    bad.run()
    assert not bad.exception and bad.warning  # refused with a note; the lesson starts at the first word
    assert _marks(bad) == {"sent_words": 0, "sent_swings": 0}


def test_each_prediction_is_answered_from_the_model_on_the_page_and_revealed_after_a_choice():
    from rnnviz.catalog import names, t
    from rnnviz.negation import PROBES, p_positive
    from rnnviz.predictions import negation_lowers, swing_half
    from rnnviz.textstats import read_word_by_word
    from rnnviz.ui import cache

    cfg = sentiment_ui.default_cfg("gru")
    model, vocab = cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment).vocab  # the page's own model
    review = sentiment_ui.EXAMPLE_REVIEWS["imdb"]
    answers = {"predict.sentiment.swing": swing_half(read_word_by_word(model, vocab, review)),
               "predict.sentiment.negation": negation_lowers(*(p_positive(model, vocab, s) for s in PROBES[0]))}
    assert all(f"“{s}”" in t("predict.sentiment.negation.question") for s in PROBES[0])  # it asks what it measures
    at = app_test("pages/9_Sentiment.py")
    at.run()
    for key, answer in answers.items():
        assert answer.code in names(f"{key}.options")
        assert not revealed(at)  # nothing is revealed before a choice
        shown = reveal(at, key, names(f"{key}.options")[0])
        assert t(f"{key}.options.{answer.code}") in shown and t(f"{key}.why.{answer.code}", **answer.params) in shown
        at.run()
        at.session_state[f"{key}.shown"] = None  # ask the next question on a clean page
        at.run()


def test_a_prediction_is_asked_and_answered_in_chinese(monkeypatch):
    from rnnviz import catalog
    from rnnviz.catalog import names, t
    from rnnviz.ui import lang

    # AppTest formats a radio's options again in the test's own thread, outside the session: read Chinese there too
    monkeypatch.setattr(lang, "current", lambda: "zh")
    # lang.choose() registers the patched function as the catalogue's resolver: put the original back afterwards,
    # or every later test in this process reads Chinese
    monkeypatch.setattr(catalog, "_resolver", catalog._resolver)
    at = app_test("pages/9_Sentiment.py")
    at.query_params["lang"] = "zh"
    at.run()
    key = "predict.sentiment.swing"
    assert any(t(f"{key}.question", "zh") in m.value for m in at.markdown)
    at.radio(key=f"{key}.choice").set_value("first").run()
    at.button(key=f"{key}.reveal").click().run()
    assert not at.exception
    shown = " ".join(m.value for m in [*at.success, *at.info])
    assert any(t(f"{key}.options.{code}", "zh") in shown for code in names(f"{key}.options"))
    assert "相邻两词之间变化最大的是第" in shown
    assert "已选中：第 1 个词" in " ".join(c.value for c in at.caption)


def test_every_heatmap_cell_carries_an_invisible_marker_whose_click_selects_its_word():
    import numpy as np

    from rnnviz.plots.sentiment import word_by_word
    from rnnviz.textstats import WordReading
    from rnnviz.ui.selection import step_of

    h = np.random.default_rng(0).normal(size=(5, 3))  # 5 words, 3 units
    reading = WordReading(("1", "good", "2", "bad", "3"), (False,) * 5, np.linspace(0.2, 0.8, 5), h)
    fig = word_by_word(reading, "t")
    heat, cells = fig.data[1], fig.data[2]
    assert heat.type == "heatmap" and heat.hoverinfo == "skip" and cells.type == "scatter"
    assert sorted(zip(cells.x, cells.y)) == [(s, u) for s in range(5) for u in range(3)]  # one per cell
    for x, y, data in zip(cells.x, cells.y, cells.customdata):
        assert data[2] == pytest.approx(h[x, y])  # its hover reads the cell's own h
        # a word that is a number ("2") must not be read as the step: the index comes first
        assert step_of({"x": x, "y": y, "customdata": list(data)}).t == x
    curve = fig.data[0]
    assert [step_of({"x": i, "customdata": list(c)}).t for i, c in enumerate(curve.customdata)] == list(range(5))
