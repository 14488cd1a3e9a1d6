"""rnnviz home: what the app teaches, a suggested path for a class, a 30-second start, and a live RNN learning."""

import streamlit as st

from rnnviz.catalog import t
from rnnviz.ui import home, setup_page

setup_page("home")
st.title(t("home.title"))
st.markdown(t("home.intro"))
st.latex(r"h_t = \phi\big(W_{xh} x_t + W_{hh} h_{t-1} + b_h\big), \qquad o_t = W_{hq} h_t + b_q")
st.caption(t("home.formula_caption"))

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader(t("home.start_title"))
    st.markdown(t("home.start_steps"))
    home.lab_link()
    st.button(t("home.replay"), key="home_replay", on_click=home.replay_preview)
with right:
    home.preview()

st.subheader(t("home.path_title"))
st.caption(t("home.path_caption"))
home.lesson_path()

st.divider()
st.caption(t("home.footer"))
