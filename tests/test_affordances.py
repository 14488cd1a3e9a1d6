"""Teaching affordances on the inspection lessons: teacher links that preset and hide controls, the guide,
'show the code', and trace exports that read back with the values the page shows."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test
from test_page_hidden_states import decode, figures

from rnnviz import export
from rnnviz.ui import affordances, cache

HIDDEN = "pages/4_Hidden_states.py"
GATES = "pages/5_Gates.py"
FORECASTING = "pages/1_Forecasting.py"


@pytest.fixture(autouse=True)
def tiny_defaults(monkeypatch):
    """Shrinks the default LMs so the pages train them in well under a second."""
    base = cache.DEFAULT_RUNS["lm"]
    tiny = replace(base, model=replace(base.model, hidden_size=12), train=replace(base.train, steps=3))
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", tiny)


def run(page: str, **params: str):
    """Returns the page run once with these query parameters (as a lesson link would open it)."""
    at = app_test(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def params_of(link: str) -> dict[str, str]:
    """Returns the query parameters of a lesson link."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))


def link_shown(at) -> str:
    """Returns the class link the page's 'Link for a class' expander shows."""
    return next(c.value for c in at.code if "?" in c.value and c.value.startswith(("./", "http")))


def guide_of(at):
    """Returns the page's 'Guided lesson' expander."""
    return next(e for e in at.get("expander") if e.label.startswith("Guided lesson"))


def keys(elements) -> set[str]:
    return {el.key for el in elements}


def test_query_value_converts_and_rejects():
    def script():
        import streamlit as st

        from rnnviz.ui.affordances import lesson_link, query_value

        st.write(repr((query_value("n", 5), query_value("x", 0.5), query_value("bad", 3),
                       query_value("pick", "a", ["a", "b"]), query_value("missing", "d"),
                       lesson_link("Gates", {"n": "7"}, ["model", "input"]))))

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script, default_timeout=30)
    at.query_params.update({"n": "7", "x": "0.25", "bad": "seven", "pick": "zzz"})
    at.run()
    assert not at.exception
    assert at.markdown[0].value == repr((7, 0.25, 3, "a", "d", "./Gates?n=7&hide=model%2Cinput"))


def test_a_lesson_link_hides_the_named_controls_and_opens_the_guide():
    plain = run(HIDDEN)
    assert {"hs_model", "hs_pattern"} <= keys(plain.selectbox) and "hs_source" in keys(plain.radio)
    assert not guide_of(plain).proto.expanded  # the guide is closed unless the link opens it
    at = run(HIDDEN, hide="model,input,pattern", guide="1")
    assert "hs_model" not in keys(at.selectbox) and "hs_pattern" not in keys(at.selectbox)
    assert "hs_source" not in keys(at.radio) and "hs_length" not in keys(at.slider)
    assert {"hs_heatmap", "hs_ranking", "hs_unit_text"} <= set(figures(at))  # the lesson itself is all there
    assert guide_of(at).proto.expanded
    assert any(m.value.startswith("**Step 1 of") for m in at.markdown)
    at.button(key="guide_step_hidden_states_next").click().run()
    assert any(m.value.startswith("**Step 2 of") for m in at.markdown)


def test_the_class_link_reproduces_what_the_teacher_sees():
    teacher = run(HIDDEN)
    teacher.selectbox(key="hs_model").set_value("default LSTM").run()
    teacher.radio(key="hs_source").set_value("Type your own text").run()
    teacher.text_area(key="hs_text").input("the quick brown fox jumps over the lazy dog").run()
    teacher.radio(key="hs_quantity").set_value("c").run()
    teacher.selectbox(key="hs_pattern").set_value("vowel").run()
    teacher.checkbox(key="hs_link_hide_model").check().run()
    teacher.checkbox(key="hs_link_guide").check().run()
    assert not teacher.exception, teacher.exception
    link = link_shown(teacher)
    params = params_of(link)
    assert link.startswith("./Hidden_states?") and params["hide"] == "model" and params["guide"] == "1"
    assert params["model"] == "default LSTM" and params["quantity"] == "c"
    student = run(HIDDEN, **params)
    assert "hs_model" not in keys(student.selectbox)
    want, got = figures(teacher), figures(student)
    for key in ("hs_heatmap", "hs_ranking", "hs_unit_text"):
        assert got[key]["layout"]["title"]["text"] == want[key]["layout"]["title"]["text"]
        np.testing.assert_allclose(decode(got[key]["data"][0].get("z", got[key]["data"][0].get("y"))),
                                   decode(want[key]["data"][0].get("z", want[key]["data"][0].get("y"))))
    assert got["hs_heatmap"]["data"][0]["name"] == "c"


