"""Hidden states: what h_t holds while a character model reads a text, unit by unit."""

import streamlit as st

from rnnviz import inspect
from rnnviz.errors import RnnvizError
from rnnviz.plots import states as plots
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import inspect as ui

setup_page("Hidden states")
st.title("Hidden states: what the network remembers")
st.markdown(ui.lesson_part("hidden_states", 0))

try:
    insp, text = ui.model_and_text("hs", cells=("gru", "lstm", "rnn_tanh", "rnn_relu"))
    trace, before = ui.run_trace(insp.model, text), ui.before_trace(insp, text)
except RnnvizError as err:
    error_box(err)
    st.stop()
cell = insp.cfg.model.cell

st.subheader("The step that ran")
ui.formula_panel(insp)

st.subheader("Every unit at every step")
a, b = st.columns([1, 3])
with a:
    layer = ui.layer_select(trace, "hs_layer")
with b:
    name = "h" if cell != "lstm" else st.radio("Show", ["h", "c"], horizontal=True, key="hs_quantity",
                                               format_func={"h": "hidden state h", "c": "cell state c"}.get)
values = inspect.states_of(trace, name, layer)  # (T, H)
st.plotly_chart(plots.state_heatmap(values, text.tokens, f"{name}_t of every unit while reading: rows are units, "
                                    "columns are characters", name), key="hs_heatmap")
st.caption("**What to look for.** Vertical stripes: many units react to the same character (often the space). "
           "Horizontal bands: a unit holding one value across many steps. Patches that line up with words: "
           "units that know where they are in a word. Hover a cell for its character and value.")

st.subheader("Find a unit that means something")
st.markdown(ui.lesson_part("hidden_states", 1))
a, b = st.columns([1, 2])
with a:
    pattern = st.selectbox("Pattern", list(inspect.PATTERNS), key="hs_pattern")
    st.caption(inspect.PATTERNS[pattern][0])
try:
    ranking = inspect.rank_units(values, inspect.pattern_signal(text.text, pattern))
except RnnvizError as err:
    error_box(err)
    st.stop()
with a:
    unit = st.selectbox("Unit to colour the text with", ranking["unit"].tolist(), key=f"hs_unit_{pattern}",
                        format_func=lambda u: f"unit {u} (r = {ranking.set_index('unit').at[u, 'r']:+.2f})")
with b:
    st.plotly_chart(plots.unit_ranking(ranking, pattern), key="hs_ranking")
st.plotly_chart(plots.unit_text(values[:, unit], text.tokens, unit, label=name), key="hs_unit_text")
st.caption("As in Karpathy's char-rnn pictures: each character is coloured by the chosen unit's value right after "
           "the model read it. A good detector lights up in a pattern you can name without looking at the numbers.")

st.subheader("The state's path through time")
a, b = st.columns([2, 1])
projection = inspect.pca_2d(values)
with a:
    st.plotly_chart(plots.trajectory(projection.coords, text.tokens, projection.explained), key="hs_trajectory")
with b:
    st.markdown(f"The {values.shape[1]}-dimensional state, flattened onto the two directions in which it varies "
                "most (PCA). Each dot is one step, labelled with the character just read. Look for loops that "
                "repeat with every word, and for letters that always land in the same region: the state encodes "
                "*where in a word* the model is, not just the last letter.")

st.subheader("Saturation: before and after training")
a, b = st.columns([2, 1])
prior = inspect.states_of(before, name, layer)
with a:
    st.plotly_chart(plots.saturation_histogram(values, prior, name), key="hs_saturation")
with b:
    now, then = inspect.saturation(values), inspect.saturation(prior)
    st.metric(f"|{name}| > 0.9 after training", f"{now['near 1']:.0%}", f"{now['near 1'] - then['near 1']:+.0%} vs before")
    st.metric(f"|{name}| < 0.1 after training", f"{now['near 0']:.0%}", f"{now['near 0'] - then['near 0']:+.0%} vs before",
              delta_color="off")
    st.markdown("At initialisation the weights are small, so states sit near 0. Training pushes some units to "
                "the edge of tanh, where they act like switches; a saturated unit's gradient is near zero, which "
                "is one reason plain RNNs learn slowly.")

try_this(
    "Pick the pattern **after a space** and open the best unit: does it light up on the first letter of every word?",
    "Type a sentence with one very long word (*incomprehensibility*) and look at the pattern **position in word**.",
    "Switch the model to **default LSTM** and show the cell state **c**: it grows beyond ±1, unlike h.",
    "Compare the saturation histogram of the **default RNN (tanh)** with the GRU's.",
)
