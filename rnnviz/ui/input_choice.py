"""What an inspected model reads: a passage or typed text (a poem for a Tang model), a series window, a review.

Each chooser draws its widgets, honours a class link's presets, and returns the prepared input with the
presets that reproduce it. An input that cannot be used gets a message, and the lesson reads an example.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from rnnviz import inputs
from rnnviz.catalog import language, t
from rnnviz.config import RunConfig
from rnnviz.errors import DataError
from rnnviz.inputs import InputKind, PreparedText
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache
from rnnviz.ui import sentiment as sentiment_ui
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import error_box
from rnnviz.ui.safe_text import plain

SOURCES = ("passage", "typed")  # the text chooser's choices (codes; labels in the catalogue)
REVIEW_SOURCES = ("heldout", "typed")


def choose_text(cfg: RunConfig, kind: InputKind, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the input chooser (a passage or typed text); returns the cleaned, capped text and its link presets."""
    corpus = cache.corpus(cfg.text)
    typed = query_value("text", None)
    start = min(max(query_value("start", 2000), 0), max(len(corpus.tokens) - 50, 0))
    length = min(max(query_value("length", 100) // 10 * 10, 20), inputs.MAX_CHARS)
    source, typed = SOURCES[1] if typed else SOURCES[0], typed or kind.example
    lang = language()  # options are labelled in the language they were drawn in, whoever formats them later

    def widgets() -> tuple[bool, int, int, str]:
        chosen = st.radio(t("hidden_states.input.label"), SOURCES, index=SOURCES.index(source), horizontal=True,
                          key=f"{key}_source", format_func=lambda s: kind.says(s, lang))
        if chosen == SOURCES[0]:
            a, b = st.columns(2)
            at = a.number_input(t("hidden_states.input.start"), 0, max(len(corpus.tokens) - 50, 0), start, step=100,
                                key=f"{key}_start")
            n = b.slider(t("hidden_states.input.length"), 20, inputs.MAX_CHARS, length, step=10, key=f"{key}_length")
            return True, int(at), int(n), typed
        return False, start, length, st.text_area(t("hidden_states.input.typed", limit=inputs.MAX_CHARS), typed,
                                                  key=f"{key}_text", height=80)

    passage, start, length, typed = control("input", (source == SOURCES[0], start, length, typed), widgets)
    raw = inputs.corpus_passage(corpus, start, length) if passage else typed
    text = _or_example(lambda: kind.prepare(raw, corpus.vocab, clean=not passage),
                       lambda: kind.prepare(kind.example, corpus.vocab, clean=True), kind)
    return text, ({"start": start, "length": length} if passage else {"text": typed})


def choose_window(cfg: RunConfig, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the window chooser over the model's series; returns the window and its link presets."""
    series = cache.series(cfg.series)
    scaled, n_train, _ = scaled_series(series, cfg.series)
    top = len(series) - 2
    start = min(max(query_value("wstart", n_train), 0), top)
    length = min(max(query_value("wlen", 60), 2), inputs.MAX_WINDOW)

    def widgets() -> tuple[int, int]:
        a, b = st.columns(2)
        at = a.number_input(t("hidden_states.window.start", last=n_train - 1), 0, top, start, step=10,
                            key=f"{key}_wstart")
        n = b.slider(t("hidden_states.window.length"), 10, inputs.MAX_WINDOW, max(length, 10), step=5,
                     key=f"{key}_wlen")
        return int(at), int(n)

    start, length = control("input", (start, length), widgets)
    text = _or_example(lambda: inputs.prepare_window(series, scaled, start, length),
                       lambda: inputs.prepare_window(series, scaled, 0, min(len(series), 60)), inputs.KINDS["series"])
    part = t("hidden_states.window.held_out") if start >= n_train else t("hidden_states.window.training")
    st.caption(t("hidden_states.window.caption", name=plain(series.name), first=start,
                 last=start + len(text.tokens) - 1, part=part))
    return text, {"wstart": start, "wlen": length}


@st.cache_data(show_spinner=False, max_entries=8)
def review_lean(cfg: RunConfig) -> dict[str, float]:
    """Returns the words' positive/negative log-odds in the model's training sentences (cached per data)."""
    return inputs.word_lean(cache.sentiment(cfg.sentiment))


def choose_review(cfg: RunConfig, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the review chooser (a held-out sentence or typed text); returns the prepared review and presets."""
    data = cache.sentiment(cfg.sentiment)
    typed = query_value("review", None)
    linked = query_value("heldout", None) is not None and not typed  # a link to a held-out sentence
    last = len(data.test_sentences) - 1
    index = min(max(query_value("heldout", 0), 0), last)
    default = sentiment_ui.EXAMPLE_REVIEWS.get(cfg.sentiment.source, sentiment_ui.EXAMPLE_REVIEWS["imdb"])
    lang = language()

    def widgets() -> tuple[bool, int, str]:
        chosen = st.radio(t("hidden_states.review.label"), REVIEW_SOURCES, index=0 if linked else 1, horizontal=True,
                          key=f"{key}_review_source", format_func=lambda s: t(f"hidden_states.review.{s}", lang))
        if chosen == REVIEW_SOURCES[0]:
            i = int(st.number_input(t("hidden_states.review.index", last=last), 0, last, index, key=f"{key}_heldout"))
            label = t("hidden_states.review.positive") if int(data.y_test[i]) == 1 else t("hidden_states.review.negative")
            st.caption(t("hidden_states.review.labelled", label=label, sentence=plain(data.test_sentences[i])))
            return True, i, typed or default
        return False, index, st.text_area(t("hidden_states.review.typed_box", limit=inputs.MAX_WORDS),
                                          typed or default, key=f"{key}_review", height=80)

    held, index, typed_now = control("input", (linked, index, typed or default), widgets)
    raw = data.test_sentences[index] if held else typed_now
    text = _or_example(lambda: inputs.prepare_review(raw, data.vocab),
                       lambda: inputs.prepare_review(default, data.vocab), inputs.KINDS["review"])
    return text, ({"heldout": index} if held else {"review": typed_now if typed_now != default else None})


def _or_example(prepare: Callable[[], PreparedText], example: Callable[[], PreparedText],
                kind: InputKind) -> PreparedText:
    """Returns the prepared input; if it cannot be used (too short, only unknown words...), says why and returns
    the example input instead, so the rest of the lesson stays on the page. Either way, says what was changed."""
    try:
        text = prepare()
    except DataError as err:
        error_box(err)
        st.caption(kind.says("until_then"))
        text = example()
    if text.note:
        st.caption(plain(text.note))
    return text
