"""Lesson: text as data. Tokens and vocabulary, Zipf's law, minibatch partitioning, perplexity."""

import streamlit as st
import torch

from rnnviz import textstats
from rnnviz.data import partition_layout
from rnnviz.errors import RnnvizError
from rnnviz.plots import text as plots
from rnnviz.ui import error_box, setup_page, store, try_this
from rnnviz.ui import text as ui
from rnnviz.ui.affordances import chart, guide, show_code
from rnnviz.ui.safe_text import code_span, plotly_text
from rnnviz.ui.safe_text import plain as as_text

setup_page("text")
st.title("Text and language models")
st.markdown(
    "A language model reads a text one token at a time and, at every step, gives a probability to each token "
    "that could come next. Before any network sees it, the text is **cleaned** (d2l keeps only letters, lower "
    "case), cut into **tokens** (characters or words), each token gets an **index** in a vocabulary, and the long "
    "list of indices is cut into **minibatches** of subsequences whose labels are the same subsequences shifted "
    "by one. The model is then scored by its **perplexity**."
)
guide("text")

st.header("1. From text to tokens and indices")
a, b = st.columns([3, 1])
with a:
    try:
        raw, label = ui.choose_text("tl")
    except RnnvizError as err:
        error_box(err)
        st.stop()
token = b.radio("Tokens", ["char", "word"], horizontal=True, key="tl_token",
                format_func={"char": "characters", "word": "words"}.get)
kind = "characters" if token == "char" else "words"
corpus = ui.text_corpus(raw, token)
m1, m2, m3 = st.columns(3)
m1.metric("Characters in the raw text", f"{len(raw):,}")
m2.metric(f"Tokens ({kind})", f"{len(corpus.tokens):,}")
m3.metric("Vocabulary size V (with <unk>)", f"{len(corpus.vocab):,}")
with st.expander("Raw text, cleaned text, tokens and indices (the first few)", expanded=True):
    st.markdown(f"**Raw:** {code_span(raw[:160])}")
    st.markdown("**Cleaned** (every run of non-letters becomes one space, lower case): " +
                code_span(' '.join(corpus.tokens[:30]) if token == 'word' else ''.join(corpus.tokens[:160])))
    st.dataframe({"token": list(corpus.tokens[:20]), "index": corpus.indices[:20].tolist()}, hide_index=True,
                 height=160)
chart(plots.vocab_bars(textstats.vocab_table(corpus.vocab, 30), kind), key="tl_vocab")
probe = st.text_input("Encode your own words with this vocabulary", "the time traveller smiled at zxqy",
                      key="tl_probe")
probe_corpus = textstats.clean_text(probe)
ids = corpus.vocab.encode(probe_corpus.split() if token == "word" else list(probe_corpus))
st.markdown("Indices: `" + " ".join(str(i) for i in ids) + "`. A token the vocabulary never saw becomes index 0, "
            "**<unk>** (the unknown token): the model cannot tell unknown words apart.")

st.header("2. Zipf's law: why counting n-grams does not scale")
table, exponents, sparse = ui.zipf(raw, token)
chart(plots.zipf_plot(table, exponents), key="tl_zipf")
st.latex(r"n_i \propto \frac{1}{i^{\alpha}} \quad\Longleftrightarrow\quad \log n_i = -\alpha \log i + c")
st.dataframe(sparse, hide_index=True, column_config={
    "share seen once": st.column_config.NumberColumn(format="percent"),
    "share of possible seen": st.column_config.NumberColumn(format="%.2e"),
    "possible": st.column_config.NumberColumn("possible (V^n)", format="%.3g")})
st.caption("Most possible n-grams never occur and many that do occur only once, so a table of counts cannot "
           "estimate P(next | previous n-1) for long contexts. A recurrent network shares one set of weights "
           "across every context instead.")
show_code(textstats.zipf_table, textstats.zipf_exponent, textstats.sparsity, key="tl_zipf")

st.header("3. Minibatches: cutting the corpus into subsequences")
c1, c2, c3, c4 = st.columns(4)
shown = c1.slider("Corpus positions shown", 30, 600, 120, 10, key="tl_shown")
batch_size = c2.slider("Batch size", 1, 8, 2, key="tl_batch")
num_steps = c3.slider("Steps per subsequence", 2, 20, 5, key="tl_steps")
offset = c4.slider("Random offset", 0, num_steps - 1, 0, key="tl_offset",
                   help="d2l drops a random number of tokens at the start of each epoch, so subsequences differ.")
