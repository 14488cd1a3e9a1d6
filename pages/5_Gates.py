"""Gates: GRU reset/update/candidate and LSTM input/forget/output/candidate/cell while a character model reads."""

import streamlit as st

from rnnviz import inputs, introspect, paramcheck
from rnnviz.catalog import items, language, t
from rnnviz.cells import SPECS, textbook_gru_step
from rnnviz.errors import RnnvizError
from rnnviz.plots import gates as plots
from rnnviz.tracing import replay, trace_model
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import inspection as ui
from rnnviz.ui.affordances import chart, class_link_form, control, export_trace, guide, query_value, show_code

setup_page("gates")
lang = language()  # widget options keep the language they were drawn in
st.title(t("gates.title"))
st.markdown(t("gates.intro"))
guide("gates")

try:
    chosen = ui.model_and_text("gt", cells=("gru", "lstm"))
    insp, text, kind, when = chosen.insp, chosen.text, chosen.kind, chosen.when
    after, before = ui.run_trace(insp.model, text), ui.before_trace(insp, text)
except RnnvizError as err:
    error_box(err)
    st.stop()
cell, keep = insp.cfg.model.cell, SPECS[insp.cfg.model.cell].keep
steps_are, boundaries = kind.says("unit"), kind.says("boundaries")

st.subheader(t("hidden_states.step_that_ran"))
textbook = cell == "gru" and control("textbook", query_value("textbook", "0") == "1",
                                     lambda: st.toggle(t("gates.textbook.toggle"), key="gt_textbook"))
ui.formula_panel(insp, textbook=textbook)
st.markdown(t("gates.torch_formulas"))
if textbook:
    gap = paramcheck.textbook_gru_gap(insp.model.rnn, insp.model.inputs(text.ids))
    chart(plots.textbook_gap(gap, text.tokens), key="gt_textbook_gap")
    show_code(paramcheck.textbook_gru_gap, ui.cell_step("gru"), textbook_gru_step, key="gt_textbook")

st.subheader(t("gates.heatmaps.header"))
a, b, c = st.columns(3)
with a:
    layer = ui.layer_select(after, "gt_layer")
moments = ["after training", "before training"]  # link values (?weights=), the same in every language
moment = query_value("weights", moments[0], moments)
moment = control("weights", moment, lambda: b.radio(
    t("gates.weights.label"), moments, index=moments.index(moment), horizontal=True, key="gt_when",
    format_func=lambda m: t("gates.weights.before", lang) if m == moments[1] else t("gates.weights.after", lang)
    if chosen.step is None else t("gates.weights.trained", lang, when=when)))
trace = after if moment == moments[0] else before
shown_when = t("gates.weights.before") if moment == moments[1] else t("gates.weights.after") \
    if chosen.step is None else t("gates.weights.at", when=when)
H = insp.cfg.model.hidden_size
lo = query_value("lo", 0, bounds=(0, H - 1))
hi = query_value("hi", min(H, 48), bounds=(1, H))
units = (min(lo, hi), max(lo, hi, min(lo, hi) + 1))  # ?lo=9&hi=3 reads as units 3 to 9
lo, hi = control("units", units, lambda: c.slider(t("gates.units"), 0, H, units, key="gt_units"))
lo, hi = min(lo, H - 1), max(hi, min(lo, H - 1) + 1)  # at least one unit, even with both handles at H
shown = {name: introspect.states_of(trace, name, layer)[:, lo:hi] for name in trace.names}
with st.container(key="wide_chart_gates"):  # one column per character: it scrolls sideways on a narrow screen
    chart(plots.gate_heatmaps(shown, text.tokens, list(range(lo, hi)),
                              t("gates.heatmaps.title", cell=cell.upper(), when=shown_when)), key="gt_heatmaps")
st.caption(t("gates.heatmaps.look_for", keep=keep, steps=steps_are))
with st.expander(t("gates.heatmaps.download")):
    export_trace(trace, text.tokens, key="gt_export")
show_code(trace_model, replay, ui.cell_step(cell), plots.gate_heatmaps, key="gt_heatmaps")

st.subheader(t("gates.timeline.header"))
memory = introspect.memory_units(introspect.keep_gate(after, layer))
longest = memory.set_index("unit")["longest_run"]
unit = st.selectbox(t("gates.timeline.unit"), memory["unit"].tolist(), key="gt_unit",
                    format_func=lambda u: t("gates.timeline.option", lang, unit=u, keep=keep, steps=longest[u]))
with st.container(key="wide_chart_gate_timeline"):
    chart(plots.gate_timeline({n: introspect.states_of(trace, n, layer)[:, unit] for n in trace.names},
                              text.tokens, unit), key="gt_timeline")
st.caption(t("gates.timeline.caption", keep=keep))
show_code(introspect.memory_units, plots.gate_timeline, key="gt_timeline")

st.subheader(t("gates.questions.header"))
left, right = st.columns(2)
with left:
    chart(plots.memory_bars(memory, introspect.memory_units(introspect.keep_gate(before, layer)), keep), key="gt_memory")
    st.caption(t("gates.questions.memory", keep=keep, steps=steps_are))
with right:
    try:
        resets = introspect.reset_units(introspect.keep_gate(after, layer), inputs.boundary_mask(text))
        chart(plots.reset_bars(resets, keep, kind.says("boundary")), key="gt_resets")
        st.caption(t("gates.questions.resets", where=boundaries) + " " + kind.reset_note(keep=keep))
    except RnnvizError:
        st.info(t("gates.questions.no_resets", where=boundaries))
summary_after, summary_before = introspect.gate_summary(after, layer), introspect.gate_summary(before, layer)
left, right = st.columns(2)
with left:
    chart(plots.saturation_bars(summary_after, summary_before), key="gt_saturation")
with right:
    st.markdown(t("gates.questions.saturated"))

st.subheader(t("gates.compare.header"))
comparison = ui.compare_traces(text, step=None if insp.own else chosen.step, task=insp.cfg.task)
if chosen.step is not None and not insp.own:
    st.caption(t("gates.compare.same_time", when=when))
if (note := ui.comparison_note(insp)) is not None:
    st.caption(note)
with st.container(key="wide_chart_cells"):
    chart(plots.cell_comparison({c: introspect.states_of(tr, "h") for c, tr in comparison.items()}, text.tokens),
          key="gt_compare")
ui.show_comparison(introspect.compare_cells(comparison))

try_this(*items("gates.try"))
hideable = ["reads", "model", "time", "input", *(["layer"] if len(after.layers) > 1 else []), "weights", "units",
            *(["textbook"] if cell == "gru" else [])]  # offer only controls this model shows
class_link_form("Gates", ui.hide_labels(hideable),
                {**chosen.params, "layer": layer + 1 if len(after.layers) > 1 else None,
                 "weights": moment if moment != moments[0] else None, "lo": lo or None, "hi": hi,
                 "textbook": "1" if textbook else None}, key="gt_link", note=ui.own_link_note(insp))
