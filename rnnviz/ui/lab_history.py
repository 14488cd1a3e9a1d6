"""The lab's story of a run: what the model did at milestone steps, recorded as it trains and shown under the live view."""

from __future__ import annotations

import time

import streamlit as st
import torch

from rnnviz import history
from rnnviz.catalog import t
from rnnviz.config import OWN_CORPUS, TextConfig
from rnnviz.data.text import TANG_CORPORA
from rnnviz.forecast import one_step
from rnnviz.generate import generate
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache
from rnnviz.ui.lab_runs import LabRun

SAMPLE_CHARS = 120
COLUMN_KEYS = {"step": "step", "test one-step RMSE": "rmse", "first test predictions": "first",
               "held-out accuracy": "accuracy"}  # the story table's columns -> their catalogue entries
PREFIX, TEMPERATURE = "time traveller", 0.8  # the live sample's defaults (its widgets keep the learner's choice)
TANG_PREFIX = "床前明月光"  # the poems' best-known line (the same characters in both scripts)
OWN_PREFIX_CHARS = 12  # an own text's sample starts with its first characters
PREFIX_KEY, PREFIX_FOR_KEY = "lab_prefix", "lab_prefix_for"  # the prefix box, and the default it last followed


def default_prefix(text: TextConfig) -> str:
    """Returns the live sample's first prefix for a corpus: the start of the text a model of it has read."""
    if text.corpus == OWN_CORPUS and text.own_text:
        return text.own_text[:OWN_PREFIX_CHARS].strip() or PREFIX
    return TANG_PREFIX if text.corpus in TANG_CORPORA else PREFIX


def follow_corpus(lab: LabRun) -> None:
    """Puts the corpus's prefix in the prefix box when the run reads another corpus than the box last followed
    (call before the box is drawn); a prefix the learner typed for this corpus stays."""
    if lab.cfg.task != "lm":
        return
    wanted, s = default_prefix(lab.cfg.text), st.session_state
    if s.get(PREFIX_FOR_KEY) != wanted or PREFIX_KEY not in s:  # not drawn in the last run: Streamlit forgot it
        s[PREFIX_FOR_KEY] = s[PREFIX_KEY] = wanted


def sample_text(lab: LabRun, prefix: str, temperature: float, max_age: float = 0.0) -> tuple[int, str]:
    """Returns (its step, the language model's sample); seeded by the step, so a step and settings give one sample.

    The sample is kept on the run (lab.sample), so the live view and the story ask for it once per step. With
    max_age, a kept sample of the same prefix and temperature written less than max_age seconds ago is returned
    as it is (of an earlier step): a busy server writes one every few refreshes instead of at every one.
    """
    wanted, now = (lab.steps_done, prefix, temperature), time.monotonic()
    kept = lab.sample
    recent = kept is not None and kept[0][1:] == wanted[1:] and now - kept[2] < max_age
    if kept is None or (kept[0] != wanted and not recent):
        corpus = cache.corpus(lab.cfg.text)
        g = torch.Generator().manual_seed(lab.steps_done)
        text = generate(lab.run.model, corpus.vocab, prefix, SAMPLE_CHARS, temperature, generator=g)
        lab.sample = (wanted, text, now)
    return lab.sample[0][0], lab.sample[1]


def moment(lab: LabRun, prefix: str, temperature: float) -> history.Moment:
    """Returns what the model does at its current step, for its task."""
    step = lab.steps_done
    if lab.cfg.task == "lm":
        return history.lm_moment(step, sample_text(lab, prefix, temperature)[1], prefix, temperature)
    if lab.cfg.task == "forecast":
        series = cache.series(lab.cfg.series)
        values, n_train, scaler = scaled_series(series, lab.cfg.series)
        return history.forecast_moment(step, series.values, scaler.inverse(one_step(lab.run.model, values)), n_train)
    data = cache.sentiment(lab.cfg.sentiment)
    lab.run.model.eval()
    with torch.no_grad():
        logits = lab.run.model.classify(data.x_test, data.len_test)  # (N, 2)
    return history.classifier_moment(step, logits, data.y_test)


def observe(lab: LabRun, prefix: str, temperature: float) -> None:
    """Records the current step in the run's story if it is a milestone (or the last step) not yet kept."""
    if history.due(lab.run.story, lab.steps_done, lab.cfg.train.steps):
        lab.run.story = history.record(lab.run.story, moment(lab, prefix, temperature))


def show(lab: LabRun) -> None:
    """Draws the story so far as a small table (the newest step last)."""
    story = lab.run.story
    if not story:
        return
    st.caption(t(f"training_lab.story.caption.{lab.cfg.task}"))
    with st.container(key="lab_story"):
        if lab.cfg.task == "lm":  # a timeline of the samples, wrapped so a projected class can read it
            step = t("training_lab.story.step")
            st.code("\n".join(f"{step} {m.step:>5} · T {m.temperature:.1f} │ {m.sample}" for m in story),
                    language=None, wrap_lines=True)
            return
        table = history.frame(story, lab.cfg.task)  # its columns keep their English names (the CSV's)
        config = {c: st.column_config.Column(t(f"training_lab.story.columns.{COLUMN_KEYS[c]}")) for c in table.columns}
        config["step"] = st.column_config.NumberColumn(t("training_lab.story.columns.step"), width="small")
        if lab.cfg.task == "sentiment":
            config["held-out accuracy"] = st.column_config.NumberColumn(t("training_lab.story.columns.accuracy"),
                                                                        format="percent")
        st.dataframe(table, hide_index=True, column_config=config, width="stretch")
