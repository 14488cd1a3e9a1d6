"""Training lab: train a language model, forecaster or classifier live, watch loss and gradients, share the run."""

import streamlit as st

from rnnviz.catalog import items, t
from rnnviz.lessons import BY_FILE
from rnnviz.ui import lab, lab_links, lab_predict, lab_settings, lab_step, lab_widgets, lang, setup_page, try_this
from rnnviz.ui.affordances import guide
from rnnviz.ui.core import page_link
from rnnviz.ui.safe_text import plain

setup_page("training_lab")
lab_links.apply_link()  # before any widget: a shared link fills in the settings (a class link can fix some)
st.title(t("training_lab.title"))
st.markdown(t("training_lab.intro"))
guide("training_lab")
st.latex(r"g \leftarrow \nabla_\theta L, \qquad "
         r"g \leftarrow \min\!\Big(1, \frac{\theta}{\lVert g \rVert}\Big)\, g, \qquad "
         r"\text{params} \leftarrow \text{params} - \eta\, g")
st.caption(t("training_lab.formula_note"))

with st.container(border=True, key="lab_settings_box"):
    lab_links.fixed_note()
    cfg = lab_widgets.settings()
lab_settings.controls(cfg)  # outside the settings box: on a phone the box scrolls, Start stays in sight
lab.live_panel()
lab_step.panel()
lab_predict.questions(cfg, lab.current())  # below the live view: on a phone, Start and the live chart stay together

run = lab.current()
if run is not None and run.status != "running":
    st.markdown(t("training_lab.inspect_next", name=plain(run.name)))
    links = [("pages/4_Hidden_states.py", "hidden_states", ":material/psychology:"),
             ("pages/5_Gates.py", "gates", ":material/door_front:"),
             ("pages/6_Gradients_through_time.py", "gradients", ":material/trending_down:")]
    cols = st.columns(len(links))
    for col, (page, slug, _icon) in zip(cols, links):  # the icon: the registry's
        page_link(BY_FILE[page], lang.link_params(), t("training_lab.open_in", lesson=t(f"lessons.{slug}.title")), col)

st.subheader(t("training_lab.runs"))
lab_settings.compare()
with st.expander(t("training_lab.save_share")):
    lab_settings.run_files()
    if cfg is not None:
        lab_links.share_link(cfg)
    st.markdown(t("training_lab.preset_links"))
    st.dataframe(lab_links.presets_table(), hide_index=True)
if cfg is not None:
    lab_links.class_link(cfg)

try_this(*items("training_lab.try"))
