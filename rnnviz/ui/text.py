"""Widgets and cached helpers for the text and language-model lesson."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from rnnviz import textstats
from rnnviz.catalog import choices, t
from rnnviz.data import Corpus, Placement, build_corpus, load_corpus_text
from rnnviz.generate import token_surprise
from rnnviz.predictions import minibatches_continue, tokens_for_half
from rnnviz.ui import cache, store
from rnnviz.ui.predict import predict
from rnnviz.ui.safe_text import code_span
from rnnviz.ui.safe_text import plain as as_text

SOURCES = ("timemachine", "tang", "tang_simplified", "paste")  # bundled corpora (config.CORPORA names), or pasted
CHINESE_CORPORA = ("tang", "tang_simplified")
EXAMPLE_TEXT = ("It was a bright cold day in April, and the clocks were striking thirteen. "
                "Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, slipped "
                "quickly through the glass doors of Victory Mansions, though not quickly enough to prevent a swirl "
                "of gritty dust from entering along with him. ") * 3
# What the probe box holds at first: words of the text's own language, one of them never seen in it.
PROBES = {False: "the time traveller smiled at zxqy", True: "床前明月光，疑是地上霜。电脑"}
# A default model of the poems reads ~2,500 different characters as one-hot inputs: a step costs ~10x one on the
# novel. Measured on a busy 2-core server: 150 steps took 93 s (training perplexity 43, from 2,489 when guessing
# uniformly), 400 steps would take ~4 minutes of the class's CPU before the first learner sees the chart.
CHINESE_DEFAULT_STEPS = 150
FIRST_CHARS, FIRST_WORDS = 160, 30  # how much of the cleaned text the first look shows


@dataclass(frozen=True)
class ChosenText:
    """The text the lesson reads: its raw characters, where it came from and whether it is written in Chinese."""

    raw: str
    source: str  # one of SOURCES
    chinese: bool


def choose_text(key: str) -> ChosenText:
    """Draws the text chooser (a bundled corpus or pasted text); returns it; raises DataError on a bad paste."""
    names = choices("text.source", SOURCES)
    source = st.radio(t("text.source.label"), SOURCES, horizontal=True, key=f"{key}_source", format_func=names.get)
    if source != "paste":
        return ChosenText(corpus_text(source), source, source in CHINESE_CORPORA)
    raw = st.text_area(t("text.source.paste_label", limit=textstats.MAX_PASTE_CHARS), EXAMPLE_TEXT, height=140,
                       key=f"{key}_paste")
    pasted = textstats.check_pasted(raw)
    if pasted.note:
        st.caption(pasted.note)
    return ChosenText(pasted.text, source, textstats.mostly_chinese(pasted.text))


def choose_token(where, text: ChosenText, key: str) -> str:
    """Draws the token kind chooser ('char' or 'word'); Chinese has no spaces between words, so it is always 'char'."""
    if text.chinese:
        where.caption(t("text.token.chinese_only"))
        return "char"
    kinds = choices("text.token", ("char", "word"))
    return where.radio(t("text.token.label"), list(kinds), horizontal=True, key=key, format_func=kinds.get)


@st.cache_resource(show_spinner=False, max_entries=3)
def corpus_text(name: str) -> str:
    """Returns a bundled corpus's raw text: The Time Machine as d2l ships it, or the Tang poems (shared)."""
    return load_corpus_text(name)


def text_corpus(raw: str, token: str) -> Corpus:
    """Returns the cleaned, tokenized text (shared read-only; keyed by the text itself)."""
    with st.spinner(t("text.source.counting")):
        return _text_corpus(raw, token)


@st.cache_resource(show_spinner=False, max_entries=16)
def _text_corpus(raw: str, token: str) -> Corpus:
    return build_corpus(raw, token)


def show_tokens(text: ChosenText, corpus: Corpus, token: str) -> None:
    """Draws the three counts (raw characters, tokens, vocabulary) and the first tokens with their indices."""
    m1, m2, m3 = st.columns(3)
    m1.metric(t("text.tokens.raw_chars"), f"{len(text.raw):,}")
    m2.metric(t("text.tokens.count", kind=t(f"text.token.{token}")), f"{len(corpus.tokens):,}")
    m3.metric(t("text.tokens.vocab_size"), f"{len(corpus.vocab):,}")
    with st.expander(t("text.tokens.first_few"), expanded=True):
        st.markdown(t("text.tokens.raw", text=code_span(text.raw[:FIRST_CHARS])))
        cleaned = " ".join(corpus.tokens[:FIRST_WORDS]) if token == "word" else "".join(corpus.tokens[:FIRST_CHARS])
        shown = code_span(cleaned)
        st.markdown(t("text.tokens.cleaned_chinese", text=shown) if text.chinese else t("text.tokens.cleaned", text=shown))
        st.dataframe({t("text.tokens.token_column"): list(corpus.tokens[:20]),
                      t("text.tokens.index_column"): corpus.indices[:20].tolist()}, hide_index=True, height=160)


def probe(corpus: Corpus, token: str, chinese: bool) -> None:
    """Draws a box for the learner's own words and the indices this vocabulary gives them (0 = <unk>)."""
    typed = st.text_input(t("text.tokens.probe"), PROBES[chinese], key=f"tl_probe_{'zh' if chinese else 'en'}")
    cleaned = textstats.clean_text(typed)
    ids = corpus.vocab.encode(cleaned.split() if token == "word" else list(cleaned))
    st.markdown(t("text.tokens.indices", ids=code_span(" ".join(str(i) for i in ids))))


