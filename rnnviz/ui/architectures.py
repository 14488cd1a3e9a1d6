"""Widgets and session helpers for the architectures lesson: shape explorer and a live encoder-decoder."""

from __future__ import annotations

import streamlit as st
import torch

from rnnviz import seq2seq, shapes
from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS
from rnnviz.predictions import output_growth, params_multiple
from rnnviz.ui.predict import predict

S2S_KEY = "arch_seq2seq"  # this session's encoder-decoder run
S2S_SECONDS = 3.0  # one button press trains at most this long
S2S_MAX_STEPS = 600
CELLS = ("gru", "lstm", "rnn_tanh")  # the cells both explorers offer


def shape_controls(key: str) -> shapes.ShapeSpec:
    """Draws the shape explorer's controls (d2l's encoder example by default); returns the spec."""
    a, b, c, d = st.columns(4)
    cell = a.selectbox(t("architectures.controls.cell"), CELLS, key=f"{key}_cell", format_func=CELL_LABELS.get)
    vocab = a.number_input(t("architectures.controls.vocab"), 0, 1000, 10, key=f"{key}_vocab")
    input_size = b.number_input(t("architectures.controls.input"), 1, 256, 8, key=f"{key}_input")
    hidden = b.number_input(t("architectures.controls.hidden"), 1, 256, 16, key=f"{key}_hidden")
    layers = c.slider(t("architectures.controls.layers"), 1, 4, 2, key=f"{key}_layers")
    bidirectional = c.toggle(t("architectures.controls.bidirectional"), False, key=f"{key}_bi")
    batch = d.number_input(t("architectures.controls.batch"), 1, 64, 4, key=f"{key}_batch")
    steps = d.number_input(t("architectures.controls.steps"), 1, 100, 7, key=f"{key}_steps")
    return shapes.ShapeSpec(cell, int(input_size), int(hidden), int(layers), bool(bidirectional), int(batch),
                            int(steps), int(vocab))


def ask_predictions(spec: shapes.ShapeSpec, total: int) -> None:
    """Asks, before the tables answer them, what bidirectional does to the output and how many parameters the
    configured module has (total: torch's count), both answered from the module these settings build."""
    predict("predict.architectures.bidirectional", output_growth(*shapes.output_widths(spec)))
    single = shapes.one_layer_params(spec)
    st.caption(t("architectures.shapes.n_is", single=single))
    predict("predict.architectures.params", params_multiple(total, single))


def s2s_run(cfg: seq2seq.Seq2SeqConfig) -> seq2seq.Seq2SeqRun:
    """Returns this session's encoder-decoder for cfg, starting a fresh one when the settings changed."""
    run = st.session_state.get(S2S_KEY)
    if run is None or run.cfg != cfg:
        run = st.session_state[S2S_KEY] = seq2seq.Seq2SeqRun(cfg)
    return run


def s2s_train(run: seq2seq.Seq2SeqRun) -> int:
    """Trains the session's encoder-decoder for one bounded burst; returns the steps taken."""
    with st.spinner(t("architectures.s2s.training", seconds=S2S_SECONDS)):
        torch.set_num_threads(1)
        return run.train(S2S_MAX_STEPS, S2S_SECONDS)


@st.cache_data(show_spinner=False, max_entries=8)
def lookahead_maps(cell: str, steps: int = 10) -> tuple:
    """Returns ||d output_t / d x_s|| (steps, steps) for a forward and a bidirectional one-layer module (shared)."""
    return shapes.input_jacobian(cell, steps, False), shapes.input_jacobian(cell, steps, True)
