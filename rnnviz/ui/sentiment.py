"""Widgets and cached helpers for the sentiment lesson: a classifier reading a review word by word."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import textstats
from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS, SENTIMENT_SOURCES, RunConfig
from rnnviz.data import SentimentData, words
from rnnviz.data.sentiment import ALL
from rnnviz.errors import RnnvizError
from rnnviz.models import SequenceClassifier
from rnnviz.negation import negation_table
from rnnviz.ui import cache, store
from rnnviz.ui.affordances import control, hidden_controls, query_value
from rnnviz.ui.core import error_box
from rnnviz.ui.safe_text import plain

SOURCE_LABELS = {"imdb": "IMDb (movies)", "amazon": "Amazon (phones)", "yelp": "Yelp (restaurants)",
                 ALL: "IMDb + Amazon + Yelp"}
SENT_CELLS = ("rnn_tanh", "gru", "lstm")
MAX_REVIEW_WORDS = 120
# The defaults train once per server on the 2400 training sentences of all three sources together; bench/
# sentiment_default.py measures them. One source alone (800 sentences) left the GRU at 68 % on IMDb, with "good" and
# "not good" both near P = 0.01. All three together, on each source's own held-out sentences: GRU 80 / 82.5 / 80 %
# (IMDb / Amazon / Yelp), LSTM 81 / 81.5 / 82 %, plain RNN 84 / 75.5 / 74.5 %; every "... good" reads above its
# "... not good". 600 steps take 4-9 s of CPU per model on 1 thread (GRU the slowest).
DEFAULT_HIDDEN, DEFAULT_EMBED, DEFAULT_STEPS = 64, 64, 600
# One review per source whose opinion turns half-way, in words every source's training part contains.
EXAMPLE_REVIEWS = {
    "imdb": "a great cast and a beautiful score , but the plot was boring and the ending was awful",
    "amazon": "i love the screen but the charger broke and it does not work",
    "yelp": "i loved the pizza but the waitress was rude and i will not be back",
}
# The long review: an opinion in the first eight words, then 45 words that carry none.
LONG_OPENINGS = ("i loved it , it was great .", "i hated it , it was awful .")
LONG_FILLER = ("then i went home and i told my friends about it and we talked about the day and the time and the "
               "place and the people we saw there and what we did after that and where we went next and who we "
               "met on the way")
LONG_REVIEW = f"{LONG_OPENINGS[0]} {LONG_FILLER}"


@dataclass(frozen=True)
class Classifier:
    """The classifier a sentiment page looks at: label, config, model and the data it was trained on."""

    label: str
    cfg: RunConfig
    model: SequenceClassifier
    data: SentimentData
    source: str  # the review source the page shows: examples and held-out sentences
    own: bool = False


def default_cfg(cell: str, source: str = ALL) -> RunConfig:
    """Returns the default sentiment run for a cell, trained on one review source or (default) on all of them."""
    base = cache.DEFAULT_RUNS["sentiment"]
    return replace(base, model=replace(base.model, cell=cell, hidden_size=DEFAULT_HIDDEN, embed_dim=DEFAULT_EMBED),
                   train=replace(base.train, steps=DEFAULT_STEPS), sentiment=replace(base.sentiment, source=source))


def choose_classifier(key: str) -> Classifier:
    """Draws the model and review-source choosers; returns the learner's model or a cached default."""
    own = {f"mine: {e.name}": e for e in store.models().values() if e.cfg.task == "sentiment"}
    options = list(own) + [f"default {CELL_LABELS[c]}" for c in SENT_CELLS]
    act = store.active()
    index = options.index(f"mine: {act.name}") if act is not None and f"mine: {act.name}" in options else len(own) + 1
    preset = query_value("model", options[index], options)  # a class link's model wins
    a, b = st.columns(2)
    choice = control("model", preset, lambda: a.selectbox(
        "Model", options, index=options.index(preset), key=f"{key}_model",
        help=f"Defaults are trained once per server on the training sentences of all three sources ({DEFAULT_STEPS} "
             f"steps, {DEFAULT_HIDDEN} hidden units, {DEFAULT_EMBED} numbers per word); your own come from the "
             "training lab (task: sentiment)."))
    if choice in own:
        entry = own[choice]
        trained_on = entry.cfg.sentiment.source
        b.caption(f"Trained on {SOURCE_LABELS.get(trained_on, trained_on)}")
        return Classifier(entry.name, entry.cfg, entry.run.model, cache.sentiment(entry.cfg.sentiment), trained_on,
                          own=True)
    source = query_value("source", SENTIMENT_SOURCES[0], list(SENTIMENT_SOURCES))
    source = control("source", source, lambda: b.selectbox(
        "Example and held-out reviews from", SENTIMENT_SOURCES, index=list(SENTIMENT_SOURCES).index(source),
        key=f"{key}_source", format_func=SOURCE_LABELS.get,
        help="The default models read all three sources in training; each source keeps its own held-out sentences."))
    cfg = default_cfg(SENT_CELLS[options.index(choice) - len(own)])
    return Classifier(choice, cfg, cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment), source)


