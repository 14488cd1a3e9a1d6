"""Sections of the Gates lesson drawn by the page in a line each: the unit range, the three questions with their
predictions, and the comparison of cells, every time axis marked at the lesson's selected step."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from torch import nn

from rnnviz import inputs, introspect, predictions
from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.errors import RnnvizError
from rnnviz.inputs import InputKind, PreparedText
from rnnviz.plots import gates as plots
from rnnviz.tracing import Trace
from rnnviz.ui import cache, store
from rnnviz.ui.affordances import chart, control, query_value
from rnnviz.ui.inspection import Inspected, compare_traces, comparison_note, show_comparison
from rnnviz.ui.linked_views import Pick, linked
from rnnviz.ui.predict import predict

PAGE = "gates"  # the lesson's name for its selection (rnnviz.ui.selection)


def unit_range(H: int, column) -> tuple[int, int]:
    """Draws the range of units the heatmaps show (?lo=&hi= preset it; ?lo=9&hi=3 reads as units 3 to 9)."""
    lo = query_value("lo", 0, bounds=(0, H - 1))
    hi = query_value("hi", min(H, 48), bounds=(1, H))
    units = (min(lo, hi), max(lo, hi, min(lo, hi) + 1))
    lo, hi = control("units", units, lambda: column.slider(t("gates.units"), 0, H, units, key="gt_units"))
    return min(lo, H - 1), max(hi, min(lo, H - 1) + 1)  # at least one unit, even with both handles at H


def rnn_of(insp: store.Inspectable, before: bool) -> nn.RNNBase:
    """Returns the recurrent module whose trace the page shows: the chosen model's, or the same at initialisation."""
    return (cache.untrained_model(insp.cfg) if before else insp.model).rnn


def questions(after: Trace, before: Trace, layer: int, memory: pd.DataFrame, text: PreparedText, kind: InputKind,
              cell: str) -> None:
    """Draws the three questions (who remembers, who resets, how saturated) and the predictions before them."""
    keep = SPECS[cell].keep
    left, right = st.columns(2)
    with left:
        chart(plots.memory_bars(memory, introspect.memory_units(introspect.keep_gate(before, layer)), keep),
              key="gt_memory")
        st.caption(t("gates.questions.memory", keep=keep, steps=kind.says("unit")))
    with right:
        try:
            resets = introspect.reset_units(introspect.keep_gate(after, layer), inputs.boundary_mask(text))
            chart(plots.reset_bars(resets, keep, kind.says("boundary")), key="gt_resets")
            st.caption(t("gates.questions.resets", where=kind.says("boundaries")) + " " + kind.reset_note(keep=keep))
        except RnnvizError:
            st.info(t("gates.questions.no_resets", where=kind.says("boundaries")))
    summary_after, summary_before = introspect.gate_summary(after, layer), introspect.gate_summary(before, layer)
    left, right = st.columns(2)
    with left:
        gates = summary_after[summary_after["sigmoid"]].set_index("quantity")["saturated"]
        prior = summary_before[summary_before["sigmoid"]]["saturated"]
        predict("predict.gates.saturated", predictions.more_saturated(float(gates.mean()), float(prior.mean())))
        others = gates.drop(keep)
        predict("predict.gates.keep_saturated", predictions.keep_gate_busier(
            float(gates[keep]), float(others.mean()) if len(others) else 0.0, keep))
    with right:
        chart(plots.saturation_bars(summary_after, summary_before), key="gt_saturation")
        st.markdown(t("gates.questions.saturated"))


def compare(chosen: Inspected, pick: Pick) -> None:
    """Draws the same input read by the default RNN, GRU and LSTM, marked at the selected step."""
    insp, text = chosen.insp, chosen.text
    st.subheader(t("gates.compare.header"))
    comparison = compare_traces(text, step=None if insp.own else chosen.step, task=insp.cfg.task)
    if chosen.step is not None and not insp.own:
        st.caption(t("gates.compare.same_time", when=chosen.when))
    if (note := comparison_note(insp)) is not None:
        st.caption(note)
    with st.container(key="wide_chart_cells"):
        linked(plots.cell_comparison({c: introspect.states_of(tr, "h") for c, tr in comparison.items()}, text.tokens),
               "gt_compare", PAGE, pick, unit_axis=True)
    show_comparison(introspect.compare_cells(comparison))
