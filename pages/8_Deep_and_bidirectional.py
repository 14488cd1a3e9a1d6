"""Lesson: deep, bidirectional and encoder-decoder RNNs. Tensor shapes, parameter counts, dependencies, a live seq2seq."""

import streamlit as st

from rnnviz import seq2seq, shapes
from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS
from rnnviz.errors import RnnvizError
from rnnviz.plots import architectures as plots
from rnnviz.ui import architectures as ui
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui.affordances import chart, guide, show_code

setup_page("architectures")
st.title("Deep, bidirectional and encoder-decoder RNNs")
st.markdown(
    "Stacking recurrent layers feeds each layer's states to the layer above as its inputs; a bidirectional layer "
    "runs a second recurrence from the end of the sequence and concatenates both states; an encoder-decoder reads "
    "a whole sequence into a state, the **context**, and a second RNN writes the answer from it. The shapes of "
    "the tensors between them are where most first attempts go wrong, so start there."
)
guide("architectures")

st.header("1. The tensors that flow")
st.latex(r"H^{(l)}_t = \phi\big(W^{(l)}_{xh} H^{(l-1)}_t + W^{(l)}_{hh} H^{(l)}_{t-1} + b^{(l)}\big),\quad "
         r"H^{(0)}_t = X_t; \qquad \text{bidirectional: } H_t = [\overrightarrow{H}_t ; \overleftarrow{H}_t]")
spec = ui.shape_controls("arch")
try:
    flow = shapes.flow(spec)
    formula_total, torch_total = shapes.param_totals(spec)
except RnnvizError as err:
    error_box(err)
    st.stop()
st.dataframe(flow.table, hide_index=True, width="stretch")
st.caption("rnnviz builds every module with `batch_first=True`, so tensors are (batch, time, features); d2l keeps "
           "time first, (time, batch, features). The final state h_n is (layers × directions, batch, hidden) "
           "either way. With the defaults this is d2l's encoder example: embedding 10→8, a 2-layer GRU with 16 "
           "hidden units, batch 4, 7 steps: output (7, 4, 16) in d2l's order and state (2, 4, 16).")
left, right = st.columns([3, 2])
with left:
    st.dataframe(shapes.param_table(shapes.build(spec)[1]), hide_index=True, width="stretch")
with right:
    gates = len(SPECS[spec.cell].blocks)
    st.metric("parameters by the formula", f"{formula_total:,}")
    st.metric("torch's own count", f"{torch_total:,}", "agree" if formula_total == torch_total else "DISAGREE",
              delta_color="off" if formula_total == torch_total else "inverse")
    st.caption(f"Per layer and direction: {gates} weight block(s) of H × (H + D) and, with biases, 2 × {gates} × H "
               "(torch keeps b_ih and b_hh apart). D is the input size for layer 1 and H × directions above it.")
show_code(shapes.flow, shapes.param_table, key="arch_shapes")

st.header("2. What each state depends on")
st.markdown("Pick one state in the unrolled grid: blue marks every input and lower state it can read. In a "
            "forward RNN that is everything up to its own time step; with a bidirectional layer, the backward "
            "half has read the sequence from the end, so the state depends on the **future** inputs too.")
a, b, c = st.columns(3)
layer = a.slider("Layer", 1, spec.num_layers, spec.num_layers, key="arch_dep_layer")
grid_steps = min(spec.steps, 12)
t = b.slider("Time step t", 1, grid_steps, min(4, grid_steps), key="arch_dep_t")  # counted from 1, as the grid
bidi = c.toggle("Bidirectional", spec.bidirectional, key="arch_dep_bi")
mask = shapes.dependency_mask(spec.num_layers, grid_steps, layer, t - 1, bidi)  # the mask indexes steps from 0
chart(plots.dependency_grid(mask, layer, t - 1, bidi), key="arch_dependency")
st.markdown("**Why a bidirectional RNN cannot forecast.** Below, the gradient of each output with respect to each "
            "input of a real one-layer module: the forward module's output at t is blind to every later input "
            "(zeros above the diagonal); the bidirectional one reads them. Fine for tagging a finished sentence; "
            "useless for predicting the next value, which is exactly the input it would need to see.")
chart(plots.lookahead(*ui.lookahead_maps(spec.cell)), key="arch_lookahead")
show_code(shapes.dependency_mask, shapes.input_jacobian, key="arch_dependency")

st.header("3. Encoder and decoder")
st.latex(r"c = h^{enc}_T, \qquad h^{dec}_0 = c, \qquad "
         r"h^{dec}_{t} = f\big([\,\mathrm{embed}(y_{t-1}) ; c\,],\; h^{dec}_{t-1}\big), \quad y_0 = \langle bos\rangle")
st.markdown("A toy task small enough to train here in seconds: read six digits, write them reversed (or sorted). "
            "The encoder's final state is the context c: it starts the decoder and is appended to every decoder "
            "input. In training the decoder reads the target shifted right by one, `<bos>` first (teacher forcing); "
            "when predicting it reads its own previous output.")
a, b, c = st.columns(3)
task = a.radio("Task", seq2seq.TASKS, horizontal=True, key="arch_s2s_task")
cell = b.selectbox("Cell", ("gru", "lstm", "rnn_tanh"), key="arch_s2s_cell",
                   format_func=CELL_LABELS.get)
run = ui.s2s_run(seq2seq.Seq2SeqConfig(task=task, cell=cell))
if c.button(f"Train for {ui.S2S_SECONDS:.0f} seconds", key="arch_s2s_train", type="primary"):
    ui.s2s_train(run)
if run.losses:
    token_acc, seq_acc = run.accuracy[-1][1:]
    m1, m2, m3 = st.columns(3)
    m1.metric("training steps", len(run.losses))
    m2.metric("held-out digits right", f"{token_acc:.0%}", help="Greedy decoding of 256 unseen sources; chance 10%")
    m3.metric("whole sequences right", f"{seq_acc:.0%}")
    chart(plots.training_curve(run.losses, run.accuracy), key="arch_s2s_curve")
else:
    st.info("Press **Train**: each press trains a few seconds more; the example below updates with it.")
ex = seq2seq.example(run.model, run.cfg)
chart(plots.seq2seq_diagram(ex.src, ex.dec_in, ex.tgt, ex.pred), key="arch_s2s_diagram")  # full width: 13 nodes a row
chart(plots.encoder_states(ex.enc_states.numpy(), ex.src), key="arch_s2s_states")
st.caption(f"Source {ex.src} → target {ex.tgt}; the model wrote {ex.pred}. Below the diagram: the encoder's state "
           "after each source digit; its last column is the context c, all the decoder knows about the source.")
show_code(seq2seq.Seq2Seq.forward, seq2seq.decoder_input, seq2seq.greedy, key="arch_s2s")

try_this(
    "Set layers to 3 and switch Bidirectional on: the output's last dimension doubles to 2H and h_n gets "
    "3 × 2 = 6 rows. The parameter count by formula and torch's still agree.",
    "In section 2 pick layer 1, t = 0 with Bidirectional on: the first state already depends on the last input.",
    "Train the reverse task with a GRU for three presses, then with the RNN (tanh): the plain RNN needs longer "
    "to carry the first digit through to the end of the source, which is the one it must write first.",
    "Switch the task to sort: the context must now hold counts of each digit rather than positions.",
)
