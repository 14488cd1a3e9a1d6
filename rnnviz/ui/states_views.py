"""Sections of the Hidden states lesson drawn by the page in a line each: saturation, and its predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import introspect, predictions
from rnnviz.catalog import t
from rnnviz.plots import states as plots
from rnnviz.ui.affordances import chart, show_code
from rnnviz.ui.predict import predict

PAGE = "hidden_states"  # the lesson's name for its selection (rnnviz.ui.selection)


def follows_prediction(ranking: pd.DataFrame) -> None:
    """Asks whether the best unit for the pattern follows it closely, answered from the ranking."""
    best = ranking.iloc[int(np.argmax(np.abs(ranking["r"].to_numpy())))]
    predict("predict.hidden_states.follows", predictions.follows_closely(float(best["r"]), int(best["unit"])))


def saturation(values: np.ndarray, prior: np.ndarray, name: str, when: str) -> None:
    """Draws the saturation section: the prediction above the histograms and the shares before and after."""
    st.subheader(t("hidden_states.saturation.header", when=when))
    now, then = introspect.saturation(values), introspect.saturation(prior)
    predict("predict.hidden_states.saturated", predictions.more_saturated(now["near 1"], then["near 1"]))
    a, b = st.columns([2, 1])
    with a:
        chart(plots.saturation_histogram(values, prior, name), key="hs_saturation")
    with b:
        for share, shown, colour in (("near 1", "high", "normal"), ("near 0", "low", "off")):
            st.metric(t(f"hidden_states.saturation.{shown}", name=name, when=when), f"{now[share]:.0%}",
                      t("hidden_states.saturation.delta", points=100 * (now[share] - then[share])), delta_color=colour)
        st.markdown(t("hidden_states.saturation.note"))
    show_code(introspect.saturation, plots.saturation_histogram, key="hs_saturation")
