"""Class board: a teacher's live view of the runs a class trains from the class link (a teacher's tool)."""

import streamlit as st

from rnnviz.catalog import t
from rnnviz.ui import board, setup_page

setup_page("class_board")
st.title(t("class_board.title"))
st.markdown(t("class_board.intro"))
board.page()
