"""The hidden-state and gate lessons also open a forecaster on a window of a series and a classifier on a review."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import app_test
from test_page_hidden_states import decode, figures

from rnnviz.ui import cache
from rnnviz.ui import sentiment as sentiment_ui

HS, GT = "pages/4_Hidden_states.py", "pages/5_Gates.py"


@pytest.fixture(autouse=True)
def _tiny_defaults(tiny_defaults):
    """Every test here runs with the shrunk defaults."""


def open_reads(page: str, key: str, kind: str, **params):
    at = app_test(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    at.radio(key=f"{key}_reads").set_value(kind).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def heat_columns(fig: dict) -> int:
    return decode(fig["data"][0]["z"]).reshape(-1, len(decode(fig["data"][0]["x"]))).shape[1]


def test_hidden_states_of_a_forecaster_on_a_series_window():
    at = open_reads(HS, "hs", "series")
    at.number_input(key="hs_wstart").set_value(650).run()
    at.slider(key="hs_wlen").set_value(40).run()
    assert not at.exception
    figs = figures(at)
    assert heat_columns(figs["hs_heatmap"]) == 40  # one column per value read
    assert "columns are values" in figs["hs_heatmap"]["layout"]["title"]["text"].replace("<br>", " ")
    assert at.selectbox(key="hs_pattern_series").options == ["value", "change", "rising", "above the window's mean"]
    assert any("held-out part" in c.value for c in at.caption)  # 650 is past the sine's 600 training values
    assert any("D = 1" in m.value for m in at.markdown)  # the shape note speaks of one value per step


def test_hidden_states_of_a_classifier_on_a_review():
    at = open_reads(HS, "hs", "review")
    at.text_area(key="hs_review").set_value("the food was great but the service was slow").run()
    assert not at.exception
    figs = figures(at)
    ticks = figs["hs_heatmap"]["layout"]["xaxis"]["ticktext"]
    assert ticks == ["the", "food", "was", "great", "but", "the", "service", "was", "slow"]
    at.selectbox(key="hs_pattern_review").set_value("after 'but'").run()
    assert not at.exception and "after 'but'" in figures(at)["hs_ranking"]["layout"]["title"]["text"]
    at.text_area(key="hs_review").set_value("  ").run()  # bad input: a message, not a traceback
    assert not at.exception and any("at least 2 words" in e.value for e in at.error)


def test_a_class_link_opens_a_held_out_review():
    at = app_test(HS)
    at.query_params.update({"reads": "review", "heldout": "3"})
    at.run()
    assert not at.exception, at.exception
    assert at.radio(key="hs_reads").value == "review" and at.number_input(key="hs_heldout").value == 3
    data = cache.sentiment(sentiment_ui.default_cfg("gru", "imdb").sentiment)
    assert data.test_sentences[3] == "You won't forget this movie!"
    assert figures(at)["hs_heatmap"]["layout"]["xaxis"]["ticktext"] == ["you", "won't", "forget", "this", "movie"]
    assert any("Labelled **positive**" in c.value for c in at.caption)


@pytest.mark.parametrize("kind", ["series", "review"])
def test_gates_of_other_tasks_stay_in_0_1_and_compare_three_cells(kind):
    at = open_reads(GT, "gt", kind)
    figs = figures(at)
    for trace in figs["gt_heatmaps"]["data"]:
        if trace.get("name") in {"r", "z"}:
            values = decode(trace["z"])
            assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    assert len(at.dataframe) >= 1 and "gt_compare" in figs
    compared = [a["text"] for a in figs["gt_compare"]["layout"].get("annotations", [])]
    assert len(compared) == 3  # RNN, GRU and LSTM on the same input


def test_a_pattern_absent_from_the_input_is_a_note_and_the_lesson_goes_on():
    at = open_reads(HS, "hs", "review")
    at.text_area(key="hs_review").set_value("a great film and a fine cast").run()
    at.selectbox(key="hs_pattern_review").set_value("negation").run()
    assert not at.exception and not at.error
    assert any("never changes in this input" in i.value for i in at.info)
    figs = figures(at)
    assert "hs_ranking" not in figs and {"hs_trajectory", "hs_saturation"} <= set(figs)


def _two_pickers():
    import streamlit as st

    from rnnviz.ui import store
    from rnnviz.ui.inspection import choose_model

    old, new = store.pick_model("lm", "old_picker"), choose_model("lm", "new_picker")
    st.markdown(f"{old.label} {old.cfg.model.cell} | {new.label} {new.cfg.model.cell}")


@pytest.mark.parametrize("link", [None, "default LSTM"])
def test_one_model_picker_resolves_defaults_and_links_the_same_way_everywhere(link):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_two_pickers, default_timeout=120)
    if link is not None:
        at.query_params["model"] = link
    at.run()
    assert not at.exception, at.exception
    from rnnviz.config import CELL_LABELS, CELLS

    cell = "lstm" if link else CELLS[0]  # without a link (and without an own model): the first cell's default
    shown = f"default {CELL_LABELS[cell]} {cell}"
    assert at.markdown[0].value == f"{shown} | {shown}"  # store.pick_model honours ?model= as choose_model does
    assert at.selectbox(key="old_picker").options == at.selectbox(key="new_picker").options


def test_a_tang_poem_model_is_searched_for_line_units(monkeypatch):
    from dataclasses import replace

    base = cache.DEFAULT_RUNS["lm"]
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", replace(base, text=replace(base.text, corpus="tang_simplified")))
    at = app_test(HS)
    at.query_params["lang"] = "zh"
    at.query_params["text"] = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    at.run()
    assert not at.exception, at.exception
    search = at.selectbox(key="hs_pattern_poem")
    assert search.options == ["句内位置", "，/。之前", "标点"] and search.value == "position in line"
    search.set_value("before ，/。").run()
    assert not at.exception, at.exception
    assert "hs_ranking" in figures(at) and "hs_unit_text" in figures(at)
    assert any("紧挨着 ， 或 。 之前" in c.value for c in at.caption)
