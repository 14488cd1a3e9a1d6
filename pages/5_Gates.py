"""Gates: GRU reset/update/candidate and LSTM input/forget/output/candidate/cell while a character model reads."""

import streamlit as st

from rnnviz import inputs, introspect
from rnnviz.cells import SPECS, textbook_gru_step
from rnnviz.errors import RnnvizError
from rnnviz.plots import gates as plots
from rnnviz.tracing import replay, trace_model
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import inspection as ui
from rnnviz.ui.affordances import chart, class_link_form, control, export_trace, guide, query_value, show_code

setup_page("gates")
st.title("Gates: what a GRU or an LSTM keeps and what it rewrites")
st.markdown(ui.lesson_part("gates", 0))
guide("gates")

try:
    chosen = ui.model_and_text("gt", cells=("gru", "lstm"))
    insp, text, when = chosen.insp, chosen.text, chosen.when
    after, before = ui.run_trace(insp.model, text), ui.before_trace(insp, text)
except RnnvizError as err:
    error_box(err)
    st.stop()
cell, keep = insp.cfg.model.cell, SPECS[insp.cfg.model.cell].keep
steps_are, boundaries = inputs.UNIT_NAMES[text.kind], inputs.BOUNDARIES[text.kind]

st.subheader("The step that ran")
textbook = cell == "gru" and control("textbook", query_value("textbook", "0") == "1",
                                     lambda: st.toggle("Compare with the textbook GRU", key="gt_textbook"))
ui.formula_panel(insp, textbook=textbook)
st.markdown(ui.lesson_part("gates", 1))
if textbook:
    gap = introspect.textbook_gru_gap(insp.model.rnn, insp.model.inputs(text.ids))
    chart(plots.textbook_gap(gap, text.tokens), key="gt_textbook_gap")
    show_code(introspect.textbook_gru_gap, ui.cell_step("gru"), textbook_gru_step, key="gt_textbook")

st.subheader("Every gate of every unit")
a, b, c = st.columns(3)
with a:
    layer = ui.layer_select(after, "gt_layer")
moments = ["after training", "before training"]
moment = query_value("weights", moments[0], moments)
moment = control("weights", moment, lambda: b.radio(
    "Weights", moments, index=moments.index(moment), horizontal=True, key="gt_when",
    format_func=lambda m: m if m == moments[1] or chosen.step is None else f"trained ({when})"))
trace = after if moment == moments[0] else before
shown_when = moment if chosen.step is None or moment == moments[1] else f"at {when}"
H = insp.cfg.model.hidden_size
lo = query_value("lo", 0, bounds=(0, H - 1))
hi = query_value("hi", min(H, 48), bounds=(1, H))
units = (min(lo, hi), max(lo, hi, min(lo, hi) + 1))  # ?lo=9&hi=3 reads as units 3 to 9
lo, hi = control("units", units, lambda: c.slider("Units shown", 0, H, units, key="gt_units"))
lo, hi = min(lo, H - 1), max(hi, min(lo, H - 1) + 1)  # at least one unit, even with both handles at H
shown = {name: introspect.states_of(trace, name, layer)[:, lo:hi] for name in trace.names}
with st.container(key="wide_chart_gates"):  # one column per character: it scrolls sideways on a narrow screen
    chart(plots.gate_heatmaps(shown, text.tokens, list(range(lo, hi)),
                              f"{cell.upper()} gates {shown_when}: yellow = open (1), purple = closed (0)"),
          key="gt_heatmaps")
st.caption(f"**What to look for.** The {keep} gate keeps the old state where it is near 1 (yellow). Vertical "
           f"stripes are {steps_are} that switch many units at once (in a text, usually the space between words). "
           "Before training every gate hovers near 0.5: it neither keeps nor forgets.")
with st.expander("Download the recorded gates and states (every layer, every step)"):
    export_trace(trace, text.tokens, key="gt_export")
show_code(trace_model, replay, ui.cell_step(cell), plots.gate_heatmaps, key="gt_heatmaps")

