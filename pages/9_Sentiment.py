"""Lesson: a recurrent classifier reads a review word by word; which word flips the opinion, and who forgets."""

import streamlit as st

from rnnviz.config import CELL_LABELS
from rnnviz.plots.sentiment import accuracy_by_source, confusion, opening_memory, two_openings, word_by_word
from rnnviz.textstats import biggest_swing, held_out, read_word_by_word, state_gap
from rnnviz.ui import setup_page, try_this
from rnnviz.ui.affordances import chart, class_link_form, guide, show_code
from rnnviz.ui.safe_text import plain, plotly_text
from rnnviz.ui.sentiment import (
    LONG_OPENINGS,
    SOURCE_LABELS,
    accuracy_table,
    choose_classifier,
    formula,
    long_reading,
    read_review,
    review_box,
)

setup_page("Sentiment")
st.title("Reading a review word by word")
st.markdown(
    "A sentiment classifier is the recurrence you already know with a different head: it reads a review one word "
    "at a time, folds each word into its hidden state $h_t$, and after the **last** word turns $h_T$ into the "
    "probability that the review is positive. Nothing stops us from asking that question after *every* word: the "
    "answer is what the model would say if the review stopped there. So you can watch the opinion form, see the "
    "word that flips it, and see what a plain RNN forgets on a long review. The models were trained on 1000 "
    "labelled sentences per source (UCI *Sentiment Labelled Sentences*: IMDb, Amazon, Yelp), 800 for training."
)
guide("sentiment")

clf = choose_classifier("sent")
cell = clf.cfg.model.cell
st.latex(formula(cell))
st.latex(r"P(\text{positive}\mid x_1..x_t) = \operatorname{softmax}(W_{out} h_t + b_{out})_{\text{pos}}"
         r" = \sigma\big((w_{pos}-w_{neg})^\top h_t + b_{pos}-b_{neg}\big)")
st.caption(f"{CELL_LABELS.get(cell, cell)} as torch runs it, with a word embedding $E$ "
           f"({clf.cfg.model.embed_dim} numbers per word) and a 2-way linear head. Training minimised the "
           "cross-entropy at each sentence's last word only; the probabilities before it were never trained.")

st.subheader("Type a review, watch the opinion form")
text = review_box(clf.source, key="sent_review")
reading = read_review(clf, text, key="sent_review")
if reading is not None:
    chart(word_by_word(reading, f"{plotly_text(clf.label)} ({SOURCE_LABELS.get(clf.source, clf.source)}): P(positive) "
                                "after each word, the hidden state under it"), key="sent_words")
    t = biggest_swing(reading)
    unknown = [w for w, u in zip(reading.words, reading.unknown) if u]
    st.markdown(f"Final verdict: **{'positive' if reading.p_positive[-1] >= 0.5 else 'negative'}** "
                f"(P = {reading.p_positive[-1]:.2f}). The biggest swing came at **'{plain(reading.words[t])}'** (word {t}); "
                "look at the heatmap column under it: many units change colour at once.")
    if unknown:
        st.caption(f"Not in the training reviews, read as <unk>: {plain(', '.join(sorted(set(unknown))))}. Every training "
                   "word has its own embedding, so <unk>'s stayed at its random start: it nudges the state arbitrarily.")
show_code(read_word_by_word, word_by_word, key="sent_words")

st.subheader("A long review: who still remembers the first words?")
st.markdown(
    f"Two reviews that differ only in their opening, “{LONG_OPENINGS[0]}” or “{LONG_OPENINGS[1]}”, followed by the "
    "same 45 words that carry no opinion. Whatever differs in the state after the opening can only be memory of "
    "it. A plain RNN multiplies that difference by $W_{hh}$ and squashes it with tanh at every word; gates can "
    "keep it. The three defaults below were trained on the same reviews, with the same size and steps."
)
long = long_reading(clf.source)
chart(opening_memory(long.gaps, long.words, long.n_opening, "How much of the opening is left in each default "
                     "cell's state, word after word"), key="sent_memory")
shown = cell if cell in long.loved else "gru"
chart(two_openings(long.loved[shown], long.hated[shown], shown, f"Default {CELL_LABELS[shown]}: P(positive) for "
                   "both openings; where the lines meet, the opening is forgotten"), key="sent_long")
st.caption("Top, log scale: a line near 0.01 has forgotten the opening (the two states are the same). Bottom: "
           "the filler words carry small opinions of their own for these small models, so P wanders; pick another "
           "model above to see its two lines.")
show_code(state_gap, opening_memory, key="sent_long")

st.subheader("Is it better than guessing? Held-out sentences")
table = accuracy_table(cell if cell in ("rnn_tanh", "gru", "lstm") else "gru")
left, right = st.columns(2)
with left:
    chart(accuracy_by_source(table), key="sent_accuracy")
    st.caption(f"Default {CELL_LABELS.get(cell, cell)} models, one per source, each scored on its own 200 held-out "
               "sentences (20 %, never seen in training).")
with right:
    score = held_out(clf.model, clf.data)
    chart(confusion(score, SOURCE_LABELS.get(clf.source, clf.source)), key="sent_confusion")
    st.caption(f"{plain(clf.label)}: {score.accuracy:.0%} right vs {score.majority:.0%} by always guessing the commoner "
               "label. Off the diagonal: reviews it got wrong.")
show_code(held_out, accuracy_table, key="sent_heldout")

class_link_form("Sentiment", {"model": "model", "source": "review source", "review": "review box"},
                {"model": None if clf.own else clf.label, "source": None if clf.own else clf.source, "review": text},
                key="sent_link", note="Your own model cannot travel in a link: it opens the default GRU instead."
                if clf.own else "")
try_this(
    "Put “not” before a positive word (“the food was not good”): does P drop at “not”, at “good”, or not at "
    "all? 800 training sentences hold few negations, so the model often misses them.",
    "Replace one word of the example with an invented one (“zzz”): it turns italic with a ?, and P still moves.",
    "In the long review, follow the red RNN line on the left: it falls to the floor while GRU or LSTM stay higher. "
    "Switch the source and see whether that holds for other models.",
    "Switch the source to Amazon (phones) and read the IMDb example: film words become <unk> and the verdict "
    "turns unreliable.",
    "Train your own sentiment model in the training lab (task: sentiment) and pick it here under 'mine:'.",
)
