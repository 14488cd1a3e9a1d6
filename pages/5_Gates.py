"""Gates: GRU reset/update/candidate and LSTM input/forget/output/candidate/cell while a character model reads."""

import streamlit as st

from rnnviz import introspect, paramcheck
from rnnviz.catalog import items, language, t
from rnnviz.cells import SPECS, textbook_gru_step
from rnnviz.errors import RnnvizError
from rnnviz.plots import gates as plots
from rnnviz.tracing import replay, trace_model
from rnnviz.ui import cell_at_work, error_box, setup_page, try_this
from rnnviz.ui import gate_views as sections
from rnnviz.ui import inspection as ui
from rnnviz.ui import linked_views as views
from rnnviz.ui.affordances import class_link_form, control, export_trace, guide, query_value, show_code

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
PAGE, steps_are, T, H = sections.PAGE, kind.says("unit"), len(text.tokens), insp.cfg.model.hidden_size
pick, fresh = views.start(PAGE, T, H)

st.subheader(t("hidden_states.step_that_ran"))
textbook = cell == "gru" and control("textbook", query_value("textbook", "0") == "1",
                                     lambda: st.toggle(t("gates.textbook.toggle"), key="gt_textbook"))
ui.formula_panel(insp, textbook=textbook)
st.markdown(t("gates.torch_formulas"))
if textbook:
    gap = paramcheck.textbook_gru_gap(insp.model.rnn, insp.model.inputs(text.ids))
    views.linked(plots.textbook_gap(gap, text.tokens), "gt_textbook_gap", PAGE, pick)
    show_code(paramcheck.textbook_gru_gap, ui.cell_step("gru"), textbook_gru_step, key="gt_textbook")

st.subheader(t("gates.heatmaps.header"))
a, b, c = st.columns(3)
with a:
    layer = ui.layer_select(after, "gt_layer")
memory = introspect.memory_units(introspect.keep_gate(after, layer))
if fresh:  # open on the unit that keeps its memory longest
    pick = views.first_unit(PAGE, pick, int(memory["unit"].iloc[0]), T, H)
moments = ["after training", "before training"]  # link values (?weights=), the same in every language
moment = query_value("weights", moments[0], moments)
moment = control("weights", moment, lambda: b.radio(
    t("gates.weights.label"), moments, index=moments.index(moment), horizontal=True, key="gt_when",
    format_func=lambda m: t("gates.weights.before", lang) if m == moments[1] else t("gates.weights.after", lang)
    if chosen.step is None else t("gates.weights.trained", lang, when=when)))
trace = after if moment == moments[0] else before
shown_when = t("gates.weights.before") if moment == moments[1] else t("gates.weights.after") \
    if chosen.step is None else t("gates.weights.at", when=when)
lo, hi = sections.unit_range(H, c)
shown = {name: introspect.states_of(trace, name, layer)[:, lo:hi] for name in trace.names}
with st.container(key="wide_chart_gates"):  # one column per character: it scrolls sideways on a narrow screen
    views.linked(plots.gate_heatmaps(shown, text.tokens, list(range(lo, hi)), t(
        "gates.heatmaps.title", cell=cell.upper(), when=shown_when)), "gt_heatmaps", PAGE, pick, unit_axis=True)
st.caption(t("gates.heatmaps.look_for", keep=keep, steps=steps_are))
with st.expander(t("gates.heatmaps.download")):
    export_trace(trace, text.tokens, key="gt_export")
show_code(trace_model, replay, ui.cell_step(cell), plots.gate_heatmaps, key="gt_heatmaps")

st.subheader(t("cellwork.header"))
st.caption(t("cellwork.how"))
cell_at_work.panel(PAGE, sections.rnn_of(insp, trace is before), trace, layer, pick, text.tokens, "gt_work")

st.subheader(t("gates.timeline.header"))
longest = memory.set_index("unit")["longest_run"]
unit = views.unit_select(PAGE, pick, t("gates.timeline.unit"), memory["unit"].tolist(), "gt_unit",
                         lambda u: t("gates.timeline.option", lang, unit=u, keep=keep, steps=longest[u]))
with st.container(key="wide_chart_gate_timeline"):
    views.linked(plots.gate_timeline({n: introspect.states_of(trace, n, layer)[:, unit] for n in trace.names},
                                     text.tokens, unit), "gt_timeline", PAGE, pick)
st.caption(t("gates.timeline.caption", keep=keep))
show_code(introspect.memory_units, plots.gate_timeline, key="gt_timeline")

st.subheader(t("gates.questions.header"))
sections.questions(after, before, layer, memory, text, kind, cell)
sections.compare(chosen, pick)

try_this(*items("gates.try"))
hideable = ["reads", "model", "time", "input", *(["layer"] if len(after.layers) > 1 else []), "weights", "units",
            *(["textbook"] if cell == "gru" else [])]  # offer only controls this model shows
class_link_form("Gates", ui.hide_labels(hideable),
                {**chosen.params, "layer": layer + 1 if len(after.layers) > 1 else None,
                 "weights": moment if moment != moments[0] else None, "lo": lo or None, "hi": hi,
                 "textbook": "1" if textbook else None, "at": pick.t, "unit": pick.unit},
                key="gt_link", note=ui.own_link_note(insp))
