"""Widgets and cached helpers for the inspection pages (hidden states, gates): model, input, formula panel."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st
from torch import nn

from rnnviz import cells as steps
from rnnviz import inspect
from rnnviz.config import CELL_LABELS, CELLS
from rnnviz.data import Corpus
from rnnviz.inspect import PreparedText
from rnnviz.trace import Trace, trace_model
from rnnviz.ui import cache, store
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import lesson_text
from rnnviz.ui.scrub import STEP_PARAM, default_model_at, scrub_at

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


@dataclass(frozen=True)
class Inspected:
    """What the learner chose to inspect: the model at the chosen training step, the text, and link presets."""

    insp: store.Inspectable  # .model is the model at the chosen step
    text: PreparedText
    when: str  # "step 80 of 400", for titles
    step: int | None  # None: the latest weights
    params: dict[str, object]  # a class link's presets that reproduce this choice


def model_options(task: str, cells: tuple[str, ...]) -> list[str]:
    """Returns the model choices: the learner's own models of the task, then one default per cell."""
    own = [e for e in store.models().values() if e.cfg.task == task and e.cfg.model.cell in cells]
    return [f"mine: {e.name}" for e in own] + [f"default {CELL_LABELS[c]}" for c in cells]


def resolve_model(task: str, choice: str, cells: tuple[str, ...]) -> store.Inspectable:
    """Returns the Inspectable of a model choice (an own model by name, or a cached default by cell label)."""
    if choice.startswith("mine: "):
        entry = store.models()[choice.removeprefix("mine: ")]
        return store.Inspectable(entry.name, entry.cfg, entry.run.model, True)
    cell = next(c for c in cells if choice == f"default {CELL_LABELS[c]}")
    base = cache.DEFAULT_RUNS[task]
    cfg = replace(base, model=replace(base.model, cell=cell))
    return store.Inspectable(choice, cfg, cache.trained_run(cfg).model, False)


def choose_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> store.Inspectable:
    """Draws the model chooser (a link's ?model= wins, then the active own model); returns the choice."""
    options = model_options(task, cells)
    act = store.active()
    mine = f"mine: {act.name}" if act is not None else ""
    preset = query_value("model", mine if mine in options else options[0], options)
    choice = control("model", preset, lambda: st.selectbox(
        "Model", options, index=options.index(preset), key=key,
        help="Your own models come from the training lab; defaults are trained once per server."))
    return resolve_model(task, choice, cells)


def model_and_text(key: str, cells: tuple[str, ...] = CELLS) -> Inspected:
    """Draws the model, training-time and input choosers; returns the model at the chosen step and the text."""
    left, right = st.columns([1, 2])
    with left:
        insp = choose_model("lm", f"{key}_model", cells)
        st.caption(f"{CELL_LABELS[insp.cfg.model.cell]}, {insp.cfg.model.hidden_size} units, "
                   f"{insp.cfg.model.num_layers} layer(s), character LM on The Time Machine"
                   + ("" if insp.own else f", trained {insp.cfg.train.steps} steps"))
        model, when, step = scrub_at(insp, f"{key}_scrub")
    with right:
        text, text_params = choose_text(cache.corpus(insp.cfg.text), key)
    params = {"model": None if insp.own else insp.label, **text_params, STEP_PARAM: step}
    return Inspected(replace(insp, model=model), text, when, step, params)


def _text_presets(corpus: Corpus) -> tuple[str, int, int, str]:
    """Returns a link's input presets: (source, start, length, typed text), clamped to what the widgets allow."""
    typed = query_value("text", None)
    start = min(max(query_value("start", 2000), 0), len(corpus.tokens) - 50)
    length = min(max(query_value("length", 100) // 10 * 10, 20), inspect.MAX_CHARS)
    return SOURCES[1] if typed else SOURCES[0], start, length, typed or DEFAULT_TEXT


def choose_text(corpus: Corpus, key: str) -> tuple[PreparedText, dict[str, object]]:
    """Draws the input chooser (a passage or typed text); returns the cleaned, capped text and its link presets."""
    source, start, length, typed = _text_presets(corpus)

    def widgets() -> tuple[bool, int, int, str]:
        chosen = st.radio("Input", SOURCES, index=SOURCES.index(source), horizontal=True, key=f"{key}_source")
        if chosen == SOURCES[0]:
            a, b = st.columns(2)
            at = a.number_input("Start at character", 0, len(corpus.tokens) - 50, start, step=100, key=f"{key}_start")
            n = b.slider("Length (characters)", 20, inspect.MAX_CHARS, length, step=10, key=f"{key}_length")
            return True, int(at), int(n), typed
        return False, start, length, st.text_area(f"Your text (up to {inspect.MAX_CHARS} characters are used)",
                                                  typed, key=f"{key}_text", height=80)

    passage, start, length, typed = control("input", (source == SOURCES[0], start, length, typed), widgets)
    raw = inspect.corpus_passage(corpus, start, length) if passage else typed
    text = inspect.prepare_text(raw, corpus.vocab, clean=not passage)
    if text.note:
        st.caption(text.note)
    params = {"start": start, "length": length} if passage else {"text": typed}
    return text, params


def run_trace(model: nn.Module, text: PreparedText) -> Trace:
    """Returns the replay of the text through the model (a few ms; not cached, so own models stay live)."""
    return trace_model(model, text.ids)


def before_trace(insp: store.Inspectable, text: PreparedText) -> Trace:
    """Returns the replay through the same model at initialisation (same config and seed, no training)."""
    return trace_model(cache.untrained_model(insp.cfg), text.ids)


def layer_select(trace: Trace, key: str) -> int:
    """Draws a layer selector when the model has more than one layer (?layer=2 presets it); returns the index."""
    layers = list(range(len(trace.layers)))
    preset = query_value("layer", 1, [k + 1 for k in layers]) - 1
    if len(layers) == 1:
        return 0
    return control("layer", preset, lambda: st.selectbox("Layer", layers, index=preset, key=key,
                                                         format_func=lambda k: f"layer {k + 1}"))


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


def compare_traces(text: PreparedText, cells: tuple[str, ...] = ("rnn_tanh", "gru", "lstm"),
                   step: int | None = None) -> dict[str, Trace]:
    """Returns the default model of every cell (same task, size and training) replayed on the same text.

    With a step, every default is taken at that training step (they share one schedule of snapshots).
    """
    base = cache.DEFAULT_RUNS["lm"]
    out = {}
    for cell in cells:
        cfg = replace(base, model=replace(base.model, cell=cell))
        model = cache.trained_run(cfg).model if step is None else default_model_at(cfg, step)
        out[cell] = trace_model(model, text.ids)
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


def cell_step(cell: str):
    """Returns the explicit step function (rnnviz.cells) that the replay runs for a cell type."""
    return {"gru": steps.gru_step, "lstm": steps.lstm_step}.get(cell, steps.rnn_step)
