"""Lesson: gradient clipping by global norm (two live runs, same seed) and truncated backpropagation through time."""

import streamlit as st

from rnnviz import gradients
from rnnviz.plots import gradients as plots
from rnnviz.plots.training import grad_norm_figure
from rnnviz.tasks import truncated_forward
from rnnviz.ui import clipping as ui
from rnnviz.ui import setup_page, try_this
from rnnviz.ui.affordances import chart, class_link_form, control, guide, query_value, show_code

setup_page("clipping")
st.title("Taming gradients through time: clipping and truncation")
st.markdown(
    "When the Jacobians along the sequence multiply to something large, one minibatch can produce a gradient "
    "thousands of times longer than usual and a single step throws the weights far away. **Clipping** shortens "
    "such a gradient to the threshold θ and keeps its direction. **Truncated backpropagation** cuts the backward "
    "pass every few steps: cheaper and steadier, but the gradient can no longer reach further back than the cut."
)

guide("clipping")

st.header("1. Clipping by global norm")
st.latex(r"\lVert g \rVert = \sqrt{\textstyle\sum_{p} \lVert \nabla_p L \rVert^2}, \qquad "
         r"g \leftarrow \min\!\Big(1, \frac{\theta}{\lVert g \rVert}\Big)\, g \qquad "
         r"\text{(torch.nn.utils.clip\_grad\_norm\_, every parameter at once)}")
a, b, c, d = st.columns(4)
CELLS, LRS, THETAS, STEPS = ["rnn_relu", "rnn_tanh", "gru", "lstm"], [0.1, 0.3, 1.0, 3.0, 10.0, 30.0], \
    [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], list(range(50, 401, 50))
cell = query_value("cell", CELLS[0], CELLS)  # a class link presets (and may hide) each control
cell = control("cell", cell, lambda: a.selectbox("Cell", CELLS, CELLS.index(cell), format_func=ui.grad_label,
                                                 key="clip_cell"))
lr = query_value("lr", 10.0, LRS)
lr = control("lr", lr, lambda: b.select_slider("SGD learning rate", LRS, lr, key="clip_lr"))
theta = query_value("theta", 1.0, THETAS)
theta = control("theta", theta, lambda: c.select_slider("Threshold θ", THETAS, theta, key="clip_theta"))
steps = query_value("steps", 150, STEPS)
steps = control("steps", steps, lambda: d.slider("Steps per run", 50, 400, steps, 50, key="clip_steps"))
cfgs = {"clipped": ui.lm_cfg(cell, 64, "sgd", lr, theta, steps), "not clipped": ui.lm_cfg(cell, 64, "sgd", lr, None, steps)}
st.caption("Both runs: the same character language model (64 units, seed 0, the same minibatches), one with "
           "clipping and one without. Press Start to train them side by side.")
ui.start_stop(ui.CLIP_KEY, cfgs)


def clip_body(runs):
    if runs is None:
        st.info("Press **Start**: the loss and gradient-norm charts fill in as both runs train.")
        return
    st.markdown(ui.progress_line(runs))
    clipped, plain = runs.runs["clipped"], runs.runs["not clipped"]
    st.markdown(f"Clipped: {ui.trend(clipped)}. Not clipped: {ui.trend(plain)}.")
    if plain.diverged:
        st.error(f"**The unclipped run diverged.** {plain.diverged}", icon="💥")
    chart(plots.losses_figure({n: r.history for n, r in runs.runs.items()}, "Training loss: same start, same batches",
                              diverged={n: r.diverged for n, r in runs.runs.items()}), key="clip_loss")
    left, right = st.columns(2)
    with left:
        chart(grad_norm_figure(clipped.history, clipped.cfg.clip), key="clip_norm_clipped")
        st.caption(f"Clipped run: {sum(m.clipped for m in clipped.history)} of {clipped.steps_done} steps were "
                   "clipped (red crosses). The blue line, the norm actually applied, never rises above θ.")
    with right:
        chart(grad_norm_figure(plain.history, None), key="clip_norm_plain")
        st.caption("Unclipped run: every step applies the full gradient, spikes included.")
    check = gradients.clip_check(clipped.model, ui.lm_batch_loss(ui.passage_batch(clipped.task.text, 35)[0]),
                                 clipped.cfg.clip)
    m1, m2, m3 = st.columns(3)
    m1.metric("‖g‖ on a fixed batch, clipped run's weights now", f"{check.raw_norm:.3g}")
    m2.metric("‖clipped g‖", f"{check.clipped_norm:.3g}", help="min(‖g‖, θ)")
    m3.metric("cosine(g, clipped g)", f"{check.cosine:.6f}", help="1 = same direction: clipping only changes the length")


ui.live(ui.CLIP_KEY, clip_body)

