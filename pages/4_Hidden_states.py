"""Hidden states: what h_t holds while a character model reads a text, unit by unit."""

import streamlit as st

from rnnviz import inputs, introspect
from rnnviz.catalog import items, language, t
from rnnviz.errors import RnnvizError
from rnnviz.plots import states as plots
from rnnviz.tracing import replay, trace_model
from rnnviz.ui import cell_at_work, error_box, setup_page, try_this
from rnnviz.ui import inspection as ui
from rnnviz.ui import linked_views as views
from rnnviz.ui import states_views as sections
from rnnviz.ui.affordances import chart, class_link_form, control, export_trace, guide, query_value, show_code

setup_page("hidden_states")
lang = language()  # widget options keep the language they were drawn in
st.title(t("hidden_states.title"))
st.markdown(t("hidden_states.intro"))
guide("hidden_states")

try:
    chosen = ui.model_and_text("hs", cells=("gru", "lstm", "rnn_tanh", "rnn_relu"))
    insp, text, kind, when = chosen.insp, chosen.text, chosen.kind, chosen.when
    trace, before = ui.run_trace(insp.model, text), ui.before_trace(insp, text)
except RnnvizError as err:
    error_box(err)
    st.stop()
cell = insp.cfg.model.cell

st.subheader(t("hidden_states.step_that_ran"))
ui.formula_panel(insp)

st.subheader(t("hidden_states.heatmap.header"))
a, b = st.columns([1, 3])
with a:
    layer = ui.layer_select(trace, "hs_layer")
with b:
    quantities = ["h"] if cell != "lstm" else ["h", "c"]
    name = query_value("quantity", "h", quantities)
    if cell == "lstm":
        name = control("quantity", name, lambda: st.radio(
            t("hidden_states.quantity.label"), quantities, index=quantities.index(name), horizontal=True,
            key="hs_quantity", format_func=lambda q: t(f"hidden_states.quantity.{q}", lang)))
values = introspect.states_of(trace, name, layer)  # (T, H)
T, H = values.shape
PAGE = sections.PAGE
pick, fresh = views.start(PAGE, T, H)
heatmap = st.container()  # drawn once the pattern below has chosen the first unit
st.caption(kind.says("look_for"))
with st.expander(t("hidden_states.heatmap.download")):
    export_trace(trace, text.tokens, key="hs_export")
show_code(trace_model, replay, ui.cell_step(cell), plots.state_heatmap, key="hs_heatmap")

st.subheader(t("hidden_states.units.header"))
st.markdown(kind.says("find"))
a, b = st.columns([1, 2])
with a:
    found = {p.name: p for p in kind.patterns}
    pattern = query_value("pattern", kind.patterns[0].name, list(found))
    pattern = control("pattern", pattern, lambda: st.selectbox(
        t("hidden_states.units.pattern"), list(found), index=list(found).index(pattern),
        key="hs_pattern" if kind.name == "text" else f"hs_pattern_{kind.name}",
        format_func=lambda p: t(f"hidden_states.patterns.{found[p].key}.label", lang)))
    st.caption(t(f"hidden_states.patterns.{found[pattern].key}.desc"))
try:
    lean = ui.review_lean(insp.cfg) if kind.name == "review" else None
    ranking = introspect.rank_units(values, inputs.input_signal(text, pattern, lean))
except RnnvizError as err:  # e.g. no negation in this review: say so, and keep the rest of the lesson
    ranking = None
    b.info(err.words())
if ranking is not None:
    r_of = ranking.set_index("unit")["r"]
    moved = views.changed("hs_ranked_for", (pattern, kind.name, cell, H))  # a new ranking: open on its best unit
    if fresh or moved:
        pick = views.first_unit(PAGE, pick, int(ranking["unit"].iloc[0]), T, H)
    with a:
        unit = views.unit_select(PAGE, pick, t("hidden_states.units.unit"), ranking["unit"].tolist(),
                                 f"hs_unit_{pattern}", lambda u: t("hidden_states.units.option", lang, unit=u, corr=r_of[u]))
    with b:
        sections.follows_prediction(ranking)
        chart(plots.unit_ranking(ranking, t(f"hidden_states.patterns.{found[pattern].key}.label")), key="hs_ranking")
    views.linked(plots.unit_text(values[:, unit], text.tokens, unit, per_line=kind.per_line, label=name,
                                 selected=pick.t), "hs_unit_text", PAGE, None, to_pick=views.text_pick(kind.per_line, unit))
    st.caption(t("hidden_states.units.coloured", steps=kind.says("unit")))
show_code(inputs.input_signal, introspect.rank_units, plots.unit_text, key="hs_units")
with heatmap:
    views.linked(plots.state_heatmap(values, text.tokens, t("hidden_states.heatmap.title", name=name, when=when,
                                                            steps=kind.says("unit")), name), "hs_heatmap", PAGE, pick,
                 unit_axis=True)

st.subheader(t("cellwork.header"))
st.caption(t("cellwork.how"))
cell_at_work.panel(PAGE, insp.model.rnn, trace, layer, pick, text.tokens, "hs_work", compact=True)

st.subheader(t("hidden_states.path.header"))
a, b = st.columns([2, 1])
projection = introspect.pca_2d(values)
with a:
    views.linked(plots.trajectory(projection.coords, text.tokens, projection.explained, selected=pick.t),
                 "hs_trajectory", PAGE, None, to_pick=views.path_pick)
with b:
    st.markdown(t("hidden_states.path.note", size=values.shape[1]) + " " + kind.says("path"))
show_code(introspect.pca_2d, plots.trajectory, key="hs_trajectory")

sections.saturation(values, introspect.states_of(before, name, layer), name, when)

try_this(*items("hidden_states.try"))
hideable = ["reads", "model", "time", "input", *(["layer"] if len(trace.layers) > 1 else []),
            *(["quantity"] if cell == "lstm" else []), "pattern"]  # offer only controls this model shows
class_link_form("Hidden_states", ui.hide_labels(hideable),
                {**chosen.params, "layer": layer + 1 if len(trace.layers) > 1 else None,
                 "quantity": name if cell == "lstm" else None, "pattern": pattern, "at": pick.t, "unit": pick.unit},
                key="hs_link",
                note=ui.own_link_note(insp))
