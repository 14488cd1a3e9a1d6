"""The Forecasting page: runs alone, draws the lesson's charts, trains on Train, keeps good data after a bad upload."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from conftest import app_test, residue_of_converted_modules

from rnnviz.catalog import t

PAGE = "pages/1_Forecasting.py"
CHARTS = {"fc_series", "fc_fed_back", "fc_k_ahead", "fc_horizon", "fc_from_here", "fc_probe"}
GOOD_CSV = ("date,value\n" + "".join(f"2020-{i // 28 + 1:02d}-{i % 28 + 1:02d},{np.sin(i / 5) + 2:.4f}\n"
                                     for i in range(80))).encode()


def decode(values) -> np.ndarray:
    """Returns a plotly-7 JSON array (plain list or base64 dict) as a float numpy array."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)



def figures(at) -> dict[str, dict]:
    """Returns the page's figures as JSON specs, by chart key."""
    return {el.proto.id.split("-")[-1] if not el.key else el.key: json.loads(el.proto.spec)
            for el in at.get("plotly_chart")}


def run_page(lang: str | None = None):
    """Returns the page run once with small recurrent models (the MLP keeps d2l's budget)."""
    at = app_test(PAGE)
    if lang:
        at.query_params["lang"] = lang
    at.session_state["fc_steps"] = 30
    at.session_state["fc_hidden"] = 8
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def page():
    return run_page()


def test_page_draws_every_lesson_chart(page):
    figs = figures(page)
    assert CHARTS <= set(figs), set(figs)
    assert not page.error
    names = [t["name"] for t in figs["fc_fed_back"]["data"]]
    assert names[0] == "truth" and any(n.startswith("1-step") for n in names) and any("fed back" in n for n in names)
    assert len(figs["fc_from_here"]["data"]) == 1 + 2  # truth + the MLP's and the GRU's rollouts
    shapes = figs["fc_from_here"]["layout"]["shapes"]
    assert any(s.get("type") == "rect" for s in shapes)  # the fed-back region is shaded


def test_horizon_chart_starts_at_one_step_and_grows(page):
    horizon = figures(page)["fc_horizon"]
    mlp = next(t for t in horizon["data"] if t["name"].startswith("AR MLP"))
    k, mse = decode(mlp["x"]), decode(mlp["y"])
    assert k[0] == 1 and k[-1] == 64
    assert mse[-1] > 3 * mse[0]  # fed-back steps compound the error (d2l's point), on the page's own numbers
    floor = [s for s in horizon["layout"]["shapes"] if s.get("y0") == s.get("y1") and s.get("y0")]
    assert floor and floor[0]["y0"] == pytest.approx(0.04)  # the noise variance line
    table = page.dataframe[1].value
    assert list(table["model"]) == ["AR MLP (d2l)", "GRU (H=8)"] and (table["k=64 ÷ k=1"] > 1).all()


def test_train_button_adds_a_model_and_probe_needs_a_recurrent_one():
    at = run_page()
    at.multiselect(key="fc_models").set_value(["mlp", "lstm"])
    at.button(key="fc_train").click().run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["model"]) == ["AR MLP (d2l)", "LSTM (H=8)"]
    at.multiselect(key="fc_models").set_value(["mlp"])
    at.button(key="fc_train").click().run()
    assert not at.exception and "fc_probe" not in figures(at)
    assert any("Add a GRU" in i.value for i in at.info)


def test_a_short_series_limits_the_horizon():
    at = run_page()
    at.selectbox(key="fc_source").set_value("airline").run()
    assert not at.exception, at.exception
    assert at.slider(key="fc_k").max == 29  # half of the 58-point test part
    mlp = next(t for t in figures(at)["fc_horizon"]["data"] if t["name"].startswith("AR MLP"))
    assert decode(mlp["x"])[-1] == 29


def series_title(at) -> str:
    return figures(at)["fc_series"]["layout"]["title"]["text"].replace("<br>", " ")  # a long title wraps