st.header("2. Truncated backpropagation through time")
st.latex(r"\frac{\partial L}{\partial h_t} = \sum_{s \ge t,\; s < \text{end of } t\text{'s chunk}} "
         r"\frac{\partial L_s}{\partial h_s}\,\prod_{u=t+1}^{s} \frac{\partial h_u}{\partial h_{u-1}}")
st.markdown("The state is carried forward into the next chunk, but detached: its gradient is cut at every chunk "
            "boundary (`truncated_forward`, the code that trains the language model).")
a, b, c = st.columns(3)
TCELLS, CUTS = ["gru", "lstm", "rnn_tanh"], ["5", "10", "35", "full"]
tcell = query_value("tcell", TCELLS[0], TCELLS)
tcell = control("tcell", tcell, lambda: a.selectbox("Cell", TCELLS, TCELLS.index(tcell), format_func=ui.grad_label,
                                                    key="trunc_cell"))
cuts = [k for k in query_value("cuts", "5,35,full").split(",") if k in CUTS] or ["5", "35", "full"]
cuts = control("cuts", cuts, lambda: b.multiselect("Truncation lengths", CUTS, cuts, key="trunc_cuts"))
tsteps = query_value("tsteps", 150, STEPS)
tsteps = control("tsteps", tsteps, lambda: c.slider("Steps per run", 50, 400, tsteps, 50, key="trunc_steps"))
tcfgs = {f"bptt {k}": ui.lm_cfg(tcell, 64, "adam", 0.01, 1.0, tsteps, num_steps=ui.TRUNC_LENGTH,
                                bptt=None if k == "full" else int(k), batch=16) for k in cuts}
st.caption(f"Each run reads subsequences of {ui.TRUNC_LENGTH} characters (Adam, lr 0.01, clipping at 1, the "
           "same seed); only where the backward pass is cut differs.")
mode = ui.LOSS_MODES[1] if query_value("mode", "last") == "every" else ui.LOSS_MODES[0]
mode = control("mode", mode, lambda: st.radio("Gradient of", ui.LOSS_MODES, ui.LOSS_MODES.index(mode), horizontal=True,
                                              key="trunc_mode"))
if tcfgs:
    ui.start_stop(ui.TRUNC_KEY, tcfgs)
else:
    st.warning("Pick at least one truncation length.")


def trunc_body(runs):
    if runs is None:
        runs = ui.idle_runset(ui.TRUNC_KEY, tcfgs)  # fresh models: the gradient picture before any training
    if runs is None:
        return
    tokens = ui.passage_batch(ui.TextConfig(), ui.TRUNC_LENGTH)[1]
    cuts = {name: run.cfg.bptt for name, run in runs.runs.items()}
    chart(plots.reach_figure(ui.reach_curves(runs, mode), tokens,
                             "How far back the gradient reaches: it stops at the chunk boundary (dashed)", cuts),
          key="trunc_reach")
    if not any(r.history for r in runs.runs.values()):
        st.info("Press **Start** to train the runs side by side: loss against steps and against seconds.")
        return
    st.markdown(ui.progress_line(runs))
    left, right = st.columns(2)
    histories = {n: r.history for n, r in runs.runs.items()}
    with left:
        chart(plots.losses_figure(histories, "Loss per step"), key="trunc_loss_steps")
    with right:
        chart(plots.losses_figure(histories, "Loss per second of training", seconds=runs.seconds), key="trunc_loss_time")


ui.live(ui.TRUNC_KEY, trunc_body)

show_code(gradients.clip_check, gradients.truncated_hidden_grads, truncated_forward, key="clip")
class_link_form("Clipping_and_truncation",
                {"cell": "clipping cell", "lr": "learning rate", "theta": "threshold θ", "steps": "clipping steps",
                 "tcell": "truncation cell", "cuts": "truncation lengths", "tsteps": "truncation steps",
                 "mode": "gradient of"},
                {"cell": cell, "lr": lr, "theta": theta, "steps": steps, "tcell": tcell, "cuts": ",".join(cuts),
                 "tsteps": tsteps, "mode": "every" if mode == ui.LOSS_MODES[1] else "last"}, key="clip_link")
try_this(
    "Press Start with the defaults (ReLU RNN, SGD at learning rate 10): within a few steps the unclipped run's "
    "gradient spikes and it diverges, while the clipped one keeps learning. The cosine stays 1.000000 whatever θ is.",
    "Lower θ to 0.1: nearly every step is clipped and learning slows down; raise it to 10 and the spikes come back.",
    "With the loss of the last step only, bptt 5 gives a gradient for just the last chunk's steps; 'full' reaches "
    "all 100. Switch to every step's loss to see a saw-tooth: each chunk starts afresh.",
    "Compare the loss charts per step and per second: on this character model, does cutting at 5 cost loss? Does it "
    "save time? (Each chunk is a separate call into the fused module, so short chunks are not cheaper here.)",
)
