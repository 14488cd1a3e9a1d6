"""Lesson: the trained recurrent matrix. Eigenvalues of W_hh tie the 0.9^100 / 1.2^100 argument to a real model."""

import streamlit as st

from rnnviz.catalog import items, t
from rnnviz.data import clean_text
from rnnviz.plots.spectrum import eigenvalue_plane, norms_over_time
from rnnviz.spectrum import recurrent_spectra
from rnnviz.tracing import hidden_grads
from rnnviz.ui import setup_page, try_this
from rnnviz.ui import spectrum as ui
from rnnviz.ui.affordances import chart, class_link_form, control, guide, query_value, show_code
from rnnviz.ui.cache import corpus, untrained_model
from rnnviz.ui.inspection import choose_model
from rnnviz.ui.safe_text import plotly_text
from rnnviz.ui.scrub import STEP_PARAM, scrub_at

# The passage a link opens with by default: text of the corpus the default models read, not learner-facing prose.
DEFAULT_PASSAGE = ("the time traveller for so it will be convenient to speak of him was expounding a recondite matter "
                   "to us")

setup_page("recurrent_matrix")
st.title(t("recurrent_matrix.title"))
st.markdown(t("recurrent_matrix.intro"))
guide("recurrent_matrix")
st.latex(r"h_t = \phi(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh}),\qquad "
         r"\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(\phi'(\cdot))\, W_{hh}")
st.caption(t("recurrent_matrix.torch_names"))

item = choose_model("lm", key="matrix_model")
model, when, step = scrub_at(item, key="matrix_scrub")
before = untrained_model(item.cfg)
spectra = ui.both_spectra(model, before)
codes = ui.block_codes(spectra)  # a link carries the block by its code; the chooser shows it translated
block_code = query_value("block", next(iter(codes)), list(codes))
block_code = control("block", block_code, lambda: st.selectbox(
    t("recurrent_matrix.block_label"), list(codes), index=list(codes).index(block_code), key="matrix_block",
    format_func=ui.block_labels(codes).get))
layer, block = codes[block_code]
typed = query_value("text", DEFAULT_PASSAGE)
passage = clean_text(control("text", typed, lambda: st.text_input(t("recurrent_matrix.passage"), typed,
                                                                   key="matrix_text")))[:300]
if len(passage) < 3:
    st.warning(t("recurrent_matrix.too_short"))
    st.stop()
r_after, r_before = spectra.radius((layer, block))
ui.ask_predictions(r_after, r_before)

left, right = st.columns([1, 1])
with left:
    title = t("recurrent_matrix.eigen.title", block=ui.block_labels(codes)[block_code], model=plotly_text(item.label),
              when=when)
    chart(eigenvalue_plane(spectra.before[(layer, block)], spectra.now[(layer, block)], title), key="matrix_eigs")
    st.metric(t("recurrent_matrix.radius"), f"{r_after:.3f}",
              t("recurrent_matrix.radius_change", change=r_after - r_before))
    st.caption(t("recurrent_matrix.power", now=r_after ** 100, before=r_before ** 100))

h_init, h_now, g_init, g_now = ui.passage_norms(model, before, corpus(item.cfg.text).vocab, passage, layer)
tokens = list(passage[:-1])
with right:
    chart(norms_over_time(h_init, h_now, tokens, t("recurrent_matrix.norms.h_title"),
                          t("recurrent_matrix.norms.h_axis"), log=False), key="matrix_h")
    chart(norms_over_time(g_init, g_now, tokens, t("recurrent_matrix.norms.g_title"),
                          t("recurrent_matrix.norms.g_axis"), log=True), key="matrix_g")

show_code(recurrent_spectra, hidden_grads, key="matrix")
labels = {name: t(f"recurrent_matrix.link.{name}") for name in ("model", "time", "block", "text")}
class_link_form("Recurrent_matrix", labels,
                {"model": None if item.own else item.label, STEP_PARAM: step, "block": block_code, "text": passage},
                key="matrix_link", note=t("recurrent_matrix.link.own") if item.own else "")
try_this(*items("recurrent_matrix.try"))
