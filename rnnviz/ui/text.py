"""Widgets and cached helpers for the text and language-model lesson."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz import textstats
from rnnviz.data import Corpus, build_corpus, load_corpus_text
from rnnviz.ui import cache, store

SOURCES = ("The Time Machine", "Paste your own text")
EXAMPLE_TEXT = ("It was a bright cold day in April, and the clocks were striking thirteen. "
                "Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, slipped "
                "quickly through the glass doors of Victory Mansions, though not quickly enough to prevent a swirl "
                "of gritty dust from entering along with him. ") * 3


def choose_text(key: str) -> tuple[str, str]:
    """Draws the text chooser (the novel or pasted text); returns (raw text, label); raises DataError on bad paste."""
    source = st.radio("Text", SOURCES, horizontal=True, key=f"{key}_source")
    if source == SOURCES[0]:
        return novel(), "The Time Machine"
    raw = st.text_area(f"Paste any English text (up to {textstats.MAX_PASTE_CHARS:,} characters are used)",
                       EXAMPLE_TEXT, height=140, key=f"{key}_paste")
    pasted = textstats.check_pasted(raw)
    if pasted.note:
        st.caption(pasted.note)
    return pasted.text, "your text"


@st.cache_resource(show_spinner=False, max_entries=1)
def novel() -> str:
    """Returns The Time Machine as d2l ships it (shared)."""
    return load_corpus_text("timemachine")


@st.cache_resource(show_spinner="Counting tokens…", max_entries=16)
def text_corpus(raw: str, token: str) -> Corpus:
    """Returns the cleaned, tokenized text (shared read-only; keyed by the text itself)."""
    return build_corpus(raw, token)


@st.cache_data(show_spinner=False, max_entries=16)
def zipf(raw: str, token: str) -> tuple[pd.DataFrame, dict[int, float], pd.DataFrame]:
    """Returns (rank-frequency table for n = 1, 2, 3; fitted Zipf exponents; sparsity table)."""
    corpus = text_corpus(raw, token)
    table = textstats.zipf_table(corpus.tokens)
    first = 3 if token == "char" else 10  # the head of a character list is a handful of letters: fit past it
    exps = {n: textstats.zipf_exponent(part["count"].to_numpy(), first) for n, part in table.groupby("n")}
    return table, exps, textstats.sparsity(table, len(corpus.vocab) - 1)


def lm_perplexity(insp: store.Inspectable, passage: str) -> tuple[textstats.Perplexity, textstats.Perplexity]:
    """Returns the passage scored by the chosen LM and by the same model at initialisation."""
    from rnnviz.generate import token_surprise

    vocab = cache.corpus(insp.cfg.text).vocab
    tokens, probs = token_surprise(insp.model, vocab, passage, insp.cfg.text.token)
    _, probs0 = token_surprise(cache.untrained_model(insp.cfg), vocab, passage, insp.cfg.text.token)
    V = len(vocab)
    return textstats.perplexity_breakdown(tokens, probs, V), textstats.perplexity_breakdown(tokens, probs0, V)
