"""The cell at work in a lesson: the selected step and unit drawn as dataflow with its real numbers, each box's
formula with the numbers filled in beside it, and buttons (or the ← / → keys) that step through time."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from torch import nn

from rnnviz import cellwork
from rnnviz.catalog import t
from rnnviz.cellwork import CellAtWork
from rnnviz.plots import cellwork as plots
from rnnviz.plots.states import show
from rnnviz.tracing import Trace
from rnnviz.ui import selection
from rnnviz.ui.affordances import chart
from rnnviz.ui.selection import Pick


def step_buttons(page: str, pick: Pick, steps: int, key: str) -> None:
    """Draws back / forward buttons (also the ← / → keys) that move the lesson's selected step by one."""
    back, here, ahead = st.columns([1, 2, 1], vertical_alignment="center")
    back.button(t("cellwork.back"), key=f"{key}_back", shortcut="Left", disabled=pick.t <= 0, width="stretch",
                on_click=selection.choose, args=(page, Pick(max(pick.t - 1, 0), pick.unit)))
    here.markdown(t("cellwork.here", step=pick.t, last=steps - 1, unit=pick.unit))
    ahead.button(t("cellwork.forward"), key=f"{key}_forward", shortcut="Right", disabled=pick.t >= steps - 1,
                 width="stretch", on_click=selection.choose, args=(page, Pick(min(pick.t + 1, steps - 1), pick.unit)))


def formulas(work: CellAtWork) -> None:
    """Writes each box's formula with this step's numbers, and for a GRU the textbook candidate beside torch's."""
    for box in work.boxes:
        st.latex(r"\small " + box.latex)  # small: the longest (h_t of a GRU) fits half the page
    if work.textbook_n is not None:
        n = work.box("n").value
        st.latex(rf"\small \tilde n_t^{{\,\mathrm{{d2l}}}} = \tanh(W_{{xn}}x_t+b_{{xn}} + W_{{hn}}(r_t \odot h_{{t-1}})"
                 rf" + b_{{hn}}) = {cellwork.number(work.textbook_n)}")
        st.caption(t("cellwork.textbook_line", torch=n, textbook=work.textbook_n, gap=abs(n - work.textbook_n)))


def panel(page: str, rnn: nn.RNNBase, trace: Trace, layer: int, pick: Pick, tokens: Sequence[str], key: str,
          compact: bool = False) -> CellAtWork:
    """Draws the cell at work for the lesson's selected step and unit; compact: the diagram, formulas folded."""
    steps = trace.layers[layer].h.shape[1]
    step_buttons(page, pick, steps, key)
    work = cellwork.cell_at_work(rnn, trace, layer, pick.t, pick.unit or 0)
    token = show(tokens)[pick.t] if layer == 0 and pick.t < len(tokens) else None
    figure = plots.diagram(work, token=token)
    left, right = st.columns([3, 2] if compact else [1, 1])
    if compact:  # not full width: the boxes keep their shape; the formulas fold beside them
        with left:
            chart(figure, key=f"{key}_diagram")
        with right, st.expander(t("cellwork.formulas")):
            formulas(work)
        return work
    with left:
        chart(figure, key=f"{key}_diagram")
    with right:
        st.markdown(t("cellwork.formulas_note"))
        formulas(work)
    chart(plots.vectors(work), key=f"{key}_vectors")
    return work