@st.cache_data(show_spinner=False, max_entries=16)
def zipf(raw: str, token: str) -> tuple[pd.DataFrame, dict[int, float], pd.DataFrame]:
    """Returns (rank-frequency table for n = 1, 2, 3; fitted Zipf exponents; sparsity table)."""
    corpus = _text_corpus(raw, token)
    table = textstats.zipf_table(corpus.tokens)
    # The head of a list of letters is a handful of very common ones: fit past it. Words and Chinese characters
    # (thousands of types) have a longer head of function words and particles.
    first = 3 if token == "char" and len(corpus.vocab) < 100 else 10
    exps = {n: textstats.zipf_exponent(part["count"].to_numpy(), first) for n, part in table.groupby("n")}
    return table, exps, textstats.sparsity(table, len(corpus.vocab) - 1)


def sparsity_table(sparse: pd.DataFrame) -> None:
    """Draws the sparsity table with its column headings in the learner's language."""
    names = {"distinct": "distinct", "seen once": "seen_once", "share seen once": "share_seen_once",
             "possible": "possible", "share of possible seen": "share_of_possible_seen"}
    shown = sparse.rename(columns={col: t(f"text.zipf.columns.{name}") for col, name in names.items()})
    formats = {"share_seen_once": "percent", "share_of_possible_seen": "%.2e", "possible": "%.3g"}
    st.dataframe(shown, hide_index=True, column_config={
        t(f"text.zipf.columns.{name}"): st.column_config.NumberColumn(format=fmt) for name, fmt in formats.items()})


def batch_table(tokens: Sequence[str], layout: Sequence[Placement], num_steps: int) -> None:
    """Draws the first minibatch as (X, Y) rows with headings in the learner's language."""
    table = textstats.batch_windows(tokens, layout, num_steps, 0)
    names = {"row": "row", "start": "start", "X (input)": "x", "Y (label = X shifted by one)": "y"}
    st.dataframe(table.rename(columns={col: t(f"text.partition.columns.{n}") for col, n in names.items()}),
                 hide_index=True)


def model_corpus(text: ChosenText) -> str:
    """Returns the bundled corpus a model should have read to score this text (pasted text: by its script)."""
    if text.source != "paste":
        return text.source
    return "tang_simplified" if text.chinese else "timemachine"


def lm_for_text(insp: store.Inspectable, text: ChosenText) -> store.Inspectable:
    """Returns the model that scores the text: a default model is swapped for the same default trained on the
    text's corpus (a Time Machine model knows no Chinese character); the learner's own model is kept, with a note."""
    want, read = model_corpus(text), insp.cfg.text.corpus
    if insp.own:
        if (read in CHINESE_CORPORA) != text.chinese:  # another script: most characters would be <unk>
            st.info(t("text.perplexity.other_corpus", corpus=choices("text.source", SOURCES).get(read, read)))
        return insp
    if read == want:
        return insp
    cfg = replace(insp.cfg, text=replace(insp.cfg.text, corpus=want, token="char"))
    if want in CHINESE_CORPORA:
        cfg = replace(cfg, train=replace(cfg.train, steps=min(cfg.train.steps, CHINESE_DEFAULT_STEPS)))
    st.caption(t("text.perplexity.trained_on", corpus=t(f"text.source.{want}")))
    return store.Inspectable(insp.label, cfg, cache.trained_run(cfg).model, False)


def passage_bounds(plain: str) -> tuple[int, int]:
    """Returns (last allowed start, default start) of the scored passage in a cleaned text."""
    return max(len(plain) - 30, 0), min(2000, max(len(plain) - 200, 0))


def lm_perplexity(insp: store.Inspectable, passage: str) -> tuple[textstats.Perplexity, textstats.Perplexity]:
    """Returns the passage scored by the chosen LM and by the same model at initialisation."""
    vocab = cache.corpus(insp.cfg.text).vocab
    tokens, probs = token_surprise(insp.model, vocab, passage, insp.cfg.text.token)
    _, probs0 = token_surprise(cache.untrained_model(insp.cfg), vocab, passage, insp.cfg.text.token)
    V = len(vocab)
    return textstats.perplexity_breakdown(tokens, probs, V), textstats.perplexity_breakdown(tokens, probs0, V)


def metric_label(label: str) -> str:
    """Returns the perplexity metric's label naming a model (whose name a learner may have typed)."""
    return t("text.perplexity.of_model", label=as_text(label))


def half_question(corpus: Corpus) -> None:
    """Asks how many of the most frequent tokens cover half of the text; answered from the vocabulary's counts."""
    predict("predict.text.half", tokens_for_half(corpus.vocab.counts))


def continues_question(n_tokens: int, batch_size: int, num_steps: int, offset: int) -> None:
    """Asks whether sequential minibatch 2 continues minibatch 1; answered from the partition the strip below draws."""
    layout = textstats.seeded_layout(n_tokens, batch_size, num_steps, "sequential", offset)
    starts = [[p.start for p in layout if p.batch == b] for b in (0, 1)]
    if starts[1]:  # two minibatches at least: otherwise there is nothing to continue
        predict("predict.text.continues", minibatches_continue(starts, num_steps))
