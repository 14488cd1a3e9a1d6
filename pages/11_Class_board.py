"""Class board: a teacher's live view of the runs a class trains from the class link (a teacher's tool)."""

import streamlit as st

from rnnviz.ui import board, setup_page

setup_page("class_board")
st.title("Class board: the whole class's runs, live")
st.markdown(
    "Project this page while the class trains. Each student who opens your class link and trains shows up "
    "here with the nickname they choose (or *anonymous*): the final loss against the setting the lesson varies "
    "(cell type, learning rate, clipping threshold), refreshed every few seconds. It shows settings and "
    "results only; nobody's link to their runs."
)
board.page()
