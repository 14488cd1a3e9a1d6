"""Predict, then reveal: the learner commits to an answer before the lesson shows the one the model gives."""

from __future__ import annotations

import streamlit as st

from rnnviz.catalog import names, t
from rnnviz.predictions import Answer


def predict(key: str, answer: Answer) -> bool:
    """Draws a prediction: the question, its options (none chosen), Reveal once one is chosen, then the model's
    answer with one line on why. key is the catalogue entry (predict.<lesson>.<name>); returns whether revealed."""
    codes = names(f"{key}.options")
    state = f"{key}.choice"
    shown = f"{key}.shown"
    if st.session_state.get(shown) not in (None, answer.code):
        st.session_state.pop(shown)  # the model changed its answer: ask again
    with st.container(border=True):
        st.markdown(f"**{t('predict.ui.first')}** {t(f'{key}.question')}")
        choice = st.radio(t("predict.ui.your_guess"), codes, index=None, key=state, horizontal=True,
                          format_func=lambda code: t(f"{key}.options.{code}"), label_visibility="collapsed",
                          disabled=st.session_state.get(shown) is not None)
        if st.session_state.get(shown) is None:
            if st.button(t("predict.ui.reveal"), key=f"{key}.reveal", disabled=choice is None):
                st.session_state[shown] = answer.code
                st.rerun()
            return False
        right = t(f"{key}.options.{answer.code}")
        why = t(f"{key}.why.{answer.code}", **answer.params)
        if choice == answer.code:
            st.success(t("predict.ui.right", answer=right) + " " + why, icon=":material/check_circle:")
        else:
            st.info(t("predict.ui.wrong", answer=right) + " " + why, icon=":material/lightbulb:")
        return True