def formula(cell: str) -> str:
    """Returns the LaTeX of the recurrence torch runs for a cell, reading the word's embedding e_t, one line per step."""
    lines = [line.replace("x_t", "e_t") for line in SPECS[cell].formulas]
    return r"\begin{gathered} e_t = E[x_t]\quad\text{(the word's embedding)}\\ " + r"\\ ".join(lines) + r"\end{gathered}"


def review_box(source: str, key: str) -> str:
    """Draws the review text box; it shows the source's example until the learner types their own."""
    linked = query_value("review", "")
    if linked and key not in st.session_state:  # a class link's review, until the learner types their own
        st.session_state[key] = linked
    if st.session_state.get(key) in (None, *EXAMPLE_REVIEWS.values()):
        st.session_state[key] = EXAMPLE_REVIEWS.get(source, EXAMPLE_REVIEWS["imdb"])
    if "review" in hidden_controls():
        st.markdown(f"> {plain(st.session_state[key])}")
        return st.session_state[key]
    return st.text_area("A review (press Ctrl+Enter or click outside the box to read it)", key=key, height=80,
                        help=f"Up to {MAX_REVIEW_WORDS} words. Words the model never saw in training are read "
                             "as <unk> and shown in italics with a '?'.")


def read_review(clf: Classifier, text: str, key: str) -> textstats.WordReading | None:
    """Returns the model's word-by-word reading of the review; on bad input shows why and reads the last good one."""
    good_key = f"{key}_last_good"
    try:
        reading = textstats.read_word_by_word(clf.model, clf.data.vocab, text, MAX_REVIEW_WORDS)
    except RnnvizError as err:
        error_box(err)
        last = st.session_state.get(good_key)
        if last is None:
            return None
        st.caption(f"Still showing the last review that could be read: “{plain(last)}”")
        try:
            return textstats.read_word_by_word(clf.model, clf.data.vocab, last, MAX_REVIEW_WORDS)
        except RnnvizError:  # the last review may be all <unk> for another source's vocabulary
            return None
    st.session_state[good_key] = text
    return reading


def accuracy_table(cell: str) -> pd.DataFrame:
    """Returns held-out accuracy and the majority baseline of the default model of a cell on each source's sentences."""
    cfg = default_cfg(cell)
    model, data = cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment)
    rows = []
    for source in SENTIMENT_SOURCES:
        h = textstats.held_out(model, data, source)
        rows.append({"source": SOURCE_LABELS[source], "accuracy": h.accuracy, "majority": h.majority, "n": h.n})
    return pd.DataFrame(rows)


ACCURACY_BAR = 0.75  # what a default must reach on each source to teach with


def accuracy_note(table: pd.DataFrame, cell: str) -> str:
    """Returns a sentence naming the sources where a default stays below the bar (empty when it clears it)."""
    low = table[table["accuracy"] < ACCURACY_BAR]
    if low.empty:
        return f"It clears {ACCURACY_BAR:.0%} on every source."
    where = ", ".join(f"{row.source} ({row.accuracy:.0%})" for row in low.itertuples())
    return (f"The {CELL_LABELS[cell]} stays below {ACCURACY_BAR:.0%} on {where} with the same budget as the others: "
            "that is why the lesson opens on the GRU.")


def negation_check(clf: Classifier) -> pd.DataFrame:
    """Returns the negation probes read by the chosen model, probabilities rounded for the page."""
    table = negation_table(clf.model, clf.data.vocab)
    for col in ("P(positive)", "P(positive) negated"):
        table[col] = [f"{p:.2f}" for p in table[col]]  # two decimals always: "0.00", not "0"
    return table


def readings_by_cell(review: str) -> dict[str, textstats.WordReading]:
    """Returns the default model of every cell (same data, size and training) reading the same review."""
    out = {}
    for cell in SENT_CELLS:
        cfg = default_cfg(cell)
        out[cell] = textstats.read_word_by_word(cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment).vocab,
                                                review, MAX_REVIEW_WORDS)
    return out


@dataclass(frozen=True)
class LongReading:
    """Every default cell reading the long review with a loved-it and a hated-it opening."""

    loved: dict[str, textstats.WordReading]
    hated: dict[str, textstats.WordReading]
    gaps: dict[str, np.ndarray]  # cell -> (T,) ||h_t(loved) - h_t(hated)||
    words: tuple[str, ...]  # tick labels: 'loved/hated' where the two openings differ
    n_opening: int


def long_reading() -> LongReading:
    """Returns the three default cells reading the long review with both openings."""
    loved = readings_by_cell(f"{LONG_OPENINGS[0]} {LONG_FILLER}")
    hated = readings_by_cell(f"{LONG_OPENINGS[1]} {LONG_FILLER}")
    gaps = {cell: textstats.state_gap(loved[cell], hated[cell]) for cell in SENT_CELLS}
    a, b = loved[SENT_CELLS[0]].words, hated[SENT_CELLS[0]].words
    ticks = tuple(x if x == y else f"{x}/{y}" for x, y in zip(a, b))
    return LongReading(loved, hated, gaps, ticks, len(words(LONG_OPENINGS[0])))
