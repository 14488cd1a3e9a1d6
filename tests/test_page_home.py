"""The home page: it runs alone, links the lessons in the class order, shows an RNN learning live, and reads in
English or Chinese."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from conftest import ENGLISH_SENTENCE, ROOT, app_test, live_charts, residue_of_converted_modules

from rnnviz import lessons
from rnnviz.catalog import t
from rnnviz.ui import home, lab


def figures(at) -> dict[str, dict]:
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def decode(arr) -> np.ndarray:
    if isinstance(arr, dict):
        shape = [int(n) for n in str(arr.get("shape", "-1")).split(",")]  # plotly 7 writes "32, 210"
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).reshape(shape)
    return np.asarray(arr, dtype=float)


def run_home(lang: str | None = None):
    at = app_test("app.py")
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def home_zh():
    return run_home("zh")


def test_home_runs_and_shows_the_inside_of_an_rnn():
    at = run_home()
    assert not at.error
    figs = figures(at)
    assert "home_states" in figs
    data, _ = live_charts(at)["home_fit"]  # redrawn while the preview trains: a live chart
    assert set(data["trace"]) == {0, 1} and data["y"].notna().sum() > 100
    heat = figs["home_states"]["data"][0]
    assert heat["type"] == "heatmap" and heat["zmid"] == 0  # signed states: diverging, centred on 0
    z = decode(heat["z"])
    assert z.size and np.isfinite(z).all() and np.abs(z).max() <= 1.0  # GRU states live in (-1, 1)


def path_links(at) -> dict[str, tuple[str, str]]:
    """Returns the main area's page links: label -> (URL path, query string)."""
    return {el.proto.label: (el.proto.page, el.proto.query_string) for el in at.main.get("page_link")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_class_path_lists_every_lesson_in_order_then_the_teacher_tools(lang):
    at = run_home(lang)
    text = [m.value for m in at.main.markdown]
    links = path_links(at)
    lines = [t(page.line_key, lang) for page in lessons.LESSONS]
    assert [line for line in text if line in lines] == lines  # every lesson's line, in the class's order
    for number, page in enumerate(lessons.LESSONS, start=1):
        label = f"{number}. {t(page.title_key, lang)}"
        assert links[label] == (page.url_path, f"lang={lang}")  # a real page link that keeps the language
    for page in lessons.TEACHER_TOOLS:
        assert t(page.line_key, lang) in text and links[t(page.title_key, lang)] == (page.url_path, f"lang={lang}")
    assert links[t("home.to_lab", lang)] == (lessons.BY_SLUG["training_lab"].url_path, f"lang={lang}")


def test_the_class_path_reads_in_chinese(home_zh):
    labels = list(path_links(home_zh))
    assert "1. 序列预测" in labels and "课堂看板" in labels
    assert not any(label.isascii() for label in labels)  # no English title left on the path
    assert home_zh.title[0].value == t("home.title", "zh") != t("home.title", "en")
    assert any("d2l-zh 8.1" in m.value for m in home_zh.main.markdown)  # the Chinese edition's section numbers


def test_home_in_chinese_has_almost_no_english_left(home_zh):
    assert not home_zh.error
    left, _, total = residue_of_converted_modules(home_zh)
    assert total > 20 and len(left) <= 0.03 * total, left
    progress = home_zh.get("progress")[0].proto.text
    assert progress.startswith(t("home.preview.progress", "zh").split("{")[0])  # the preview's words too
    assert t("home.start_title", "zh") in [s.value for s in home_zh.subheader]
    titles = [fig["layout"]["title"]["text"] for fig in figures(home_zh).values()]
    titles += ["".join(spec["title"]["text"]) for _, spec in live_charts(home_zh).values()]
    assert len(titles) == 2  # the preview's fit (a live chart) and hidden states
    if "rnnviz.catalog" in (ROOT / "rnnviz/plots/training.py").read_text(encoding="utf-8"):  # its charts' words
        assert not any(ENGLISH_SENTENCE.search(title) for title in titles), titles  # come from the catalogues


def test_preview_trains_on_ticks_and_replay_starts_over():
    at = run_home()
    preview = at.session_state[home.PREVIEW_KEY]
    assert preview.shared is not None  # the preview is a shared preset: a class costs one tiny run
    before = preview.steps_done
    lab.tick(preview, seconds=0.3)
    assert preview.steps_done > before
    at.run()
    assert f"step {preview.steps_done} /" in at.get("progress")[0].proto.text
    at.button(key="home_replay").click().run()
    assert at.session_state[home.PREVIEW_KEY] is not preview
