"""Training lab: train a language model, forecaster or classifier live, watch loss and gradients, share the run."""

import streamlit as st

from rnnviz.lessons import BY_FILE
from rnnviz.ui import lab, lab_links, lab_settings, lab_step, lang, setup_page, try_this
from rnnviz.ui.affordances import guide
from rnnviz.ui.core import page_link
from rnnviz.ui.safe_text import plain

setup_page("training_lab")
lab_links.apply_link()  # before any widget: a shared link fills in the settings (a class link can fix some)
st.title("Training lab: watch a recurrent network learn")
st.markdown(
    "Pick a task and a model, press **Start**, and watch it learn step by step: the loss falls, the gradient norm "
    "jumps around, and a language model's sample turns from `the tiiiime` into words. Every step is one "
    "minibatch, one backward pass through time, and one clipped update. **One step** takes a single update "
    "and shows what it changed:"
)
guide("training_lab")
st.latex(r"g \leftarrow \nabla_\theta L, \qquad "
         r"g \leftarrow \min\!\Big(1, \frac{\theta}{\lVert g \rVert}\Big)\, g, \qquad "
         r"\text{params} \leftarrow \text{params} - \eta\, g")
st.caption("The last step is SGD's; Adam rescales g per weight before it.")

with st.container(border=True, key="lab_settings_box"):
    lab_links.fixed_note()
    cfg = lab_settings.settings()
lab_settings.controls(cfg)  # outside the settings box: on a phone the box scrolls, Start stays in sight

lab.live_panel()
lab_step.panel()

run = lab.current()
if run is not None and run.status != "running":
    st.markdown(f"**{plain(run.name)}** is now the model the inspection lessons open (sidebar: *Model to inspect*).")
    links = [("pages/4_Hidden_states.py", "Hidden states", ":material/psychology:"),
             ("pages/5_Gates.py", "Gates", ":material/door_front:"),
             ("pages/6_Gradients_through_time.py", "Gradients through time", ":material/trending_down:")]
    cols = st.columns(len(links))
    for col, (page, label, _icon) in zip(cols, links):  # the icon: the registry's
        page_link(BY_FILE[page], lang.link_params(), f"Open it in {label}", col)

st.subheader("Your runs")
lab_settings.compare()
with st.expander("Save, restore and share"):
    lab_settings.run_files()
    if cfg is not None:
        lab_links.share_link(cfg)
    st.markdown("**Preset links for a class** (append to this page's address):")
    st.dataframe(lab_links.presets_table(), hide_index=True)
if cfg is not None:
    lab_links.class_link(cfg)

try_this(
    "Pick **Exploding plain RNN (no clipping)** and press **One step** again and again: the gradient norm jumps "
    "from about 0.3 to 15, the loss after the step explodes, and a few presses later the run stops with a message. "
    "Tick **Clip gradients** and try again: *norm applied* stays at θ.",
    "Pick **Exploding plain RNN (no clipping)** and press Start: within a few steps the gradient norm shoots up and "
    "training stops with a message. Then pick **Same RNN, clipped at 1**: red crosses mark clipped steps and the "
    "loss falls.",
    "Run **d2l char-level GRU** at **Lesson** speed and watch the sample: after ~200 steps it repeats 'the the', "
    "after ~1000 it spells words. The timeline under the sample keeps each stage.",
    "Train a GRU, then the same settings with an RNN (tanh), and compare the two loss curves under *Your runs*.",
    "Set the temperature to 0 and then to 1.5 on a trained language model: the sample goes from repetitive to wild.",
)
