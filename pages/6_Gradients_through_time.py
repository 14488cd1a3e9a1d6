"""Lesson: gradients through time. ||dL/dh_t|| and ||dh_T/dx_t|| per architecture, the spectral radius, a memory task."""

import streamlit as st

from rnnviz import gradients
from rnnviz.errors import RnnvizError
from rnnviz.plots import gradients as plots
from rnnviz.tracing import hidden_grads, input_sensitivity
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import gradients as ui
from rnnviz.ui.affordances import chart, class_link_form, control, guide, query_value, show_code
from rnnviz.ui.safe_text import plain, plotly_text

setup_page("gradients")
st.title("Gradients through time: why a plain RNN forgets")
st.markdown(
    "Training pushes the loss's gradient backwards through every step. To reach the state $h_t$ from a loss "
    "read later, it is multiplied by one Jacobian $\\partial h_{s+1}/\\partial h_s$ per step in between. If those "
    "factors are mostly smaller than 1 the product **vanishes** geometrically, so early inputs get no credit and "
    "the model never learns to use them; if they are larger than 1 it **explodes**. The gates of a GRU or LSTM "
    "add a path where the factor can stay near 1. This is the total derivative that ran (a backward pass "
    "through an explicit replay of each model's own weights):"
)
st.latex(r"\frac{\partial L}{\partial h_t} = \frac{\partial L_t}{\partial h_t} + "
         r"\Big(\frac{\partial h_{t+1}}{\partial h_t}\Big)^{\!\top} \frac{\partial L}{\partial h_{t+1}}, \qquad "
         r"\frac{\partial h_{t+1}}{\partial h_t} = \operatorname{diag}\big(1 - h_{t+1}^2\big)\, W_{hh}"
         r"\;\;\text{(tanh RNN)}")

guide("gradients")

st.header("1. How much each step's state matters to the loss")
source = ui.default_source(query_value("source", None))  # a class link's preset, else the learner's own LM
source = control("source", source, lambda: st.radio(
    "Models trained on", ui.SOURCES, ui.SOURCES.index(source), horizontal=True, key="gtt_source",
    help="The memory task scores only a symbol read 20 steps earlier; a character model mostly needs the last few "
         "characters."))
try:
    if source == ui.SOURCES[0]:
        curves, tokens = ui.memory_curves(ui.MEMORY_DELAY)
        batch = "the same 32 memory-task sequences (t = 0 is the symbol to remember, the loss is read at the '?')"
        x_title = "timestep t (0 = the symbol to remember)"
    else:
        a, b = st.columns([1, 2])
        length = a.slider("Passage length T (characters)", 20, 150, 100, 10, key="gtt_len")
        mode = b.radio("Loss", ui.LOSS_MODES, horizontal=True, key="gtt_mode",
                       help="The last step's loss isolates how far back one prediction's gradient reaches.")
        curves = ui.across_architectures(length, mode)
        tokens = ui.passage_batch(ui.cache.DEFAULT_RUNS["lm"].text, length)[1]
        batch = "the same 8 Time Machine passages"
        x_title = "timestep t (0 = first character of the passage)"
except RnnvizError as err:
    error_box(err)
    st.stop()
if (note := ui.own_note(source)) is not None:
    st.caption(note)
ratios = {label: float(g[-1, 0] / g[-1, -1]) for label, g in curves["grads"].items() if g[-1, -1] > 0}
legends = {c: {plotly_text(k): v for k, v in d.items()} for c, d in curves.items()}  # a run name is a legend entry
chart(plots.grads_by_layer(legends["grads"], legends["grads0"], tokens,
                           f"‖∂L/∂h_t‖ on {batch.split(' (')[0]}: solid trained, dotted at initialisation",
                           x_title=x_title), key="gtt_grads")
st.caption(f"**What to look for.** Read each line from the right (the loss) to the left (early steps): {batch}, "
           "weights from seed 0 for every model. ‖∂L/∂h_0‖ as a fraction of ‖∂L/∂h_T‖ after training (top layer): "
           + ", ".join(f"{plain(label)} **{r:.1e}**" for label, r in ratios.items()) + ". On the memory task the gated "
           "cells keep a gradient path to t = 0 while the plain RNN's falls by orders of magnitude; a character "
           "model trained on 35-character windows learns to forget beyond them, whatever its cell.")

st.header("2. How much the final state still depends on each input")
st.markdown("*I grew up in China … I speak fluent ___*: to fill the blank, the state at the end must still "
            "depend on a word read long ago. $\\lVert \\partial h_T / \\partial x_t \\rVert$ measures exactly that, "
            "for the first sequence of the batch above.")
