"""rnnviz home page (placeholder until the home page lands)."""

import streamlit as st

from rnnviz.ui import setup_page

setup_page("Home")
st.title("rnnviz: look inside recurrent neural networks")