colour_by = st.radio("Colour positions by", ["minibatch", "row"], horizontal=True, key="tl_colour")
tokens = corpus.tokens[:shown]
for sampling in ("sequential", "random"):
    layout = partition_layout(len(tokens), batch_size, num_steps, sampling, offset,
                              torch.Generator().manual_seed(0))
    if not layout:
        st.warning(f"{len(tokens)} positions are too few for {batch_size} rows x {num_steps} steps: show more.")
        break
    strip = textstats.partition_strip(len(tokens), layout, num_steps)
    chart(plots.partition_strip(strip, tokens, colour_by, f"{sampling.capitalize()} partitioning: "
                                f"{strip.n_batches} minibatches of {batch_size} x {num_steps}"), key=f"tl_{sampling}")
    with st.expander(f"Minibatch 1 of the {sampling} partitioning as (X, Y)"):
        st.dataframe(textstats.batch_windows(tokens, layout, num_steps, 0), hide_index=True)
st.markdown("**Sequential:** row r of consecutive minibatches continues where it stopped, so the state can be "
            "carried from one minibatch to the next. **Random:** subsequences are shuffled, so the state starts "
            "fresh each time. Either way, the label of position t is the token at t+1:")
st.latex(r"X = (x_t, \dots, x_{t+T-1}), \qquad Y = (x_{t+1}, \dots, x_{t+T})")
show_code(partition_layout, textstats.partition_strip, textstats.batch_windows, key="tl_partition")

st.header("4. Perplexity: how surprised is the model?")
st.latex(r"\mathrm{PPL} = \exp\Big(-\frac{1}{n}\sum_{t=1}^{n} \ln P(x_t \mid x_{t-1}, \dots, x_1)\Big)")
st.markdown("A perfect model gives the right token probability 1: PPL = 1. Guessing uniformly among V tokens "
            "gives PPL = V. A PPL of 4 means the model is as unsure as if it picked among 4 equally likely tokens.")
insp = store.pick_model("lm", "tl_model")
plain = "".join(ui.text_corpus(raw, "char").tokens)
p1, p2 = st.columns(2)
start = p1.number_input("Start at character", 0, max(len(plain) - 30, 0), min(2000, max(len(plain) - 200, 0)),
                        step=50, key="tl_start")
length = p2.slider("Passage length (characters)", 20, 300, 120, 10, key="tl_len")
try:
    ppl, before = ui.lm_perplexity(insp, plain[int(start): int(start) + length])
except RnnvizError as err:
    error_box(err)
    st.stop()
m1, m2, m3 = st.columns(3)
m1.metric(f"Perplexity of {as_text(insp.label)}", f"{ppl.perplexity:.2f}")
m2.metric("Same model before training", f"{before.perplexity:.2f}")
m3.metric("Uniform guessing (V)", f"{ppl.vocab_size}")
chart(plots.surprise_text(ppl), key="tl_surprise_text")
chart(plots.surprise_bars(ppl, plotly_text(insp.label), before), key="tl_surprise_bars")
terms = " + ".join(f"{s:.2f}" for s in ppl.surprise[:6])
st.latex(rf"\mathrm{{PPL}} = \exp\Big(\tfrac{{1}}{{{len(ppl.surprise)}}}\big({terms} + \dots\big)\Big) = "
         rf"\exp\big(\tfrac{{{ppl.surprise.sum():.1f}}}{{{len(ppl.surprise)}}}\big) = \exp({ppl.mean_surprise:.3f})"
         rf" = {ppl.perplexity:.2f}")
show_code(ui.lm_perplexity, textstats.perplexity_breakdown, key="tl_perplexity")

try_this(
    "Switch **Tokens** to words: the vocabulary grows from 28 to thousands and the Zipf line for words is much "
    "straighter.",
    "Paste a page of another book: is its unigram slope close to 1, as Zipf's law says?",
    "In the minibatch strips, set batch size 1 and compare the colours: sequential keeps order, random shuffles.",
    "Move the perplexity passage to the start of a chapter or paste text with names: the red characters are "
    "the model's surprises; the first letters of words are usually the hardest.",
)