st.subheader("One unit's gate timeline")
memory = introspect.memory_units(introspect.keep_gate(after, layer))
unit = st.selectbox("Unit", memory["unit"].tolist(), key="gt_unit",
                    format_func=lambda u: f"unit {u} (longest stretch with {keep} > 0.9: "
                                          f"{memory.set_index('unit').at[u, 'longest_run']} steps)")
with st.container(key="wide_chart_gate_timeline"):
    chart(plots.gate_timeline({n: introspect.states_of(trace, n, layer)[:, unit] for n in trace.names},
                              text.tokens, unit), key="gt_timeline")
st.caption(f"Units are listed best memory holder first. Where {keep} stays near 1 the state line is flat: "
           "the unit is carrying something forward. Where it dips, the candidate is written in.")
show_code(introspect.memory_units, plots.gate_timeline, key="gt_timeline")

st.subheader("Questions the gates answer")
left, right = st.columns(2)
with left:
    chart(plots.memory_bars(memory, introspect.memory_units(introspect.keep_gate(before, layer)), keep), key="gt_memory")
    st.caption(f"**Which units hold memory?** A long stretch of {keep} > 0.9 means the unit copied its state "
               f"forward for that many {steps_are}. Before training no unit does: the grey bars sit at 0.")
with right:
    try:
        resets = introspect.reset_units(introspect.keep_gate(after, layer), ui.space_mask(text))
        chart(plots.reset_bars(resets, keep, boundaries), key="gt_resets")
        st.caption(f"**Which units reset at {boundaries}?** {ui.RESET_NOTES[text.kind].format(keep=keep)}")
    except RnnvizError:
        st.info(f"**Which units reset at {boundaries}?** This input has none (or nothing else), so there is "
                "nothing to compare: use a longer input.")
summary_after, summary_before = introspect.gate_summary(after, layer), introspect.gate_summary(before, layer)
left, right = st.columns(2)
with left:
    chart(plots.saturation_bars(summary_after, summary_before), key="gt_saturation")
with right:
    st.markdown("**How many gates are saturated?** At initialisation every gate sits near 0.5: half keep, half "
                "write, a blur. Training turns many of them into switches, almost exactly 0 or 1, so the cell can "
                "copy a value unchanged or overwrite it completely. Compare the before and after bars, then switch "
                "**Weights** above to *before training* to see the same thing in the heatmaps.")

st.subheader("RNN vs GRU vs LSTM on the same input")
comparison = ui.compare_traces(text, step=None if insp.own else chosen.step, task=insp.cfg.task)
if chosen.step is not None and not insp.own:
    st.caption(f"All three default models at the same training time: {when}.")
if (note := ui.comparison_note(insp)) is not None:
    st.caption(note)
with st.container(key="wide_chart_cells"):
    chart(plots.cell_comparison({c: introspect.states_of(t, "h") for c, t in comparison.items()}, text.tokens),
          key="gt_compare")
ui.show_comparison(introspect.compare_cells(comparison))

try_this(
    "Type a long word like *incomprehensibility* and follow the best memory unit: does its gate stay open inside the word?",
    "Switch **Weights** to *before training* and back: watch the gates go from teal (0.5) to yellow and purple switches.",
    "Drag **Training time** step by step: at which checkpoint do the first long yellow bands of z appear?",
    "Open the **default LSTM** and compare its forget gate with the GRU's update gate on the same passage.",
    "Turn on **Compare with the textbook GRU**: the gap grows over the text, although the weights are the same.",
)
hideable = {"reads": "what the model reads", "model": "model", "time": "training time", "input": "input",
            "layer": "layer",
            "weights": "before/after", "units": "units shown", "textbook": "textbook toggle"}
hideable = {k: v for k, v in hideable.items()  # offer only controls this model shows
            if (k != "layer" or len(after.layers) > 1) and (k != "textbook" or cell == "gru")}
class_link_form("Gates", hideable,
                {**chosen.params, "layer": layer + 1 if len(after.layers) > 1 else None,
                 "weights": moment if moment != moments[0] else None, "lo": lo or None, "hi": hi,
                 "textbook": "1" if textbook else None}, key="gt_link",
                note="" if not insp.own else "Your own model lives in your session only: the link opens the "
                                              "default model instead.")
