"""Cached loaders shared by every session: data and ready-trained default models (read-only)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
import torch

from rnnviz.catalog import t
from rnnviz.config import RunConfig, SentimentConfig, SeriesConfig, TextConfig
from rnnviz.data import Corpus, SentimentData, Series, build_sentiment, load_corpus, load_series
from rnnviz.presets import LESSON_DEFAULTS
from rnnviz.tasks import make_model, make_task
from rnnviz.train import TrainRun

# Snapshots kept by every default run, so the scrubber works before any training: ~6-8 checkpoints,
# 0.1-0.34 MB each for the default character LMs (measured), read-only like the run itself.
DEFAULT_SNAPSHOTS = 8

# Defaults a page can show before the learner trains anything: small enough to train in seconds. Declared once
# beside the lab's defaults (rnnviz.presets); a copy, so a test can swap one entry without touching the other table.
DEFAULT_RUNS: dict[str, RunConfig] = dict(LESSON_DEFAULTS)


# The caches show no spinner of their own (its words would be fixed in one language when the module loads): each
# is called inside st.spinner with the learner's words, which appears only while a call takes over half a second,
# so a cache hit shows nothing.
# Every server-wide cache has a bound (see "Limits" in the README for what each holds and its worst case).
# The data caches are keyed only by what shapes the data, so the lab's minibatch or window settings do not
# make new copies of the same corpus or series.


def corpus(cfg: TextConfig) -> Corpus:
    """Returns the tokenized corpus (shared; never mutate it)."""
    with st.spinner(t("common.cache.corpus")):
        return _corpus(cfg.corpus, cfg.token, cfg.max_tokens, cfg.own_text, cfg.min_freq)


# A learner's own text (at most 200 kB) makes an entry of at most ~4 MB (its tokens share the vocabulary's strings).
@st.cache_resource(show_spinner=False, max_entries=8)
def _corpus(name: str, token: str, max_tokens: int | None, own_text: str | None = None, min_freq: int = 1) -> Corpus:
    return load_corpus(TextConfig(corpus=name, token=token, max_tokens=max_tokens, own_text=own_text,
                                  min_freq=min_freq))


def series(cfg: SeriesConfig) -> Series:
    """Returns a bundled or synthetic series (shared; never mutate it)."""
    if cfg.name != "sine":  # a bundled file: the sine's length, noise and seed do not apply
        return _series(cfg.name, 0, 0.0, 0)
    return _series(cfg.name, cfg.T, cfg.noise, cfg.data_seed)


@st.cache_resource(show_spinner=False, max_entries=16)
def _series(name: str, T: int, noise: float, data_seed: int) -> Series:
    cfg = SeriesConfig(name=name, T=T, noise=noise, data_seed=data_seed) if name == "sine" else SeriesConfig(name=name)
    return load_series(cfg)


def sentiment(cfg: SentimentConfig) -> SentimentData:
    """Returns the split, encoded review sentences (shared; never mutate them)."""
    with st.spinner(t("common.cache.sentiment")):
        return _sentiment(cfg)


@st.cache_resource(show_spinner=False, max_entries=16)
def _sentiment(cfg: SentimentConfig) -> SentimentData:
    return build_sentiment(cfg)


def data_for(cfg: RunConfig) -> Corpus | Series | SentimentData:
    """Returns the data a run config trains on."""
    if cfg.task == "lm":
        return corpus(cfg.text)
    if cfg.task == "forecast":
        return series(cfg.series)
    return sentiment(cfg.sentiment)


def trained_run(cfg: RunConfig) -> TrainRun:
    """Returns a run trained for cfg.train.steps: computed once per config and shared read-only by every session."""
    with st.spinner(t("common.cache.training")):
        return _trained_run(cfg)


@st.cache_resource(show_spinner=False, max_entries=64)
def _trained_run(cfg: RunConfig) -> TrainRun:
    task = make_task(cfg, data_for(cfg))
    # Every task keeps snapshots: the hidden-state and gate lessons scrub through a forecaster's or a classifier's
    # training too. Measured: a default forecaster's snapshots take 0.1 MB, a default classifier's 1.6-2.2 MB
    # (mostly its word embeddings), so the nine source x cell classifiers hold at most ~20 MB of snapshots.
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train, max_snapshots=DEFAULT_SNAPSHOTS)
    run.run(cfg.train.steps)
    run.model.eval()
    run.model.requires_grad_(False)  # shared by all sessions: nobody may train it further
    return run


# Keyed by the default configs and by learners' own (gated) configs: 16 x the largest allowed model (7.4 MB).
@st.cache_resource(show_spinner=False, max_entries=16)
def untrained_model(cfg: RunConfig) -> torch.nn.Module:
    """Returns the model of cfg at initialisation (shared read-only), for before/after comparisons."""
    task = make_task(cfg, data_for(cfg))
    model = make_model(task, cfg.model, cfg.train.seed).eval()
    return model.requires_grad_(False)


def default_run(task: str, cell: str | None = None) -> TrainRun:
    """Returns the cached default run of a task, optionally with another cell type."""
    cfg = DEFAULT_RUNS[task]
    if cell is not None:
        cfg = replace(cfg, model=replace(cfg.model, cell=cell))
    return trained_run(cfg)
