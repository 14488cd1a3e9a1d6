"""Widgets and cached helpers for the inspection pages (hidden states, gates): model, input, formula panel."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st
from torch import nn

from rnnviz import inspect
from rnnviz.config import CELL_LABELS, CELLS
from rnnviz.data import Corpus
from rnnviz.inspect import PreparedText
from rnnviz.trace import Trace, trace_model
from rnnviz.ui import cache, store
from rnnviz.ui.core import lesson_text

SOURCES = ("A passage of The Time Machine", "Type your own text")
DEFAULT_TEXT = ("the time traveller for so it will be convenient to speak of him "
                "was expounding a recondite matter to us")

FORMULAS: dict[str, list[str]] = {
    "rnn_tanh": [r"h_t = \tanh(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh})"],
    "rnn_relu": [r"h_t = \mathrm{ReLU}(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh})"],
    "gru": [r"r_t = \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}) \qquad "
            r"z_t = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz})",
            r"n_t = \tanh\big(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big)",
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"],
    "lstm": [r"i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) \quad f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)"
             r" \quad o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)",
             r"g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \qquad c_t = f_t \odot c_{t-1} + i_t \odot g_t"
             r" \qquad h_t = o_t \odot \tanh(c_t)"],
}
TEXTBOOK_GRU = r"n_t = \tanh\big(W_{xn} x_t + b_{xn} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big)"


def model_and_text(key: str, cells: tuple[str, ...] = CELLS) -> tuple[store.Inspectable, PreparedText]:
    """Draws the model chooser and the input chooser side by side; returns the model and the prepared text."""
    left, right = st.columns([1, 2])
    with left:
        insp = store.pick_model("lm", f"{key}_model", cells)
        st.caption(f"{CELL_LABELS[insp.cfg.model.cell]}, {insp.cfg.model.hidden_size} units, "
                   f"{insp.cfg.model.num_layers} layer(s), character LM on The Time Machine"
                   + ("" if insp.own else f", trained {insp.cfg.train.steps} steps"))
    with right:
        text = choose_text(cache.corpus(insp.cfg.text), key)
    return insp, text


def choose_text(corpus: Corpus, key: str) -> PreparedText:
    """Draws the input chooser (a passage of the corpus or typed text) and returns the cleaned, capped text."""
    source = st.radio("Input", SOURCES, horizontal=True, key=f"{key}_source")
    passage = source == SOURCES[0]
    if passage:
        a, b = st.columns(2)
        start = a.number_input("Start at character", 0, len(corpus.tokens) - 50, 2000, step=100, key=f"{key}_start")
        length = b.slider("Length (characters)", 20, inspect.MAX_CHARS, 100, step=10, key=f"{key}_length")
        raw = inspect.corpus_passage(corpus, int(start), int(length))
    else:
        raw = st.text_area(f"Your text (up to {inspect.MAX_CHARS} characters are used)", DEFAULT_TEXT,
                           key=f"{key}_text", height=80)
    text = inspect.prepare_text(raw, corpus.vocab, clean=not passage)
    if text.note:
        st.caption(text.note)
    return text


def run_trace(model: nn.Module, text: PreparedText) -> Trace:
    """Returns the replay of the text through the model (a few ms; not cached, so own models stay live)."""
    return trace_model(model, text.ids)


def before_trace(insp: store.Inspectable, text: PreparedText) -> Trace:
    """Returns the replay through the same model at initialisation (same config and seed, no training)."""
    return trace_model(cache.untrained_model(insp.cfg), text.ids)


def layer_select(trace: Trace, key: str) -> int:
    """Draws a layer selector when the model has more than one layer; returns the layer index."""
    if len(trace.layers) == 1:
        return 0
    return st.selectbox("Layer", range(len(trace.layers)), format_func=lambda k: f"layer {k + 1}", key=key)


def formula_panel(insp: store.Inspectable, textbook: bool = False) -> None:
    """Draws the step that ran (torch's convention), the real weight shapes and the parameter count check."""
    rnn = insp.model.rnn
    for line in FORMULAS[insp.cfg.model.cell]:
        st.latex(line)
    if textbook and insp.cfg.model.cell == "gru":
        st.markdown("Textbook (d2l) candidate, **not** what torch runs: the reset multiplies $h_{t-1}$ *before* "
                    "the matrix product, and $b_{hn}$ is not reset.")
        st.latex(TEXTBOOK_GRU)
    check = inspect.param_check(rnn)
    shapes = inspect.weight_shapes(rnn)
    with st.expander(f"Shapes in this model, and the parameter count ({check.torch_count:,})", expanded=False):
        st.dataframe(shapes, hide_index=True, width="stretch")
        mark = "matches" if check.matches else "does NOT match"
        st.markdown(f"gates × H × (H + D) + biases = {check.expression} = **{check.formula:,}**, which {mark} "
                    f"torch's own count of the recurrent core's tensors: **{check.torch_count:,}** "
                    f"(x_t is a one-hot vector of D = {rnn.input_size} characters).")


def compare_traces(text: PreparedText, cells: tuple[str, ...] = ("rnn_tanh", "gru", "lstm")) -> dict[str, Trace]:
    """Returns the default model of every cell (same task, size and training) replayed on the same text."""
    base = cache.DEFAULT_RUNS["lm"]
    out = {}
    for cell in cells:
        cfg = replace(base, model=replace(base.model, cell=cell))
        out[cell] = trace_model(cache.trained_run(cfg).model, text.ids)
    return out


def space_mask(text: PreparedText) -> np.ndarray:
    """Returns True at the spaces of the text (the word boundaries the cleaned corpus keeps)."""
    return np.array([t == " " for t in text.tokens])


def lesson_part(name: str, index: int) -> str:
    """Returns the index-th part of a lesson file whose parts are separated by '<!-- part -->'."""
    return lesson_text(name).split("<!-- part -->")[index].strip()


def show_comparison(table) -> None:
    """Draws the cell comparison table with fractions as percentages."""
    pct = st.column_config.NumberColumn(format="percent")
    st.dataframe(table, hide_index=True, column_config={"|h| > 0.9": pct, "|h| < 0.1": pct, "saturated gates": pct})
