"""Hidden states: what h_t holds while a character model reads a text, unit by unit."""

import streamlit as st

from rnnviz import inputs, introspect
from rnnviz.errors import RnnvizError
from rnnviz.plots import states as plots
from rnnviz.tracing import replay, trace_model
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import inspection as ui
from rnnviz.ui.affordances import chart, class_link_form, control, export_trace, guide, query_value, show_code

setup_page("hidden_states")
st.title("Hidden states: what the network remembers")
st.markdown(ui.lesson_part("hidden_states", 0))
guide("hidden_states")

try:
    chosen = ui.model_and_text("hs", cells=("gru", "lstm", "rnn_tanh", "rnn_relu"))
    insp, text, when = chosen.insp, chosen.text, chosen.when
    trace, before = ui.run_trace(insp.model, text), ui.before_trace(insp, text)
except RnnvizError as err:
    error_box(err)
    st.stop()
cell, kind = insp.cfg.model.cell, text.kind
steps_are = inputs.UNIT_NAMES[kind]  # what one column of the charts is: characters, values or words

st.subheader("The step that ran")
ui.formula_panel(insp)

st.subheader("Every unit at every step")
a, b = st.columns([1, 3])
with a:
    layer = ui.layer_select(trace, "hs_layer")
with b:
    quantities = ["h"] if cell != "lstm" else ["h", "c"]
    name = query_value("quantity", "h", quantities)
    if cell == "lstm":
        name = control("quantity", name, lambda: st.radio(
            "Show", quantities, index=quantities.index(name), horizontal=True, key="hs_quantity",
            format_func={"h": "hidden state h", "c": "cell state c"}.get))
values = introspect.states_of(trace, name, layer)  # (T, H)
chart(plots.state_heatmap(values, text.tokens, f"{name}_t of every unit while reading, {when}: rows are units, "
                          f"columns are {steps_are}", name), key="hs_heatmap")
st.caption(ui.LOOK_FOR[kind])
with st.expander("Download the recorded states (every layer, every step)"):
    export_trace(trace, text.tokens, key="hs_export")
show_code(trace_model, replay, ui.cell_step(cell), plots.state_heatmap, key="hs_heatmap")

st.subheader("Find a unit that means something")
st.markdown(ui.lesson_part("hidden_states", 1) if kind == "text" else ui.FIND_NOTES[kind])
a, b = st.columns([1, 2])
with a:
    patterns = inputs.pattern_names(kind)
    pattern = query_value("pattern", next(iter(patterns)), list(patterns))
    pattern = control("pattern", pattern, lambda: st.selectbox(
        "Pattern", list(patterns), index=list(patterns).index(pattern),
        key="hs_pattern" if kind == "text" else f"hs_pattern_{kind}"))
    st.caption(patterns[pattern])
try:
    lean = ui.review_lean(insp.cfg) if kind == "review" else None
    ranking = introspect.rank_units(values, inputs.input_signal(text, pattern, lean))
except RnnvizError as err:  # e.g. no negation in this review: say so, and keep the rest of the lesson
    ranking = None
    b.info(str(err))
if ranking is not None:
    with a:
        unit = st.selectbox("Unit to colour the input with", ranking["unit"].tolist(), key=f"hs_unit_{pattern}",
                            format_func=lambda u: f"unit {u} (r = {ranking.set_index('unit').at[u, 'r']:+.2f})")
    with b:
        chart(plots.unit_ranking(ranking, pattern), key="hs_ranking")
    chart(plots.unit_text(values[:, unit], text.tokens, unit, per_line=ui.PER_LINE[kind], label=name),
          key="hs_unit_text")
    st.caption(f"As in Karpathy's char-rnn pictures: each of the {steps_are} is coloured by the chosen unit's "
               "value right after the model read it. A good detector lights up in a pattern you can name without "
               "looking at the numbers.")
show_code(inputs.input_signal, introspect.pattern_signal, introspect.rank_units, plots.unit_text, key="hs_units")

st.subheader("The state's path through time")
a, b = st.columns([2, 1])
projection = introspect.pca_2d(values)
with a:
    chart(plots.trajectory(projection.coords, text.tokens, projection.explained), key="hs_trajectory")
with b:
    st.markdown(f"The {values.shape[1]}-dimensional state, flattened onto the two directions in which it varies "
                f"most (PCA). Each dot is one step, labelled with what was just read. {ui.PATH_NOTES[kind]}")
show_code(introspect.pca_2d, plots.trajectory, key="hs_trajectory")

st.subheader(f"Saturation: before training and {when}")
a, b = st.columns([2, 1])
prior = introspect.states_of(before, name, layer)
with a:
    chart(plots.saturation_histogram(values, prior, name), key="hs_saturation")
with b:
    now, then = introspect.saturation(values), introspect.saturation(prior)
    st.metric(f"|{name}| > 0.9, {when}", f"{now['near 1']:.0%}",  # a change of shares: percentage points, not %
              f"{100 * (now['near 1'] - then['near 1']):+.0f} percentage points vs before")
    st.metric(f"|{name}| < 0.1, {when}", f"{now['near 0']:.0%}",
              f"{100 * (now['near 0'] - then['near 0']):+.0f} percentage points vs before", delta_color="off")
    st.markdown("At initialisation the weights are small, so states sit near 0. Training pushes some units to "
                "the edge of tanh, where they act like switches; a saturated unit's gradient is near zero, which "
                "is one reason plain RNNs learn slowly.")
show_code(introspect.saturation, plots.saturation_histogram, key="hs_saturation")

try_this(
    "Pick the pattern **after a space** and open the best unit: does it light up on the first letter of every word?",
    "Drag **Training time** from step 0 to the end: watch the heatmap go from grey noise to stripes and bands.",
    "Type a sentence with one very long word (*incomprehensibility*) and look at the pattern **position in word**.",
    "Switch the model to **default LSTM** and show the cell state **c**: it grows beyond ±1, unlike h.",
    "Compare the saturation histogram of the **default RNN (tanh)** with the GRU's.",
    "Switch **What the model reads** to a review, pick the pattern **word leans positive** and colour the input "
    "by the best unit: does it flip at *but*?",
)
hideable = {"reads": "what the model reads", "model": "model", "time": "training time", "input": "input",
            "layer": "layer",
            "quantity": "h / c", "pattern": "pattern"}
hideable = {k: v for k, v in hideable.items()  # offer only controls this model shows
            if (k != "layer" or len(trace.layers) > 1) and (k != "quantity" or cell == "lstm")}
class_link_form("Hidden_states", hideable,
                {**chosen.params, "layer": layer + 1 if len(trace.layers) > 1 else None,
                 "quantity": name if cell == "lstm" else None, "pattern": pattern}, key="hs_link",
                note="" if not insp.own else "Your own model lives in your session only: the link opens the "
                                              "default model instead.")
