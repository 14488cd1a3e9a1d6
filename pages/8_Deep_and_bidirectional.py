"""Lesson: deep, bidirectional and encoder-decoder RNNs. Tensor shapes, parameter counts, dependencies, a live seq2seq."""

import streamlit as st

from rnnviz import seq2seq, shapes
from rnnviz.catalog import choices, items, t
from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS
from rnnviz.errors import RnnvizError
from rnnviz.plots import architectures as plots
from rnnviz.ui import architectures as ui
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui.affordances import chart, guide, show_code

setup_page("architectures")
st.title(t("architectures.title"))
st.markdown(t("architectures.intro"))
guide("architectures")

st.header(t("architectures.shapes.header"))
st.latex(r"H^{(l)}_t = \phi\big(W^{(l)}_{xh} H^{(l-1)}_t + W^{(l)}_{hh} H^{(l)}_{t-1} + b^{(l)}\big),\quad "
         r"H^{(0)}_t = X_t; \qquad \text{" + t("architectures.shapes.bidirectional_latex") + r"} "
         r"H_t = [\overrightarrow{H}_t ; \overleftarrow{H}_t]")
spec = ui.shape_controls("arch")
try:
    flow = shapes.flow(spec)
    formula_total, torch_total = shapes.param_totals(spec)
except RnnvizError as err:
    error_box(err)
    st.stop()
ui.ask_predictions(spec, torch_total)
st.dataframe(flow.table, hide_index=True, width="stretch")
st.caption(t("architectures.shapes.caption"))
left, right = st.columns([3, 2])
with left:
    st.dataframe(shapes.param_table(shapes.build(spec)[1]), hide_index=True, width="stretch")
with right:
    agree = formula_total == torch_total
    st.metric(t("architectures.shapes.by_formula"), f"{formula_total:,}")
    st.metric(t("architectures.shapes.by_torch"), f"{torch_total:,}",
              t("architectures.shapes.agree") if agree else t("architectures.shapes.disagree"),
              delta_color="off" if agree else "inverse")
    st.caption(t("architectures.shapes.per_layer", blocks=len(SPECS[spec.cell].blocks)))
show_code(shapes.flow, shapes.param_table, key="arch_shapes")

st.header(t("architectures.deps.header"))
st.markdown(t("architectures.deps.intro"))
a, b, c = st.columns(3)
layer = a.slider(t("architectures.deps.layer"), 1, spec.num_layers, spec.num_layers, key="arch_dep_layer")
grid_steps = min(spec.steps, 12)
step = b.slider(t("architectures.deps.step"), 1, grid_steps, min(4, grid_steps), key="arch_dep_t")  # from 1, as the grid
bidi = c.toggle(t("architectures.deps.bidirectional"), spec.bidirectional, key="arch_dep_bi")
mask = shapes.dependency_mask(spec.num_layers, grid_steps, layer, step - 1, bidi)  # the mask indexes steps from 0
chart(plots.dependency_grid(mask, layer, step - 1, bidi), key="arch_dependency")
st.markdown(t("architectures.deps.why"))
chart(plots.lookahead(*ui.lookahead_maps(spec.cell)), key="arch_lookahead")
show_code(shapes.dependency_mask, shapes.input_jacobian, key="arch_dependency")

st.header(t("architectures.s2s.header"))
st.latex(r"c = h^{enc}_T, \qquad h^{dec}_0 = c, \qquad "
         r"h^{dec}_{t} = f\big([\,\mathrm{embed}(y_{t-1}) ; c\,],\; h^{dec}_{t-1}\big), \quad y_0 = \langle bos\rangle")
st.markdown(t("architectures.s2s.intro"))
a, b, c = st.columns(3)
tasks = choices("architectures.s2s.tasks", seq2seq.TASKS)
task = a.radio(t("architectures.s2s.task"), seq2seq.TASKS, horizontal=True, key="arch_s2s_task", format_func=tasks.get)
cell = b.selectbox(t("architectures.s2s.cell"), ui.CELLS, key="arch_s2s_cell", format_func=CELL_LABELS.get)
run = ui.s2s_run(seq2seq.Seq2SeqConfig(task=task, cell=cell))
if c.button(t("architectures.s2s.train", seconds=ui.S2S_SECONDS), key="arch_s2s_train", type="primary"):
    ui.s2s_train(run)
if run.losses:
    token_acc, seq_acc = run.accuracy[-1][1:]
    m1, m2, m3 = st.columns(3)
    m1.metric(t("architectures.s2s.steps"), len(run.losses))
    m2.metric(t("architectures.s2s.digits_right"), f"{token_acc:.0%}", help=t("architectures.s2s.digits_help"))
    m3.metric(t("architectures.s2s.sequences_right"), f"{seq_acc:.0%}")
    chart(plots.training_curve(run.losses, run.accuracy), key="arch_s2s_curve")
else:
    st.info(t("architectures.s2s.press_train"))
ex = seq2seq.example(run.model, run.cfg)
chart(plots.seq2seq_diagram(ex.src, ex.dec_in, ex.tgt, ex.pred), key="arch_s2s_diagram")  # full width: 13 nodes a row
chart(plots.encoder_states(ex.enc_states.numpy(), ex.src), key="arch_s2s_states")
st.caption(t("architectures.s2s.example", source=ex.src, target=ex.tgt, written=ex.pred))
show_code(seq2seq.Seq2Seq.forward, seq2seq.decoder_input, seq2seq.greedy, key="arch_s2s")

try_this(*items("architectures.try"))
