"""rnnviz home: what the app teaches, a suggested path for a class, a 30-second start, and a live RNN learning."""

import streamlit as st

from rnnviz.ui import home, setup_page

setup_page("home")
st.title("rnnviz: look inside recurrent neural networks")
st.markdown(
    "A recurrent network reads a sequence one step at a time and carries a **hidden state** h_t from step to "
    "step. This app opens that loop up: you train real PyTorch RNNs, GRUs and LSTMs on a sine, on H. G. Wells' "
    "*The Time Machine* and on review sentences, and then look at every hidden unit, every gate and every "
    "gradient as it flows back through time. It follows the RNN chapters (9 and 10) of *Dive into Deep Learning*."
)
st.latex(r"h_t = \phi\big(W_{xh} x_t + W_{hh} h_{t-1} + b_h\big), \qquad o_t = W_{hq} h_t + b_q")
st.caption("The plain RNN (d2l's notation, used on every page). The GRU in the preview gates this update: "
           "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$, where the update gate $z_t$ decides how much of the old "
           "state to keep and $n_t$ is the candidate built like the plain RNN's $h_t$ (the Gates lesson shows it all). "
           "In torch, $W_{xh}$ is `weight_ih_l0` and $W_{hh}$ is `weight_hh_l0`: torch counts layers from 0, the "
           "lessons count layers and a review's words from 1. Chart axes of time steps and hidden units are "
           "tensor indices and start at 0, as torch's do.")

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Start in 30 seconds")
    st.markdown(
        "1. Watch the GRU on the right learn the sine: the blue fit locks onto the wave, and the heatmap shows "
        "its hidden units settling into a rhythm.\n"
        "2. Open the **Training lab**, pick the preset *d2l char-level GRU* and press **Start**.\n"
        "3. While it trains, watch the sample text turn from `the tiiiime` into words.\n"
        "4. Open **Hidden states** or **Gates** from the sidebar: they now show *your* model."
    )
    if home.page_exists("pages/3_Training_lab.py"):
        home.link("pages/3_Training_lab.py", "Go to the training lab", ":material/fitness_center:")
    st.button("Replay the preview", key="home_replay", on_click=home.replay_preview)
with right:
    home.preview()

st.subheader("A path through the lessons for a class")
st.caption("About 10-15 minutes each. Every lesson works on its own with a ready-trained model; "
           "the ones after the lab switch to your own model when you have trained one.")
home.lesson_path()

st.divider()
st.caption("Models train on this server's CPU with torch's fused nn.RNN / nn.GRU / nn.LSTM; the inspection pages "
           "replay the same weights through explicit cells that return every gate, and tests check both agree.")
