"""The home page's parts: the suggested path through the lessons (from rnnviz.lessons) and a live preview of an RNN
learning."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from rnnviz import lessons
from rnnviz.catalog import t
from rnnviz.forecast import one_step
from rnnviz.plots.fit import fitted
from rnnviz.plots.training import fit_figure, state_heatmap
from rnnviz.presets import PRESETS_BY_SLUG
from rnnviz.tasks import scaled_series
from rnnviz.tracing import trace_model
from rnnviz.ui import cache, lang
from rnnviz.ui.affordances import live_chart
from rnnviz.ui.core import page_link
from rnnviz.ui.lab import REFRESH_SECONDS, LabRun, new_lab_run, tick

PREVIEW_KEY = "home_preview"
PREVIEW_PRESET = "sine-gru"  # shared: 30 students opening the home page cost one tiny run
HEATMAP_STEPS = 630  # one period of sin(0.01 t)
HEATMAP_STRIDE = 3  # columns shown: every third step keeps each refresh small


def lesson_path() -> None:
    """Draws the suggested path: a link and one line per lesson (rnnviz.lessons), then the teacher's tools apart.

    Every link carries the learner's language, so the lesson opens in the language of the home page.
    """
    params = lang.link_params()
    for number, page in enumerate(lessons.LESSONS, start=1):
        left, right = st.columns([1, 3], vertical_alignment="center")
        page_link(page, params, f"{number}. {t(page.title_key)}", left)
        right.markdown(t(page.line_key))
    for page in lessons.TEACHER_TOOLS:
        left, right = st.columns([1, 3], vertical_alignment="center")
        page_link(page, params, where=left)
        right.markdown(t(page.line_key))


def lab_link() -> None:
    """Draws the link to the training lab that the quick start points to."""
    page_link(lessons.BY_SLUG["training_lab"], lang.link_params(), t("home.to_lab"))


def preview() -> None:
    """Draws the live preview: a tiny GRU learning the sine, its fit and its hidden states refreshed as it trains."""
    lab = st.session_state.get(PREVIEW_KEY)
    if lab is None:
        lab = st.session_state[PREVIEW_KEY] = new_lab_run("home preview", PRESETS_BY_SLUG[PREVIEW_PRESET].cfg)
    st.fragment(_preview, run_every=REFRESH_SECONDS if lab.status == "running" else None)()


def _preview() -> None:
    lab: LabRun = st.session_state[PREVIEW_KEY]
    was_running = lab.status == "running"
    tick(lab)
    cfg = lab.cfg
    series = cache.series(cfg.series)
    values, n_train, scaler = scaled_series(series, cfg.series)
    preds = scaler.inverse(one_step(lab.run.model, values))
    loss = t("home.preview.loss", loss=lab.run.history[-1].loss) if lab.run.history else ""
    st.progress(min(lab.steps_done / cfg.train.steps, 1.0),
                text=t("home.preview.progress", hidden=cfg.model.hidden_size, step=lab.steps_done,
                       steps=cfg.train.steps, loss=loss))
    live_chart(fit_figure(series.values, preds, n_train, series.labels, series.unit), key="home_fit")
    with torch.no_grad():
        trace = trace_model(lab.run.model, values[None, :HEATMAP_STEPS])
    h = trace.layers[0].h[0, ::HEATMAP_STRIDE].numpy()  # (T / stride, H)
    steps = np.arange(0, HEATMAP_STEPS, HEATMAP_STRIDE)
    st.plotly_chart(fitted(state_heatmap(h, values[:HEATMAP_STEPS:HEATMAP_STRIDE].numpy(), steps), in_place=True),
                    key="home_states")
    if was_running and lab.status != "running":
        st.rerun(scope="app")


def replay_preview() -> None:
    """Starts the preview again from an untrained model (button callback)."""
    st.session_state.pop(PREVIEW_KEY, None)
