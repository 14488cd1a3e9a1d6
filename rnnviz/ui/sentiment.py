"""Widgets and cached helpers for the sentiment lesson: a classifier reading a review word by word."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnviz import textstats
from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS, SENTIMENT_SOURCES, RunConfig
from rnnviz.data import SentimentData, words
from rnnviz.data.sentiment import ALL
from rnnviz.errors import RnnvizError
from rnnviz.models import SequenceClassifier
from rnnviz.negation import PROBES, negation_table, p_positive
from rnnviz.predictions import negation_lowers, swing_half
from rnnviz.ui import cache, selection, store
from rnnviz.ui.affordances import control, hidden_controls, query_value
from rnnviz.ui.core import error_box
from rnnviz.ui.predict import predict
from rnnviz.ui.safe_text import plain

SOURCES_SHOWN = (*SENTIMENT_SOURCES, ALL)


class _SourceLabels(Mapping[str, str]):
    """Each review source's display name in the learner's language, looked up when read (never a stale copy)."""

    def __getitem__(self, source: str) -> str:
        if source not in SOURCES_SHOWN:
            raise KeyError(source)
        return t(f"sentiment.sources.{source}")

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCES_SHOWN)

    def __len__(self) -> int:
        return len(SOURCES_SHOWN)


SOURCE_LABELS: Mapping[str, str] = _SourceLabels()
SENT_CELLS = ("rnn_tanh", "gru", "lstm")
PAGE = "sentiment"  # the lesson's selected word (rnnviz.ui.selection), kept in the link as ?at=
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

    label: str  # what the page calls it, in the learner's language (a learner's own model keeps its name)
    cfg: RunConfig
    model: SequenceClassifier
    data: SentimentData
    source: str  # the review source the page shows: examples and held-out sentences
    own: bool = False
    option: str = ""  # the chooser's value, language-independent: what a class link carries


def default_cfg(cell: str, source: str = ALL) -> RunConfig:
    """Returns the default sentiment run for a cell, trained on one review source or (default) on all of them."""
    base = cache.DEFAULT_RUNS["sentiment"]
    return replace(base, model=replace(base.model, cell=cell, hidden_size=DEFAULT_HIDDEN, embed_dim=DEFAULT_EMBED),
                   train=replace(base.train, steps=DEFAULT_STEPS), sentiment=replace(base.sentiment, source=source))


def choose_classifier(key: str) -> Classifier:
    """Draws the model and review-source choosers; returns the learner's model or a cached default."""
    own = {f"mine: {e.name}": e for e in store.models().values() if e.cfg.task == "sentiment"}
    options = list(own) + [f"default {CELL_LABELS[c]}" for c in SENT_CELLS]  # values: English codes, as in links
    shown = {o: t("sentiment.choose.mine", name=e.name) for o, e in own.items()}
    shown |= {f"default {CELL_LABELS[c]}": t("sentiment.choose.default", cell=CELL_LABELS[c]) for c in SENT_CELLS}
    act = store.active()
    index = options.index(f"mine: {act.name}") if act is not None and f"mine: {act.name}" in options else len(own) + 1
    preset = query_value("model", options[index], options)  # a class link's model wins
    a, b = st.columns(2)
    choice = control("model", preset, lambda: a.selectbox(
        t("sentiment.choose.model"), options, index=options.index(preset), key=f"{key}_model", format_func=shown.get,
        help=t("sentiment.choose.model_help", steps=DEFAULT_STEPS, hidden=DEFAULT_HIDDEN, embed=DEFAULT_EMBED)))
    if choice in own:
        entry = own[choice]
        trained_on = entry.cfg.sentiment.source
        b.caption(t("sentiment.choose.trained_on", source=SOURCE_LABELS.get(trained_on, trained_on)))
        return Classifier(entry.name, entry.cfg, entry.run.model, cache.sentiment(entry.cfg.sentiment), trained_on,
                          own=True, option=choice)
    source = query_value("source", SENTIMENT_SOURCES[0], list(SENTIMENT_SOURCES))
    source = control("source", source, lambda: b.selectbox(
        t("sentiment.choose.source"), SENTIMENT_SOURCES, index=list(SENTIMENT_SOURCES).index(source),
        key=f"{key}_source", format_func=SOURCE_LABELS.get, help=t("sentiment.choose.source_help")))
    cfg = default_cfg(SENT_CELLS[options.index(choice) - len(own)])
    return Classifier(shown[choice], cfg, cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment), source,
                      option=choice)


