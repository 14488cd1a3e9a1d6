"""Lesson: gradients through time. ||dL/dh_t|| and ||dh_T/dx_t|| per architecture, the spectral radius, a memory task."""

import streamlit as st

from rnnviz import gradients
from rnnviz.catalog import items, t
from rnnviz.errors import RnnvizError
from rnnviz.plots import gradients as plots
from rnnviz.predictions import largest_gradient
from rnnviz.tracing import hidden_grads, input_sensitivity
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import gradients as ui
from rnnviz.ui.affordances import chart, class_link_form, control, guide, query_value, show_code
from rnnviz.ui.predict import predict

setup_page("gradients")
st.title(t("gradients.title"))
st.markdown(t("gradients.intro"))
st.latex(t("gradients.formula"))

guide("gradients")

st.header(t("gradients.reach.header"))
source = ui.default_source(query_value("source", None))  # a class link's preset, else the learner's own LM
source = control("source", source, lambda: st.radio(
    t("gradients.reach.source"), ui.SOURCES, ui.SOURCES.index(source), format_func=ui.source_label,
    horizontal=True, key="gtt_source", help=t("gradients.reach.source_help")))
length, mode = 100, ui.LOSS_MODES[0]
if source == ui.SOURCES[1]:
    a, b = st.columns([1, 2])
    length = a.slider(t("gradients.reach.length"), 20, 150, 100, 10, key="gtt_len")
    mode = b.radio(t("gradients.reach.mode"), ui.LOSS_MODES, format_func=ui.loss_label, horizontal=True,
                   key="gtt_mode", help=t("gradients.reach.mode_help"))
try:
    curves, tokens = ui.section_curves(source, length, mode)
except RnnvizError as err:
    error_box(err)
    st.stop()
if (note := ui.own_note(source)) is not None:
    st.caption(note)
own, x_title, legends = ui.own_legend(source), t(f"gradients.x_title.{source}"), ui.for_plotly(curves)
predict("predict.gradients.first_step", ui.first_step_answer(curves, source))
pick = ui.pick_step(curves)  # the step marked on both charts below (click a point; ?at= in a link)
ui.linked(plots.grads_by_layer(legends["grads"], legends["grads0"], tokens,
                               t("gradients.reach.title", batch=t(f"gradients.batch_short.{source}")),
                               x_title=x_title, own=own), "gtt_grads", pick)
st.caption(ui.ratios_caption(curves["grads"], source))
st.caption(ui.step_caption(curves, tokens, pick))

st.header(t("gradients.sensitivity.header"))
st.markdown(t("gradients.sensitivity.intro"))
ui.linked(plots.curves_over_time(legends["sens"], tokens, t("gradients.sensitivity.title"),
                                 t("gradients.sensitivity.y_title"), x_title=x_title, own=own), "gtt_sens", pick)
st.caption(t("gradients.sensitivity.caption"))

st.header(t("gradients.radius.header"))
st.markdown(t("gradients.radius.intro"))
radius = round(query_value("radius", 0.9, bounds=(0.5, 2.0)) * 20) / 20  # on the slider's 0.05 grid
radius = control("radius", radius, lambda: st.slider(t("gradients.radius.slider"), 0.5, 2.0, radius, 0.05,
                                                     key="gtt_radius"))
norms = ui.recurrence(radius)
grid = {r: ui.radius_curve(r) for r in (0.5, 1.0, 1.5, 2.0)} | {radius: ui.radius_curve(radius)}
predict("predict.gradients.largest", largest_gradient(grid[radius]))
left, right = st.columns(2)
with left:
    chart(plots.recurrence_figure(norms.linear, norms.tanh, radius, norms.size), key="gtt_recurrence")
    st.caption(t("gradients.radius.recurrence_caption", radius=radius, rate=norms.rate(),
                 largest=float(norms.tanh_max_abs.max())))
with right:
    chart(plots.radius_grads_figure(grid, radius), key="gtt_radius_grads")
    st.caption(t("gradients.radius.grads_caption", ratio=float(grid[radius][0] / grid[radius][-1])))

st.header(t("gradients.memory.header"))
st.markdown(t("gradients.memory.intro", steps=ui.MEMORY_STEPS))
a, b = st.columns(2)
DELAYS, BIASES = [2, 5, 10, 15, 20, 30, 40, 60], [0.0, 1.0, 3.0]
delay = query_value("k", 20, DELAYS)
delay = control("k", delay, lambda: a.select_slider(t("gradients.memory.delay"), DELAYS, delay, key="gtt_delay"))
bias = query_value("bias", 3.0, BIASES)
bias = control("bias", bias, lambda: b.select_slider(t("gradients.memory.bias"), BIASES, bias, key="gtt_forget",
                                                     help=t("gradients.memory.bias_help")))
ui.memory_controls(delay, bias)
ui.memory_panel(delay)

show_code(hidden_grads, input_sensitivity, gradients.recurrence_norms, gradients.memory_eval, key="gtt")
class_link_form("Gradients_through_time", {name: t(f"gradients.link.{name}") for name in ("source", "radius", "k", "bias")},
                {"source": source, "radius": radius, "k": delay, "bias": bias}, key="gtt_link")
try_this(*items("gradients.try", survives=0.5 ** 20))
