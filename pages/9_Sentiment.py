"""Lesson: a recurrent classifier reads a review word by word; which word flips the opinion, and who forgets."""

import streamlit as st

from rnnviz.config import CELL_LABELS
from rnnviz.negation import negation_table
from rnnviz.plots.sentiment import accuracy_by_source, confusion, opening_memory, two_openings, word_by_word
from rnnviz.textstats import biggest_swing, held_out, read_word_by_word, state_gap
from rnnviz.ui import setup_page, try_this
from rnnviz.ui.affordances import chart, class_link_form, guide, show_code
from rnnviz.ui.safe_text import plain, plotly_text
from rnnviz.ui.sentiment import (
    LONG_OPENINGS,
    SENT_CELLS,
    SOURCE_LABELS,
    accuracy_note,
    accuracy_table,
    choose_classifier,
    formula,
    long_reading,
    negation_check,
    read_review,
    review_box,
)

setup_page("sentiment")
st.title("Reading a review word by word")
st.markdown(
    "A sentiment classifier is the recurrence you already know with a different head: it reads a review one word "
    "at a time, folds each word into its hidden state $h_t$, and after the **last** word turns $h_T$ into the "
    "probability that the review is positive. Nothing stops us from asking that question after *every* word: the "
    "answer is what the model would say if the review stopped there. So you can watch the opinion form, see the "
    "word that flips it, and see what a plain RNN forgets on a long review. The data: UCI *Sentiment Labelled "
    "Sentences*, 1000 sentences from each of IMDb, Amazon and Yelp. The default models learned from the 800 training "
    "sentences of all three sources together (2400); each source keeps 200 held-out sentences they never saw."
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
    trained_on = f" (trained on {SOURCE_LABELS.get(clf.source, clf.source)})" if clf.own else ""
    chart(word_by_word(reading, f"{plotly_text(clf.label)}{trained_on}: P(positive) "
                                "after each word, the hidden state under it"), key="sent_words")
    t = biggest_swing(reading)
    unknown = [w for w, u in zip(reading.words, reading.unknown) if u]
    swing = ("" if t is None else f" The biggest swing from one word to the next came at word {t + 1}, "
             f"“{plain(reading.words[t])}” ({reading.p_positive[t - 1]:.2f} → {reading.p_positive[t]:.2f}); look at the "
             "heatmap column under it: many units change colour at once.")
    st.markdown(f"Final verdict: **{'positive' if reading.p_positive[-1] >= 0.5 else 'negative'}** "
                f"(P = {reading.p_positive[-1]:.2f}).{swing}")
    st.caption("Words are counted from 1. The first word is never a swing: before it the model has read nothing, "
               "so its jump says only how that word starts a review.")
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
long = long_reading()
chart(opening_memory(long.gaps, long.words, long.n_opening, "How much of the opening is left in each default "
                     "cell's state, word after word"), key="sent_memory")
shown = cell if cell in long.loved else "gru"
chart(two_openings(long.loved[shown], long.hated[shown], shown, f"Default {CELL_LABELS[shown]}: P(positive) for "
                   "both openings<br><sup>where the lines meet, the opening is forgotten</sup>"), key="sent_long")
st.caption("Top, log scale: a line that falls to the bottom (10⁻⁴ and below are drawn at 10⁻⁴) has forgotten the "
           "opening: the two states are the same. Bottom: "
           "the filler words carry small opinions of their own for these small models, so P wanders; pick another "
           "model above to see its two lines.")
show_code(state_gap, opening_memory, key="sent_long")

st.subheader("Is it better than guessing? Held-out sentences")
shown_cell = cell if cell in SENT_CELLS else "gru"
table = accuracy_table(shown_cell)
left, right = st.columns(2)
with left:
    chart(accuracy_by_source(table), key="sent_accuracy")
    st.caption(f"The default {CELL_LABELS[shown_cell]}, trained once on all three sources, scored on each "
               "source's own 200 held-out sentences (20 %, never seen in training). " + accuracy_note(table, shown_cell))
with right:
    score = held_out(clf.model, clf.data, clf.source)
    chart(confusion(score, SOURCE_LABELS.get(clf.source, clf.source)), key="sent_confusion")
    st.caption(f"{plain(clf.label)}: {score.accuracy:.0%} right vs {score.majority:.0%} by always guessing the commoner "
               "label. Off the diagonal: reviews it got wrong.")
show_code(held_out, accuracy_table, key="sent_heldout")

st.subheader("Does it read “not”?")
st.dataframe(negation_check(clf), hide_index=True)
st.caption("Each pair differs only by a negation; P(positive) after the last word. A model that reads “not” puts "
           "every left review above its right one. Whether it learned that “not” flips the next word, or only that "
           "“not” is a negative word, is another question: type “not bad at all” in the box above.")
show_code(negation_table, key="sent_negation")

class_link_form("Sentiment", {"model": "model", "source": "review source", "review": "review box"},
                {"model": None if clf.own else clf.label, "source": None if clf.own else clf.source, "review": text},
                key="sent_link", note="Your own model cannot travel in a link: it opens the default GRU instead."
                if clf.own else "")
try_this(
    "Read “the food was good”, then “the food was not good”: where does P drop, at “not” or at “good”? Then "
    "try “not bad at all”: the training sentences hold only a handful of “not good” or “not bad”, so the model "
    "mostly learned that “not” is a negative word, not that it flips the next one.",
    "Replace one word of the example with an invented one (“zzz”): it turns italic with a ?, and P still moves.",
    "In the long review, follow the red RNN line on the left: it falls to the floor while GRU or LSTM stay higher. "
    "Switch the source and see whether that holds for other models.",
    "Switch the source to Amazon (phones): the example review and the held-out sentences change, the model stays. "
    "Which source does it read best, and why might phone reviews be easier than film reviews?",
    "Train your own sentiment model in the training lab (task: sentiment) and pick it here under 'mine:'.",
)