def test_gates_link_presets_weights_and_units():
    at = run(GATES, weights="before training", lo="2", hi="6", hide="weights,units")
    assert "gt_when" not in keys(at.radio) and "gt_units" not in keys(at.slider)
    fig = figures(at)["gt_heatmaps"]
    assert "before training" in fig["layout"]["title"]["text"]
    assert decode(fig["data"][0]["z"]).shape[0] == 4  # units 2..5
    params = params_of(link_shown(at))
    assert (params["weights"], params["lo"], params["hi"]) == ("before training", "2", "6")


@pytest.mark.parametrize("page, toggle, source", [
    (HIDDEN, "code_hs_heatmap", "def trace_model"),
    (HIDDEN, "code_hs_trajectory", "def pca_2d"),
    (GATES, "code_gt_heatmaps", "def gru_step"),
])
def test_show_code_shows_the_source_that_ran(page, toggle, source):
    at = run(page)
    assert not any(source in c.value for c in at.code)
    at.toggle(key=toggle).set_value(True).run()
    assert not at.exception
    assert any(source in c.value for c in at.code)
    assert any("rnnviz." in c.value for c in at.caption)  # each function is named by its module


@pytest.mark.parametrize("page, chart, quantity, key", [(HIDDEN, "hs_heatmap", "h", "hs_export"),
                                                        (GATES, "gt_heatmaps", "z", "gt_export")])
def test_export_reads_back_with_the_values_on_the_page(monkeypatch, page, chart, quantity, key):
    exported = {}
    original = affordances.export_trace

    def recording(trace, tokens, key):
        exported[key] = (trace, list(tokens))
        original(trace, tokens, key)

    monkeypatch.setattr(affordances, "export_trace", recording)
    at = run(page)
    assert {f"{key}_csv", f"{key}_parquet", f"{key}_lstmvis"} <= keys(at.get("download_button"))
    trace, tokens = exported[key]
    fig = figures(at)[chart]
    shown = next(t for t in fig["data"] if t["name"] == quantity)
    z = decode(shown["z"])  # (units, T)
    for fmt, data in (("csv", export.trace_csv(trace, tokens)), ("parquet", export.trace_parquet(trace, tokens))):
        table = export.read_trace_table(data, fmt)
        rows = table[(table["layer"] == 0) & (table["quantity"] == quantity)]
        back = rows.pivot(index="unit", columns="t", values="value").to_numpy()
        np.testing.assert_allclose(back[: z.shape[0]], z, atol=1e-6)
        assert "".join(rows.drop_duplicates("t")["token"]) == "".join(tokens)
    states = export.read_lstmvis_states(export.lstmvis_zip(trace, tokens))
    if quantity == "h":
        np.testing.assert_allclose(states["output1"].T, z, atol=1e-6)


def test_forecasting_link_hides_the_form_and_presets_training():
    at = run(FORECASTING, hide="series,forecasters", guide="1", models="mlp,gru", hidden="8", steps="30")
    assert "fc_source" not in keys(at.selectbox) and not at.get("multiselect")
    assert "fc_split" in keys(at.slider)  # only what the link names is hidden
    assert list(at.dataframe[0].value["model"]) == ["AR MLP (d2l)", "GRU (H=8)"]
    assert guide_of(at).proto.expanded
    params = params_of(link_shown(at))
    assert (params["models"], params["hidden"], params["steps"], params["hide"]) == ("mlp,gru", "8", "30",
                                                                                      "series,forecasters")
    at.toggle(key="code_fc_fed_back").set_value(True).run()
    assert any("def k_step" in c.value for c in at.code)


def test_the_shared_affordances_read_in_chinese():
    from rnnviz.catalog import items, t

    at = run(GATES, lang="zh", guide="1")
    steps = items("gates.guide", "zh")
    labels = [e.label for e in at.get("expander")]
    assert t("common.guide.title", "zh", count=len(steps)) in labels and t("common.class_link.title", "zh") in labels
    assert not any(label.startswith(("Guided lesson", "Link for a class")) for label in labels), labels
    step_one = t("common.guide.step", "zh", number=1, count=len(steps), text=steps[0])
    assert any(m.value == step_one for m in at.markdown)
    assert {b.label for b in at.button if b.key and b.key.startswith("guide_step_")} == \
        {t("common.guide.back", "zh"), t("common.guide.next", "zh")}
    assert params_of(link_shown(at)).get("lang") == "zh"  # the class opens the lesson in the teacher's language
