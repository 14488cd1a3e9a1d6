"""Lesson: text as data. Tokens and vocabulary, Zipf's law, minibatch partitioning, perplexity."""

import streamlit as st

from rnnviz import textstats
from rnnviz.catalog import choices, items, t
from rnnviz.data import partition_layout
from rnnviz.errors import RnnvizError
from rnnviz.plots import text as plots
from rnnviz.ui import error_box, setup_page, try_this
from rnnviz.ui import text as ui
from rnnviz.ui.affordances import chart, guide, show_code
from rnnviz.ui.inspection import choose_model
from rnnviz.ui.safe_text import plotly_text

setup_page("text")
st.title(t("text.title"))
st.markdown(t("text.intro"))
guide("text")

st.header(t("text.tokens.header"))
a, b = st.columns([3, 1])
with a:
    try:
        text = ui.choose_text("tl")
    except RnnvizError as err:
        error_box(err)
        st.stop()
token = ui.choose_token(b, text, "tl_token")
corpus = ui.text_corpus(text.raw, token)
ui.show_tokens(text, corpus, token)
chart(plots.vocab_bars(textstats.vocab_table(corpus.vocab, 30), token), key="tl_vocab")
ui.probe(corpus, token, text.chinese)

st.header(t("text.zipf.header"))
ui.half_question(corpus)
table, exponents, sparse = ui.zipf(text.raw, token)
chart(plots.zipf_plot(table, exponents), key="tl_zipf")
st.latex(r"n_i \propto \frac{1}{i^{\alpha}} \quad\Longleftrightarrow\quad \log n_i = -\alpha \log i + c")
ui.sparsity_table(sparse)
st.caption(t("text.zipf.caption"))
show_code(textstats.zipf_table, textstats.zipf_exponent, textstats.sparsity, key="tl_zipf")

st.header(t("text.partition.header"))
c1, c2, c3, c4 = st.columns(4)
shown = c1.slider(t("text.partition.shown"), 30, 600, 120, 10, key="tl_shown")
batch_size = c2.slider(t("text.partition.batch_size"), 1, 8, 2, key="tl_batch")
num_steps = c3.slider(t("text.partition.steps"), 2, 20, 5, key="tl_steps")
offset = c4.slider(t("text.partition.offset"), 0, num_steps - 1, 0, key="tl_offset", help=t("text.partition.offset_help"))
colour_by = st.radio(t("text.partition.colour_by"), ["minibatch", "row"], horizontal=True, key="tl_colour",
                     format_func=choices("text.partition", ("minibatch", "row")).get)
tokens = corpus.tokens[:shown]
ui.continues_question(len(tokens), batch_size, num_steps, offset)
for sampling in ("sequential", "random"):
    layout = textstats.seeded_layout(len(tokens), batch_size, num_steps, sampling, offset)
    if not layout:
        st.warning(t("text.partition.too_few", positions=len(tokens), rows=batch_size, steps=num_steps))
        break
    strip = textstats.partition_strip(len(tokens), layout, num_steps)
    title = t("text.partition.title", sampling=t(f"text.partition.{sampling}"), batches=strip.n_batches,
              rows=batch_size, steps=num_steps)
    chart(plots.partition_strip(strip, tokens, colour_by, title), key=f"tl_{sampling}")
    with st.expander(t("text.partition.first_batch", sampling=t(f"text.partition.{sampling}").lower())):
        ui.batch_table(tokens, layout, num_steps)
st.markdown(t("text.partition.explain"))
st.latex(r"X = (x_t, \dots, x_{t+T-1}), \qquad Y = (x_{t+1}, \dots, x_{t+T})")
show_code(partition_layout, textstats.partition_strip, textstats.batch_windows, key="tl_partition")

st.header(t("text.perplexity.header"))
st.latex(r"\mathrm{PPL} = \exp\Big(-\frac{1}{n}\sum_{t=1}^{n} \ln P(x_t \mid x_{t-1}, \dots, x_1)\Big)")
st.markdown(t("text.perplexity.explain"))
insp = ui.lm_for_text(choose_model("lm", key="tl_model"), text)
plain = "".join(ui.text_corpus(text.raw, "char").tokens)
last, first = ui.passage_bounds(plain)
p1, p2 = st.columns(2)
start = p1.number_input(t("text.perplexity.start"), 0, last, first, step=50, key="tl_start")
length = p2.slider(t("text.perplexity.length"), 20, 300, 120, 10, key="tl_len")
try:
    ppl, before = ui.lm_perplexity(insp, plain[int(start): int(start) + length])
except RnnvizError as err:
    error_box(err)
    st.stop()
m1, m2, m3 = st.columns(3)
m1.metric(ui.metric_label(insp.label), f"{ppl.perplexity:.2f}")
m2.metric(t("text.perplexity.before"), f"{before.perplexity:.2f}")
m3.metric(t("text.perplexity.uniform"), f"{ppl.vocab_size}")
chart(plots.surprise_text(ppl), key="tl_surprise_text")
chart(plots.surprise_bars(ppl, plotly_text(insp.label), before), key="tl_surprise_bars")
terms = " + ".join(f"{s:.2f}" for s in ppl.surprise[:6])
st.latex(rf"\mathrm{{PPL}} = \exp\Big(\tfrac{{1}}{{{len(ppl.surprise)}}}\big({terms} + \dots\big)\Big) = "
         rf"\exp\big(\tfrac{{{ppl.surprise.sum():.1f}}}{{{len(ppl.surprise)}}}\big) = \exp({ppl.mean_surprise:.3f})"
         rf" = {ppl.perplexity:.2f}")
show_code(ui.lm_perplexity, textstats.perplexity_breakdown, key="tl_perplexity")

try_this(*items("text.try"))