chart(plots.curves_over_time(legends["sens"], tokens, "‖∂h_T/∂x_t‖: how strongly the last state depends on the input at t",
                             "‖∂h_T/∂x_t‖ (log scale)", x_title=x_title), key="gtt_sens")
st.caption("A straight falling line on this log axis is exponential forgetting: each step back multiplies the "
           "dependence by about the same factor. A flat stretch is memory.")

st.header("3. Why tanh, and the spectral radius")
st.markdown("Strip the network to its recurrence $h_t = A h_{t-1}$. Along the eigenvector of the largest "
            "eigenvalue, 100 steps multiply by $|\\lambda|^{100}$: $0.9^{100} \\approx 2.7\\cdot10^{-5}$, "
            "$1.2^{100} \\approx 8.3\\cdot10^{7}$. A tanh squashes every unit into $(-1, 1)$, so the state cannot "
            "explode, but the gradient still carries the factor $W_{hh}$ at every step.")
radius = round(query_value("radius", 0.9, bounds=(0.5, 2.0)) * 20) / 20  # on the slider's 0.05 grid
radius = control("radius", radius, lambda: st.slider("Spectral radius max |λ| of A (and of W_hh below)", 0.5, 2.0,
                                                     radius, 0.05, key="gtt_radius"))
norms = ui.recurrence(radius)
left, right = st.columns(2)
with left:
    chart(plots.recurrence_figure(norms.linear, norms.tanh, radius, norms.size), key="gtt_recurrence")
    st.caption(f"Computed with torch on a random 32×32 A scaled to max |λ| = {radius:.2f}. Measured growth per step "
               f"over the last 50 steps: **{norms.rate():.3f}** (|λ| = {radius:.2f}). Largest |h_t,i| under tanh: "
               f"**{norms.tanh_max_abs.max():.3f}** < 1.")
with right:
    grid = {r: ui.radius_curve(r) for r in (0.5, 1.0, 1.5, 2.0)} | {radius: ui.radius_curve(radius)}
    chart(plots.radius_grads_figure(grid, radius), key="gtt_radius_grads")
    g = grid[radius]
    st.caption(f"A fresh tanh RNN (32 units, seed 0) with W_hh rescaled to your radius, the loss read at the last "
               f"of 100 steps. ‖∂L/∂h_0‖ / ‖∂L/∂h_99‖ = **{g[0] / g[-1]:.1e}**. The tanh's slope (< 1) pulls the "
               "curve down, so the switch from vanishing to exploding happens above radius 1.")

st.header("4. A long-range memory task")
st.markdown("Each sequence is a symbol to remember (one of 4), then **k** random distractors, then a question "
            "mark: the model must answer the first symbol. Only the answer is scored, so the gradient has to "
            "travel k steps back. Every architecture gets the same budget: "
            f"{ui.MEMORY_STEPS} Adam steps, 32 units, batches of 64.")
a, b = st.columns(2)
DELAYS, BIASES = [2, 5, 10, 15, 20, 30, 40, 60], [0.0, 1.0, 3.0]
delay = query_value("k", 20, DELAYS)
delay = control("k", delay, lambda: a.select_slider("Delay k (distractors)", DELAYS, delay, key="gtt_delay"))
bias = query_value("bias", 3.0, BIASES)
bias = control("bias", bias, lambda: b.select_slider(
    "LSTM forget-gate bias at the start", BIASES, bias, key="gtt_forget",
    help="torch starts b_f at about 0: f = σ(0) = 0.5 halves the cell every step."))
ui.memory_controls(delay, bias)
ui.memory_panel(delay)

show_code(hidden_grads, input_sensitivity, gradients.recurrence_norms, gradients.memory_eval, key="gtt")
class_link_form("Gradients_through_time", {"source": "models trained on", "radius": "spectral radius", "k": "delay k",
                                           "bias": "forget-gate bias"},
                {"source": "lm" if source == ui.SOURCES[1] else "memory", "radius": radius, "k": delay, "bias": bias},
                key="gtt_link")
try_this(
    "In section 1 switch to the character LM and its loss to every step: the curves flatten, because every state "
    "is also scored directly.",
    "Drag the spectral radius from 0.9 to 1.2: the red linear line turns from falling to rising; the tanh line stops "
    "at its ceiling. Then try 0.5 and 2.0 on the RNN's gradient curve.",
    "Press **Sweep**: the plain RNN drops to chance (25%) as k grows while the GRU and LSTM keep answering.",
    "Set the LSTM forget-gate bias to 0 and train at k = 20: the LSTM now fails too (dotted line), because "
    f"0.5^20 ≈ {0.5 ** 20:.0e} of the cell survives at the start of training.",
)
