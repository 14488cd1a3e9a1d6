"""Lesson: gradient clipping by global norm (two live runs, same seed) and truncated backpropagation through time."""

import streamlit as st

from rnnviz import gradients
from rnnviz.catalog import items, t
from rnnviz.tasks import truncated_forward
from rnnviz.ui import clipping as ui
from rnnviz.ui import setup_page, try_this
from rnnviz.ui.affordances import class_link_form, control, guide, query_value, show_code

setup_page("clipping")
st.title(t("clipping.title"))
st.markdown(t("clipping.intro"))

guide("clipping")

st.header(t("clipping.clip.header"))
st.latex(t("clipping.clip.formula"))
a, b, c, d = st.columns(4)
CELLS, LRS, THETAS, STEPS = ["rnn_relu", "rnn_tanh", "gru", "lstm"], [0.1, 0.3, 1.0, 3.0, 10.0, 30.0], \
    [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], list(range(50, 401, 50))
cell = query_value("cell", CELLS[0], CELLS)  # a class link presets (and may hide) each control
cell = control("cell", cell, lambda: a.selectbox(t("clipping.cell"), CELLS, CELLS.index(cell),
                                                 format_func=ui.grad_label, key="clip_cell"))
lr = query_value("lr", 10.0, LRS)
lr = control("lr", lr, lambda: b.select_slider(t("clipping.clip.lr"), LRS, lr, key="clip_lr"))
theta = query_value("theta", 1.0, THETAS)
theta = control("theta", theta, lambda: c.select_slider(t("clipping.clip.theta"), THETAS, theta, key="clip_theta"))
steps = query_value("steps", 150, STEPS)
steps = control("steps", steps, lambda: d.slider(t("clipping.steps"), 50, 400, steps, 50, key="clip_steps"))
st.caption(t("clipping.clip.both"))
ui.start_stop(ui.CLIP_KEY, ui.clip_cfgs(cell, lr, theta, steps))
ui.live(ui.CLIP_KEY, ui.clip_panel)

st.header(t("clipping.trunc.header"))
st.latex(t("clipping.trunc.formula"))
st.markdown(t("clipping.trunc.intro"))
a, b, c = st.columns(3)
TCELLS, CUTS = ["gru", "lstm", "rnn_tanh"], ["5", "10", "35", "full"]
tcell = query_value("tcell", TCELLS[0], TCELLS)
tcell = control("tcell", tcell, lambda: a.selectbox(t("clipping.cell"), TCELLS, TCELLS.index(tcell),
                                                    format_func=ui.grad_label, key="trunc_cell"))
cuts = [k for k in query_value("cuts", "5,35,full").split(",") if k in CUTS] or ["5", "35", "full"]
cuts = control("cuts", cuts, lambda: b.multiselect(t("clipping.trunc.cuts"), CUTS, cuts, key="trunc_cuts"))
tsteps = query_value("tsteps", 150, STEPS)
tsteps = control("tsteps", tsteps, lambda: c.slider(t("clipping.steps"), 50, 400, tsteps, 50, key="trunc_steps"))
tcfgs = ui.trunc_cfgs(tcell, cuts, tsteps)
st.caption(t("clipping.trunc.each", length=ui.TRUNC_LENGTH))
mode = "every" if query_value("mode", "last") == "every" else "last"
mode = control("mode", mode, lambda: st.radio(t("clipping.trunc.mode"), ui.LOSS_MODES, ui.LOSS_MODES.index(mode),
                                              format_func=ui.loss_label, horizontal=True, key="trunc_mode"))
if tcfgs:
    ui.start_stop(ui.TRUNC_KEY, tcfgs)
else:
    st.warning(t("clipping.trunc.pick_one"))
ui.live(ui.TRUNC_KEY, lambda runs: ui.trunc_panel(runs, tcfgs, mode))

show_code(gradients.clip_check, gradients.truncated_hidden_grads, truncated_forward, key="clip")
class_link_form("Clipping_and_truncation",
                {name: t(f"clipping.link.{name}")
                 for name in ("cell", "lr", "theta", "steps", "tcell", "cuts", "tsteps", "mode")},
                {"cell": cell, "lr": lr, "theta": theta, "steps": steps, "tcell": tcell, "cuts": ",".join(cuts),
                 "tsteps": tsteps, "mode": mode}, key="clip_link")
try_this(*items("clipping.try"))
