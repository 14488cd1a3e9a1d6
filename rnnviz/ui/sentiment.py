"""Widgets and cached helpers for the sentiment lesson: a classifier reading a review word by word."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from rnnviz import textstats
from rnnviz.config import CELL_LABELS, SENTIMENT_SOURCES, RunConfig
from rnnviz.data import SentimentData
from rnnviz.models import SequenceClassifier
from rnnviz.ui import cache, store

SOURCE_LABELS = {"imdb": "IMDb (movies)", "amazon": "Amazon (phones)", "yelp": "Yelp (restaurants)"}
SENT_CELLS = ("rnn_tanh", "gru", "lstm")
LONG_REVIEW = ("what a wonderful film , brilliant acting and a great story . then the film goes on and on about "
               "the city and the house and the car and the trip and the family and the weather and the train "
               "and the dog and the school and the road and the town and the old friends and the neighbours")


@dataclass(frozen=True)
class Classifier:
    """The classifier a sentiment page looks at: label, config, model and the data it was trained on."""

    label: str
    cfg: RunConfig
    model: SequenceClassifier
    data: SentimentData


def default_cfg(cell: str, source: str) -> RunConfig:
    """Returns the default sentiment run for a cell and a review source."""
    base = cache.DEFAULT_RUNS["sentiment"]
    return replace(base, model=replace(base.model, cell=cell), sentiment=replace(base.sentiment, source=source))


def choose_classifier(key: str) -> Classifier:
    """Draws the model and review-source choosers; returns the learner's model or a cached default."""
    own = {f"mine: {e.name}": e for e in store.models().values() if e.cfg.task == "sentiment"}
    options = list(own) + [f"default {CELL_LABELS[c]}" for c in SENT_CELLS]
    a, b = st.columns(2)
    choice = a.selectbox("Model", options, index=len(own) + 1, key=f"{key}_model",
                         help="Defaults are trained once per server (300 steps); your own come from the training lab.")
    if choice in own:
        entry = own[choice]
        b.caption(f"Trained on {SOURCE_LABELS.get(entry.cfg.sentiment.source, entry.cfg.sentiment.source)}")
        return Classifier(entry.name, entry.cfg, entry.run.model, cache.sentiment(entry.cfg.sentiment))
    source = b.selectbox("Trained on reviews from", SENTIMENT_SOURCES, key=f"{key}_source",
                         format_func=SOURCE_LABELS.get)
    cfg = default_cfg(SENT_CELLS[options.index(choice) - len(own)], source)
    return Classifier(choice, cfg, cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment))


def accuracy_table(cell: str) -> pd.DataFrame:
    """Returns held-out accuracy and the majority baseline of the default model of a cell on every source."""
    rows = []
    for source in SENTIMENT_SOURCES:
        cfg = default_cfg(cell, source)
        h = textstats.held_out(cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment))
        rows.append({"source": SOURCE_LABELS[source], "accuracy": h.accuracy, "majority": h.majority, "n": h.n})
    return pd.DataFrame(rows)


def readings_by_cell(source: str, review: str) -> dict[str, textstats.WordReading]:
    """Returns the default model of every cell (same source, size and training) reading the same review."""
    out = {}
    for cell in SENT_CELLS:
        cfg = default_cfg(cell, source)
        out[cell] = textstats.read_word_by_word(cache.trained_run(cfg).model, cache.sentiment(cfg.sentiment).vocab,
                                                review)
    return out
