"""Lesson: the trained recurrent matrix. Eigenvalues of W_hh tie the 0.9^100 / 1.2^100 argument to a real model."""

import numpy as np
import streamlit as st
import torch

from rnnviz.data import clean_text
from rnnviz.plots.spectrum import eigenvalue_plane, norms_over_time
from rnnviz.spectrum import recurrent_spectra
from rnnviz.tracing import hidden_grads
from rnnviz.ui import setup_page, try_this
from rnnviz.ui.affordances import chart, class_link_form, control, guide, query_value, show_code
from rnnviz.ui.cache import corpus, untrained_model
from rnnviz.ui.inspection import choose_model
from rnnviz.ui.safe_text import plotly_text
from rnnviz.ui.scrub import STEP_PARAM, scrub_at
from rnnviz.ui.spectrum import spectra_by_block, state_and_grad_norms

setup_page("recurrent_matrix")
st.title("The recurrent matrix W_hh")
st.markdown(
    "Every step multiplies the state by the same matrix $W_{hh}$. Along an eigenvector with eigenvalue "
    "$\\lambda$, 100 steps scale a signal by $\\lambda^{100}$: $0.9^{100} \\approx 2.7\\times10^{-5}$ "
    "(the past is forgotten, gradients vanish) and $1.2^{100} \\approx 8.3\\times10^{7}$ (states and "
    "gradients explode; tanh then saturates). Here are the eigenvalues of **your** model's $W_{hh}$ against "
    "the unit circle, before training and now, next to what they do to $\\|h_t\\|$ and $\\|\\partial L/\\partial h_t\\|$."
)
guide("recurrent_matrix")
st.latex(r"h_t = \phi(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh}),\qquad "
         r"\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(\phi'(\cdot))\, W_{hh}")
st.caption("In torch, layer k's $W_{xh}$ is `weight_ih_l{k-1}` and its $W_{hh}$ is `weight_hh_l{k-1}`: torch "
           "counts layers from 0, these lessons from 1. A GRU or LSTM stacks one block per gate in those tensors.")

item = choose_model("lm", key="matrix_model")
model, when, step = scrub_at(item, key="matrix_scrub")
before = untrained_model(item.cfg)
after_blocks, before_blocks = spectra_by_block(model), spectra_by_block(before)
names = {f"layer {b[0] + 1}, {b[1]}": b for b in after_blocks}  # layers from 1; a link carries the block by its label
block_name = query_value("block", next(iter(names)), list(names))
block_name = control("block", block_name, lambda: st.selectbox(
    "Block of W_hh", list(names), index=list(names).index(block_name), key="matrix_block"))
layer, block = names[block_name]
typed = query_value("text", "the time traveller for so it will be convenient to speak of him was expounding a "
                            "recondite matter to us")
passage = clean_text(control("text", typed, lambda: st.text_input("Passage", typed, key="matrix_text")))[:300]
if len(passage) < 3:
    st.warning("Type at least three letters.")
    st.stop()
r_before = float(np.abs(before_blocks[(layer, block)]).max())
r_after = float(np.abs(after_blocks[(layer, block)]).max())

left, right = st.columns([1, 1])
with left:
    chart(eigenvalue_plane(before_blocks[(layer, block)], after_blocks[(layer, block)],
                           f"Eigenvalues, {block_name}<br><sup>{plotly_text(item.label)}, {when}</sup>"), key="matrix_eigs")
    st.metric("spectral radius max |λ|", f"{r_after:.3f}", f"{r_after - r_before:+.3f} since initialisation")
    st.caption(f"max|λ|^100 = {r_after ** 100:.3g} now, {r_before ** 100:.3g} at initialisation "
               "(what a purely linear recurrence would do to 100 steps).")

vocab = corpus(item.cfg.text).vocab
ids = np.array(vocab.encode(list(passage)))[None]

h_now, g_now = state_and_grad_norms(model, torch.as_tensor(ids), layer)
h_init, g_init = state_and_grad_norms(before, torch.as_tensor(ids), layer)
tokens = list(passage[:-1])
with right:
    chart(norms_over_time(h_init, h_now, tokens, "‖h_t‖ along the passage", "‖h_t‖", log=False), key="matrix_h")
    chart(norms_over_time(g_init, g_now, tokens, "‖∂L/∂h_t‖ along the passage<br><sup>how much each step's state matters to "
                          "the loss</sup>",
                          "‖∂L/∂h_t‖ (log scale)", log=True), key="matrix_g")

show_code(recurrent_spectra, hidden_grads, key="matrix")
class_link_form("Recurrent_matrix", {"model": "model", "time": "training time", "block": "block", "text": "passage"},
                {"model": None if item.own else item.label, STEP_PARAM: step, "block": block_name, "text": passage},
                key="matrix_link", note="" if not item.own else "Your own model cannot travel in a link: it opens "
                "the default model of the same cell.")
try_this(
    "Train an exploding plain RNN in the lab (high learning rate, no clipping) and come back: eigenvalues move "
    "outside the circle and ‖∂L/∂h_t‖ grows toward early steps.",
    "Pick a GRU and compare the update-gate block z with the candidate block n: which one sits near 1?",
    "Scrub the training-time slider (the default models kept checkpoints too; your own runs from the lab as well) "
    "and watch the cloud of eigenvalues spread during training.",
)