@pytest.mark.parametrize("bad, words", [
    (b"name,colour\n" + b"a,red\n" * 30, "no numeric column"),
    (("date,value\n" + "2020-01-01,1\n" * 25 + "2020-02-01,oops\n").encode(), "text where numbers"),
    (("date,value\n" + "2020-01-01,1\n" * 10 + "2020-02-01,\n" + "2020-01-01,1\n" * 20).encode(), "missing"),
    (b"date,value\n2020-01-01,3\n", "one row"),
    (bytes(range(128, 160)) * 64, "encoding"),
], ids=["no numeric", "text", "missing", "one row", "encoding"])
def test_bad_upload_shows_its_message_and_keeps_the_previous_series(bad, words):
    at = run_page()
    at.selectbox(key="fc_source").set_value("upload").run()
    assert "sin(0.01 t)" in series_title(at)  # nothing uploaded yet: the sine stays
    at.file_uploader(key="fc_file").set_value(("good.csv", GOOD_CSV, "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Uploaded: value" in series_title(at) and "80 points" in series_title(at)
    at.file_uploader(key="fc_file").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception, at.exception
    assert any(words in e.value for e in at.error), [e.value for e in at.error]
    assert "Uploaded: value" in series_title(at) and "80 points" in series_title(at)  # the good series stays
    assert any("good.csv" in c.value for c in at.caption)


@pytest.mark.parametrize("series", ["sine", "airline"])
def test_fed_back_title_and_why_text_match_what_the_rollout_did_on_this_series(series):
    from rnnviz.rollout import classify_rollout

    at = app_test(PAGE)
    at.session_state["fc_steps"] = 30
    at.session_state["fc_hidden"] = 8
    at.session_state["fc_source"] = series
    at.run()
    assert not at.exception, at.exception
    fig = figures(at)["fc_fed_back"]
    truth = decode(fig["data"][0]["y"])
    fed = next(t for t in fig["data"] if "fed back" in t["name"])
    start = int(decode(fed["x"])[0])
    did = classify_rollout(decode(fed["y"]), truth[:start], truth[start:])
    title = fig["layout"]["title"]["text"].replace("<br>", " ")  # a long title wraps
    assert title.endswith(t(f"forecasting.rollout.phrase.{did.kind}", "en"))  # what the red line on the chart does
    why = next(m.value for m in at.markdown if m.value.startswith("**What the ")).replace("\\", "")  # as read
    assert t(f"forecasting.rollout.explain.{did.kind}", "en").split("{")[0] in why  # that, not the sine's story
    if series == "airline":
        assert "σ = 0.2" not in why and t("forecasting.series.airline", "en") in why and "passengers" in why
    else:
        assert "the sine" in why and "cannot tell whether it is rising or falling" in why


@pytest.fixture(scope="module")
def page_zh():
    return run_page("zh")


def test_page_reads_in_chinese(page_zh):
    assert not page_zh.error, [e.value for e in page_zh.error]
    left, _, total = residue_of_converted_modules(page_zh)
    assert total > 50 and len(left) <= 0.03 * total, left
    assert page_zh.title[0].value == t("forecasting.title", "zh")
    figs = figures(page_zh)
    assert CHARTS <= set(figs)
    horizon = figs["fc_horizon"]["layout"]
    assert horizon["title"]["text"].replace("<br>", "").startswith("MSE 随预测步数的变化")  # a translated chart title
    assert horizon["yaxis"]["title"]["text"] == t("forecasting.plots.metric_units.MSE", "zh")
    names = [trace["name"] for trace in figs["fc_horizon"]["data"]]
    assert names == [t("forecasting.models.mlp", "zh"), "GRU（H=8）"]  # legends in Chinese, colours by model
    assert figs["fc_horizon"]["data"][0]["line"]["color"] != figs["fc_horizon"]["data"][1]["line"]["color"]
    assert t("forecasting.lesson.compounds", "zh") in [m.value for m in page_zh.markdown]
    why = next(m.value for m in page_zh.markdown if "做了什么" in m.value)
    assert "正弦序列" in why and "What the" not in why
    heat = figs["fc_state_heat"]["layout"]
    assert heat["title"]["text"].replace("<br>", "") == t("forecasting.hidden.heat_title", "zh", label="GRU（H=8）")
    assert heat["yaxis"]["title"]["text"] == "隐藏单元"
    assert any(t("predict.forecasting.horizon.question", "zh") in m.value for m in page_zh.markdown)


def test_a_link_made_in_chinese_opens_the_same_settings_in_english(page_zh):
    focus = page_zh.selectbox(key="fc_focus")
    assert focus.options == [t("forecasting.models.mlp", "zh"), "GRU（H=8）"]  # the words are Chinese...
    focus.set_value("GRU (H=8)").run()  # ...the values are not
    assert not page_zh.exception
    link = next(c.value for c in page_zh.get("code") if "Forecasting?" in c.value)
    assert "focus=GRU+%28H%3D8%29" in link and "lang=zh" in link
    at = app_test(PAGE)
    at.query_params.update({"lang": "en", "focus": "GRU (H=8)", "hidden": "8", "steps": "30"})
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.selectbox(key="fc_focus").value == "GRU (H=8)"
    assert figures(at)["fc_k_ahead"]["layout"]["title"]["text"].replace("<br>", " ").startswith(
        "k-step-ahead forecasts (GRU (H=8))")


def test_a_bad_upload_is_explained_in_chinese_and_the_good_series_stays():
    at = run_page("zh")
    at.selectbox(key="fc_source").set_value("upload").run()
    assert any(t("forecasting.data.no_upload", "zh") == i.value for i in at.info)
    at.file_uploader(key="fc_file").set_value(("good.csv", GOOD_CSV, "text/csv")).run()
    assert series_title(at).startswith(t("forecasting.data.uploaded", "zh", unit="value"))
    at.file_uploader(key="fc_file").set_value(("bad.csv", b"name,colour\n" + b"a,red\n" * 30, "text/csv")).run()
    assert not at.exception, at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # as read (the message is shown escaped, as text)
    assert any("没有数值列" in e and "name, colour" in e for e in shown), shown
    assert series_title(at).startswith(t("forecasting.data.uploaded", "zh", unit="value"))  # the good series stays
    assert any("good.csv" in c.value and "仍在显示" in c.value for c in at.caption)


def marked(at) -> dict[str, int | None]:
    """Returns the step each linked chart of the hidden-state view marks."""
    from rnnviz.ui.selection import marked_step

    figs = figures(at)
    return {key: marked_step(figs[key]) for key in ("fc_state_fit", "fc_state_heat")}


def unit_marked(fig: dict) -> list:
    return [s["y0"] for s in fig["layout"].get("shapes", []) if s.get("name") == "selection" and s["y0"] == s["y1"]
            and s.get("xref", "").endswith("domain")]


def param(at, name: str) -> str:
    return str(at.query_params[name]).strip("[]'")


def test_a_step_clicked_on_the_series_or_the_heatmap_is_marked_in_both_and_kept_in_the_url():
    from conftest import select_point

    at = run_page()
    assert marked(at) == {"fc_state_fit": 0, "fc_state_heat": 0}
    select_point(at, "fc_state_fit", {"x": 150, "y": 0.3, "curve_number": 0, "point_number": 150, "point_index": 150})
    assert not at.exception, at.exception
    assert marked(at) == {"fc_state_fit": 150, "fc_state_heat": 150} and param(at, "at") == "150"
    select_point(at, "fc_state_heat", {"x": 40, "y": 3, "z": 0.1, "curve_number": 0, "point_index": [3, 40]})
    assert marked(at) == {"fc_state_fit": 40, "fc_state_heat": 40}
    heat = figures(at)["fc_state_heat"]
    assert unit_marked(heat) == [3] and param(at, "unit") == "3"
    z = heat["data"][0]["z"]
    h = decode(z).reshape([int(n) for n in str(z["shape"]).split(",")]) if isinstance(z, dict) else decode(z)
    assert h.ndim == 2 and h.shape[0] == 8  # units down, time across
    assert any(f"unit 3 holds h = {h[3, 40]:.3f}" in c.value for c in at.caption)


def test_a_link_with_a_step_and_a_unit_reopens_them():
    at = app_test(PAGE)
    at.query_params.update({"at": "25", "unit": "2", "hidden": "8", "steps": "30"})
    at.run()
    assert not at.exception, at.exception
    assert marked(at) == {"fc_state_fit": 25, "fc_state_heat": 25}
    assert unit_marked(figures(at)["fc_state_heat"]) == [2]


@pytest.mark.parametrize("key", ["predict.forecasting.drift", "predict.forecasting.horizon"])
def test_each_prediction_is_answered_by_the_models_on_the_page_after_a_guess(key):
    from rnnviz.catalog import names
    from rnnviz.predictions import forecast_drift, one_step_or_k_step

    at = run_page()
    figs = figures(at)
    if key.endswith("drift"):  # read the answer off the fed-back chart: the truth and the red rollout
        truth = decode(figs["fc_fed_back"]["data"][0]["y"])
        fed = figs["fc_fed_back"]["data"][2]
        start = int(decode(fed["x"])[0])
        rollout = decode(fed["y"])
        answer = forecast_drift(truth[start:start + len(rollout)], rollout)
    else:  # off the error chart: the focused model's (the first) MSE at k = 1 and at the longest k
        mse = decode(figs["fc_horizon"]["data"][0]["y"])
        answer = one_step_or_k_step(mse[0], mse[-1], int(decode(figs["fc_horizon"]["data"][0]["x"])[-1]))
    assert answer.code in names(f"{key}.options")
    box = at.radio(key=f"{key}.choice")
    right = t(f"{key}.options.{answer.code}")
    assert box.value is None and not any(right in m.value for m in [*at.success, *at.info])
    box.set_value(next(c for c in names(f"{key}.options") if c != answer.code)).run()
    at.button(key=f"{key}.reveal").click().run()
    assert not at.exception
    assert any(f"The model says: {right}." in i.value for i in at.info)
