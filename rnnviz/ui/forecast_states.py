"""The forecasting lesson's hidden-state view and predictions: a step picked on the series or on the hidden-state
heatmap is marked in both (and in the URL, ?at=&unit=); the answers to the lesson's questions, read off its models."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz import forecast as fc
from rnnviz.catalog import t
from rnnviz.plots import forecast as plots
from rnnviz.predictions import Answer, forecast_drift, one_step_or_k_step
from rnnviz.ui import selection
from rnnviz.ui.forecast import MINE
from rnnviz.ui.forecast_data import Data
from rnnviz.ui.safe_text import plain

PAGE = "forecasting"  # the lesson's selection: a step of the series and a hidden unit


@st.cache_resource(show_spinner=False, max_entries=32)
def _states(digest: str, spec: fc.ForecastSpec, _fitted: fc.Fitted, _values: np.ndarray) -> np.ndarray:
    return fc.hidden_states(_fitted, _values)


def states(data: Data, label: str, fitted: fc.Fitted) -> np.ndarray:
    """Returns (T, H) the model's hidden states over the series (shared models cached per server)."""
    if label.startswith(MINE):
        return fc.hidden_states(fitted, data.series.values)
    return _states(data.digest, fitted.spec, fitted, data.series.values)


def hidden_section(data: Data, label: str, fitted: fc.Fitted, one_step: np.ndarray, name: str) -> None:
    """Draws the series with the model's one-step fit above its hidden state h_t; a click on either selects a step
    (and, on the heatmap, a unit) that both mark."""
    h = states(data, label, fitted)
    pick = selection.current(PAGE, len(h), h.shape[1])
    st.caption(t("forecasting.hidden.caption", step=pick.t, when=plain(str(data.series.labels[pick.t])),
                 value=float(data.series.values[pick.t]), unit=pick.unit, h=float(h[pick.t, pick.unit])))
    fit = plots.fit_figure(data.series, data.n_train, one_step, name)
    selection.linked_chart(selection.mark(fit, pick), "fc_state_fit", PAGE, selection.step_of)
    heat = plots.hidden_heatmap(h, name)
    selection.linked_chart(selection.mark(heat, pick, unit_axis=True), "fc_state_heat", PAGE, selection.step_of)


def drift_answer(data: Data, start: int, rollout: np.ndarray) -> Answer:
    """Returns where this model's long fed-back forecast goes, against the truth over the same steps."""
    return forecast_drift(data.series.values[start:start + len(rollout)], rollout)


def horizon_answer(ev: fc.Evaluation) -> Answer:
    """Returns which MSE is larger at the longest horizon of the error chart: one step ahead or k steps ahead."""
    table = ev.errors.dropna(subset=["MSE"])
    first, last = table.iloc[0], table.iloc[-1]
    return one_step_or_k_step(float(first["MSE"]), float(last["MSE"]), int(last["k"]))