def formula(cell: str) -> str:
    """Returns the LaTeX of the recurrence torch runs for a cell, reading the word's embedding e_t, one line per step."""
    lines = [line.replace("x_t", "e_t") for line in SPECS[cell].formulas]
    return (r"\begin{gathered} e_t = E[x_t]\quad\text{" + t("sentiment.embedding_word") + r"}\\ " + r"\\ ".join(lines)
            + r"\end{gathered}")


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
    return st.text_area(t("sentiment.choose.review"), key=key, height=80,
                        help=t("sentiment.choose.review_help", words=MAX_REVIEW_WORDS))


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
        st.caption(t("sentiment.choose.still_showing", review=plain(last)))
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
        return t("sentiment.held_out.clears", bar=ACCURACY_BAR)
    where = ", ".join(f"{row.source} ({row.accuracy:.0%})" for row in low.itertuples())
    return t("sentiment.held_out.below", cell=CELL_LABELS[cell], bar=ACCURACY_BAR, where=where)


def negation_check(clf: Classifier) -> pd.DataFrame:
    """Returns the negation probes read by the chosen model, probabilities rounded for the page."""
    table = negation_table(clf.model, clf.data.vocab)
    for col in ("P(positive)", "P(positive) negated"):
        table[col] = [f"{p:.2f}" for p in table[col]]  # two decimals always: "0.00", not "0"
    headings = {"review": "review", "P(positive)": "p_review", "negated": "negated", "P(positive) negated": "p_negated"}
    return table.rename(columns={col: t(f"sentiment.negation.{name}") for col, name in headings.items()})


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


def show_verdict(reading: textstats.WordReading) -> None:
    """Draws the final verdict, the biggest swing and the words read as <unk> (the learner's words as plain text)."""
    p = reading.p_positive
    step = textstats.biggest_swing(reading)
    swing = "" if step is None else t("sentiment.words.swing", number=step + 1, word=plain(reading.words[step]),
                                      before=p[step - 1], after=p[step])
    verdict = t("sentiment.words.positive" if p[-1] >= 0.5 else "sentiment.words.negative")
    st.markdown(t("sentiment.words.verdict", verdict=verdict, p_final=p[-1], swing=swing))
    st.caption(t("sentiment.words.counted"))
    unknown = [w for w, u in zip(reading.words, reading.unknown) if u]
    if unknown:
        st.caption(t("sentiment.words.unknown", unknown=plain(", ".join(sorted(set(unknown))))))


# ---- the selected word, and the predictions asked before the charts answer them ---------------------------------


def linked(fig: go.Figure, key: str, pick: selection.Pick) -> None:
    """Draws a chart of the review's words that marks the selected word; a click on one of its words selects it."""
    selection.linked_chart(selection.mark(fig, pick), key, PAGE, selection.step_of)


def show_selected(reading: textstats.WordReading, pick: selection.Pick) -> None:
    """Draws the review word by word with the selected word in bold, and what that word did to P(positive)."""
    # The selected word in bold on a highlight: the word itself is escaped, so only the page's own markup acts
    shown = " ".join(f":violet-background[__{plain(w)}__]" if i == pick.t else plain(w)
                     for i, w in enumerate(reading.words))
    st.markdown(t("sentiment.words.review_shown", review=shown))
    p, word = reading.p_positive, plain(reading.words[pick.t])
    if pick.t == 0:
        said = t("sentiment.words.selected_first", count=len(p), word=word, after=p[0])
    else:
        said = t("sentiment.words.selected", number=pick.t + 1, count=len(p), word=word, before=p[pick.t - 1],
                 after=p[pick.t])
    st.caption(said + " " + t("sentiment.words.click_hint"))


def ask_swing(reading: textstats.WordReading) -> None:
    """Asks which half of the review holds the word that moves the opinion most (a one-word review has no swing)."""
    if len(reading.words) > 1:
        predict("predict.sentiment.swing", swing_half(reading))


def ask_negation(clf: Classifier) -> None:
    """Asks whether the chosen model reads the first negation probe as more negative than its plain review."""
    review, negated = PROBES[0]  # the question quotes this pair
    vocab = clf.data.vocab
    predict("predict.sentiment.negation", negation_lowers(p_positive(clf.model, vocab, review),
                                                          p_positive(clf.model, vocab, negated)))
