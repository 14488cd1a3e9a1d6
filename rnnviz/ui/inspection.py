"""Widgets and cached helpers for the inspection pages (hidden states, gates): model, input, formula panel.

The model picker is rnnviz.ui.model_choice, the input choosers rnnviz.ui.input_choice; what an input kind is
(patterns, boundaries, its words' keys) is rnnviz.inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st
from torch import nn

from rnnviz import cells as steps
from rnnviz import inputs, paramcheck
from rnnviz.catalog import choices, language, t
from rnnviz.config import CELL_LABELS, CELLS
from rnnviz.inputs import InputKind, PreparedText
from rnnviz.tracing import Trace, trace_model
from rnnviz.ui import cache, store
from rnnviz.ui import sentiment as sentiment_ui
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import lesson_text
from rnnviz.ui.input_choice import choose_review, choose_text, choose_window, review_lean
from rnnviz.ui.model_choice import choose_model, default_cfg
from rnnviz.ui.safe_text import plain
from rnnviz.ui.scrub import STEP_PARAM, default_model_at, scrub_at

__all__ = ["Inspected", "before_trace", "cell_step", "choose_model", "compare_traces", "comparison_note",
           "formula_panel", "hide_labels", "layer_select", "lesson_part", "model_and_text", "review_lean",
           "run_trace", "show_comparison"]


@dataclass(frozen=True)
class Inspected:
    """What the learner chose to inspect: the model at the chosen training step, the input, and link presets."""

    insp: store.Inspectable  # .model is the model at the chosen step
    text: PreparedText
    kind: InputKind  # what the input is: its patterns, boundaries and words
    when: str  # "step 80 of 400", for titles
    step: int | None  # None: the latest weights
    params: dict[str, object]  # a class link's presets that reproduce this choice


def model_and_text(key: str, cells: tuple[str, ...] = CELLS) -> Inspected:
    """Draws what the model reads (text, series window or review), the model, training-time and input choosers;
    returns the model at the chosen step and the prepared input."""
    act = store.active()  # open on what the learner's own model reads
    lang = language()  # options are labelled in the language they were drawn in, whoever formats them later
    reads = query_value("reads", inputs.reads_of_task(act.cfg.task) if act is not None else "text", inputs.READS)
    reads = control("reads", reads, lambda: st.radio(
        t("hidden_states.reads.label"), inputs.READS, index=inputs.READS.index(reads), horizontal=True,
        key=f"{key}_reads", format_func=lambda r: t(f"hidden_states.kinds.{r}.reads", lang),
        help=t("hidden_states.reads.help")))
    task = inputs.KINDS[reads].task
    left, right = st.columns([1, 2])
    with left:
        insp = choose_model(task, f"{key}_model" if reads == "text" else f"{key}_model_{reads}", cells)
        cfg = insp.cfg
        kind = inputs.text_kind(cfg.text.corpus) if reads == "text" else inputs.KINDS[reads]
        what = kind.says("task", series=plain(cfg.series.name),
                         source=sentiment_ui.SOURCE_LABELS.get(cfg.sentiment.source))
        trained = "" if insp.own else t("hidden_states.model.trained", steps=cfg.train.steps)
        st.caption(t("hidden_states.model.caption", cell=CELL_LABELS[cfg.model.cell], units=cfg.model.hidden_size,
                     layers=cfg.model.num_layers, task=what, trained=trained))
        model, when, step = scrub_at(insp, f"{key}_scrub")
    with right:
        if reads == "text":
            text, text_params = choose_text(cfg, kind, key)
        elif reads == "series":
            text, text_params = choose_window(cfg, key)
        else:
            text, text_params = choose_review(cfg, key)
    params = {"reads": None if reads == "text" else reads, "model": None if insp.own else insp.label,
              **text_params, STEP_PARAM: step}
    return Inspected(replace(insp, model=model), text, kind, when, step, params)


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
    lang = language()
    return control("layer", preset, lambda: st.selectbox(t("hidden_states.layer.label"), layers, index=preset,
                                                         key=key, format_func=lambda k: t("hidden_states.layer.one", lang,
                                                                                          layer=k + 1)))


def formula_panel(insp: store.Inspectable, textbook: bool = False) -> None:
    """Draws the step that ran (torch's convention), the real weight shapes and the parameter count check."""
    rnn = insp.model.rnn
    for line in steps.SPECS[insp.cfg.model.cell].formulas:
        st.latex(line)
    if textbook and insp.cfg.model.cell == "gru":
        st.markdown(t("gates.textbook.note"))
        st.latex(steps.TEXTBOOK_GRU)
    check = paramcheck.param_check(rnn)
    shapes = paramcheck.weight_shapes(rnn)
    shapes["b"] = shapes["b"].replace("none", t("hidden_states.formula.no_bias"))
    shapes = shapes.rename(columns={"layer": t("hidden_states.formula.layer"), "gate": t("hidden_states.formula.gate"),
                                    "torch rows": t("hidden_states.formula.torch_rows")})
    with st.expander(t("hidden_states.formula.expander", count=f"{check.torch_count:,}"), expanded=False):
        st.dataframe(shapes, hide_index=True, width="stretch")
        st.markdown(t("hidden_states.formula.check", expression=check.expression, formula=f"{check.formula:,}",
                      count=f"{check.torch_count:,}",
                      verdict=t("hidden_states.formula.matches") if check.matches else t("hidden_states.formula.differs"),
                      input=t(f"hidden_states.formula.input.{insp.cfg.task}", size=rnn.input_size)))


def compare_traces(text: PreparedText, cells: tuple[str, ...] = ("rnn_tanh", "gru", "lstm"),
                   step: int | None = None, task: str = "lm") -> dict[str, Trace]:
    """Returns the default model of every cell (same task, size and training) replayed on the same input.

    With a step, every default is taken at that training step (they share one schedule of snapshots).
    """
    out = {}
    for cell in cells:
        cfg = default_cfg(task, cell)
        model = cache.trained_run(cfg).model if step is None else default_model_at(cfg, step)
        out[cell] = trace_model(model, text.ids)
    return out


def comparison_note(insp: store.Inspectable) -> str | None:
    """Returns, when the learner inspects their own model, why the cell comparison shows the default models."""
    if not insp.own:
        return None
    cfg = default_cfg(insp.cfg.task, "gru")
    mine = insp.cfg.model
    return t("gates.compare.own_note", units=cfg.model.hidden_size, steps=cfg.train.steps,
             cell=CELL_LABELS[mine.cell], own_units=mine.hidden_size)


def show_comparison(table: pd.DataFrame) -> None:
    """Draws the cell comparison table with fractions as percentages and headings in the learner's language."""
    shown = table.copy()  # as text, so a value that does not apply reads "—" (a plain RNN has no gates), not "None"
    for col in shown.columns[1:]:
        percent = col != "longest keep stretch (steps)"
        shown[col] = [("—" if pd.isna(v) else f"{v:.0%}" if percent else f"{int(v)}") for v in table[col]]
    headings = {"cell": t("gates.compare.cell"), "longest keep stretch (steps)": t("gates.compare.longest"),
                "saturated gates": t("gates.compare.saturated")}
    st.dataframe(shown.rename(columns=headings), hide_index=True)


def hide_labels(names: list[str]) -> dict[str, str]:
    """Returns the class link's hideable controls, each with its name in the learner's language."""
    return choices("hidden_states.hide", names)


def own_link_note(insp: store.Inspectable) -> str:
    """Returns what a class link cannot carry: the learner's own model (it lives in their session only)."""
    return t("hidden_states.link.own_model") if insp.own else ""


def lesson_part(name: str, index: int) -> str:
    """Returns the index-th part of a lesson file whose parts are separated by '<!-- part -->'."""
    return lesson_text(name).split("<!-- part -->")[index].strip()


def cell_step(cell: str):
    """Returns the explicit step function (rnnviz.cells) that the replay runs for a cell type."""
    return steps.SPECS[cell].step
