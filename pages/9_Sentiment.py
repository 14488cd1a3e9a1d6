"""Lesson: a recurrent classifier reads a review word by word; which word flips the opinion, and who forgets."""

import streamlit as st

from rnnviz.catalog import items, t
from rnnviz.config import CELL_LABELS
from rnnviz.negation import negation_table
from rnnviz.plots.sentiment import (
    accuracy_by_source,
    confusion,
    opening_memory,
    two_openings,
    word_by_word,
    word_swings,
)
from rnnviz.textstats import held_out, read_word_by_word, state_gap
from rnnviz.ui import selection, setup_page, try_this
from rnnviz.ui.affordances import chart, class_link_form, guide, show_code
from rnnviz.ui.safe_text import plain, plotly_text
from rnnviz.ui.sentiment import (
    LONG_OPENINGS,
    PAGE,
    SENT_CELLS,
    SOURCE_LABELS,
    accuracy_note,
    accuracy_table,
    ask_negation,
    ask_swing,
    choose_classifier,
    formula,
    linked,
    long_reading,
    negation_check,
    read_review,
    review_box,
    show_selected,
    show_verdict,
)

setup_page("sentiment")
st.title(t("sentiment.title"))
st.markdown(t("sentiment.intro"))
guide("sentiment")

clf = choose_classifier("sent")
cell = clf.cfg.model.cell
st.latex(formula(cell))
st.latex(r"P(\text{" + t("sentiment.positive_word") + r"}\mid x_1..x_t) = \operatorname{softmax}(W_{out} h_t + b_{out})"
         r"_{\text{pos}} = \sigma\big((w_{pos}-w_{neg})^\top h_t + b_{pos}-b_{neg}\big)")
st.caption(t("sentiment.model_caption", cell=CELL_LABELS.get(cell, cell), embed=clf.cfg.model.embed_dim))

st.subheader(t("sentiment.words.header"))
text = review_box(clf.source, key="sent_review")
reading = read_review(clf, text, key="sent_review")
pick = None
if reading is not None:
    pick = selection.current(PAGE, len(reading.words))  # the selected word: a click on any word chart moves it
    ask_swing(reading)
    trained_on = t("sentiment.words.trained_on", source=SOURCE_LABELS.get(clf.source, clf.source)) if clf.own else ""
    linked(word_by_word(reading, t("sentiment.words.title", model=plotly_text(clf.label), trained_on=trained_on)),
           "sent_words", pick)
    linked(word_swings(reading, t("sentiment.words.swings_title")), "sent_swings", pick)
    show_selected(reading, pick)
    show_verdict(reading)
show_code(read_word_by_word, word_by_word, word_swings, key="sent_words")

st.subheader(t("sentiment.long.header"))
st.markdown(t("sentiment.long.intro", loved=LONG_OPENINGS[0], hated=LONG_OPENINGS[1]))
long = long_reading()
chart(opening_memory(long.gaps, long.words, long.n_opening, t("sentiment.long.memory_title")), key="sent_memory")
shown = cell if cell in long.loved else "gru"
chart(two_openings(long.loved[shown], long.hated[shown], shown,
                   t("sentiment.long.openings_title", cell=CELL_LABELS[shown])), key="sent_long")
st.caption(t("sentiment.long.caption"))
show_code(state_gap, opening_memory, key="sent_long")

st.subheader(t("sentiment.held_out.header"))
shown_cell = cell if cell in SENT_CELLS else "gru"
table = accuracy_table(shown_cell)
left, right = st.columns(2)
with left:
    chart(accuracy_by_source(table), key="sent_accuracy")
    st.caption(t("sentiment.held_out.default_caption", cell=CELL_LABELS[shown_cell],
                 note=accuracy_note(table, shown_cell)))
with right:
    score = held_out(clf.model, clf.data, clf.source)
    chart(confusion(score, SOURCE_LABELS.get(clf.source, clf.source)), key="sent_confusion")
    st.caption(t("sentiment.held_out.score", model=plain(clf.label), accuracy=score.accuracy,
                 majority=score.majority))
show_code(held_out, accuracy_table, key="sent_heldout")

st.subheader(t("sentiment.negation.header"))
ask_negation(clf)
st.dataframe(negation_check(clf), hide_index=True)
st.caption(t("sentiment.negation.caption"))
show_code(negation_table, key="sent_negation")

class_link_form("Sentiment", {name: t(f"sentiment.link.{name}") for name in ("model", "source", "review")},
                {"model": None if clf.own else clf.option, "source": None if clf.own else clf.source, "review": text,
                 selection.STEP_PARAM: pick.t if pick is not None else None},
                key="sent_link", note=t("sentiment.link.own_model") if clf.own else "")
try_this(*items("sentiment.try"))
