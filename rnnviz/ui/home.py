"""The home page's parts: the suggested path through the lessons and a live preview of an RNN learning."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError

from rnnviz.forecast import one_step
from rnnviz.plots.training import fit_figure, state_heatmap
from rnnviz.presets import PRESETS_BY_SLUG
from rnnviz.tasks import scaled_series
from rnnviz.tracing import trace_model
from rnnviz.ui import cache
from rnnviz.ui.chart_fit import fitted
from rnnviz.ui.lab import REFRESH_SECONDS, LabRun, new_lab_run, tick

ROOT = Path(__file__).resolve().parents[2]
PAGE_NAME = re.compile(r"^[0-9]+[_ -]*")  # Streamlit drops the number prefix from the URL path
PREVIEW_KEY = "home_preview"
PREVIEW_PRESET = "sine-gru"  # shared: 30 students opening the home page cost one tiny run
HEATMAP_STEPS = 630  # one period of sin(0.01 t)
HEATMAP_STRIDE = 3  # columns shown: every third step keeps each refresh small

# The suggested path for a class: (page file, title, icon, one line on what it shows).
LESSONS: tuple[tuple[str, str, str, str], ...] = (
    ("pages/1_Forecasting.py", "Forecasting", ":material/show_chart:",
     "Predict a noisy sine one step ahead, then k steps ahead, and watch errors compound (d2l 9.1)."),
    ("pages/2_Text_and_language_models.py", "Text and language models", ":material/menu_book:",
     "Turn The Time Machine into tokens and minibatches; what a language model and perplexity are (d2l 9.2-9.3)."),
    ("pages/3_Training_lab.py", "Training lab", ":material/fitness_center:",
     "Train a model live, watch loss and gradient norm, make one explode and tame it with clipping."),
    ("pages/4_Hidden_states.py", "Hidden states", ":material/psychology:",
     "What h_t holds while the model reads, unit by unit (d2l 9.4-9.5)."),
    ("pages/5_Gates.py", "Gates", ":material/door_front:",
     "GRU and LSTM gates at every step: what opens, what forgets (d2l 10.1-10.2)."),
    ("pages/6_Gradients_through_time.py", "Gradients through time", ":material/trending_down:",
     "How dL/dh_t shrinks or grows as it flows back through time (d2l 9.7)."),
    ("pages/7_Clipping_and_truncation.py", "Clipping and truncation", ":material/content_cut:",
     "Gradient clipping and truncated backpropagation, side by side."),
    ("pages/8_Deep_and_bidirectional.py", "Deep and bidirectional", ":material/layers:",
     "Stack layers, read both ways, count the parameters, train a tiny encoder-decoder (d2l 10.3-10.7)."),
    ("pages/9_Sentiment.py", "Sentiment", ":material/chat:",
     "Classify review sentences word by word and see which word flips the opinion."),
    ("pages/10_Recurrent_matrix.py", "Recurrent matrix", ":material/blur_circular:",
     "The eigenvalues of your model's W_hh against the unit circle: 0.9^100 vs 1.2^100 in your own weights."),
)

# Pages for the teacher, not lessons: listed apart, after the path.
TEACHER_TOOLS: tuple[tuple[str, str, str, str], ...] = (
    ("pages/11_Class_board.py", "Class board", ":material/co_present:",
     "For teachers: start a board, send its link, and project every student's run live, compared by setting."),
)


def page_exists(page: str) -> bool:
    """Returns whether a page file is there (lessons land one by one; never link to a missing one)."""
    return (ROOT / page).is_file()


def link(page: str, label: str, icon: str | None = None, where=st) -> None:
    """Draws st.page_link to a page, or a plain URL link when Streamlit does not know the page.

    A page run on its own (AppTest.from_file on a page) is its own entrypoint, so the other
    pages are unknown to it; a learner on the served app always gets the real page link.
    """
    try:
        where.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        where.markdown(f"[{label}](/{PAGE_NAME.sub('', Path(page).stem)})")


def lesson_path() -> None:
    """Draws the suggested path: one line and a link per lesson (plain text for lessons not written yet)."""
    for number, (page, title, icon, line) in enumerate(LESSONS, start=1):
        left, right = st.columns([1, 3], vertical_alignment="center")
        if page_exists(page):
            link(page, f"{number}. {title}", icon, left)
        else:
            left.markdown(f"{number}. {title} *(coming soon)*")
        right.markdown(line)
    for page, title, icon, line in TEACHER_TOOLS:
        if page_exists(page):
            left, right = st.columns([1, 3], vertical_alignment="center")
            link(page, title, icon, left)
            right.markdown(line)


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
    loss = f" · loss {lab.run.history[-1].loss:.3f}" if lab.run.history else ""
    st.progress(min(lab.steps_done / cfg.train.steps, 1.0),
                text=f"A GRU with {cfg.model.hidden_size} units learning the sine: step {lab.steps_done} / "
                     f"{cfg.train.steps}{loss}")
    st.plotly_chart(fitted(fit_figure(series.values, preds, n_train, series.labels, series.unit, lab.steps_done),
                           in_place=True), key="home_fit")
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
