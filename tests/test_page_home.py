"""The home page: it runs alone, links the lessons in the class order, and shows an RNN learning live."""

from __future__ import annotations

import base64
import json

import numpy as np
from conftest import ROOT, app_test

from rnnviz.ui import home, lab


def figures(at) -> dict[str, dict]:
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def decode(arr) -> np.ndarray:
    if isinstance(arr, dict):
        shape = [int(n) for n in str(arr.get("shape", "-1")).split(",")]  # plotly 7 writes "32, 210"
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).reshape(shape)
    return np.asarray(arr, dtype=float)


def test_home_runs_and_shows_the_inside_of_an_rnn():
    at = app_test("app.py")
    at.run()
    assert not at.exception and not at.error
    figs = figures(at)
    assert {"home_fit", "home_states"} <= set(figs)
    heat = figs["home_states"]["data"][0]
    assert heat["type"] == "heatmap" and heat["zmid"] == 0  # signed states: diverging, centred on 0
    z = decode(heat["z"])
    assert z.size and np.isfinite(z).all() and np.abs(z).max() <= 1.0  # GRU states live in (-1, 1)


def test_lessons_are_listed_in_the_class_order_with_links_to_pages_that_exist():
    numbers = [int(page.split("/")[1].split("_")[0]) for page, *_ in home.LESSONS]
    assert numbers == sorted(set(numbers))  # the page numbers are the class order
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    tools = {page for page, *_ in home.TEACHER_TOOLS}
    assert files <= {page for page, *_ in home.LESSONS} | tools  # every page is on the path or a teacher's tool
    assert not tools & {page for page, *_ in home.LESSONS}  # teacher tools are listed apart, not as lessons
    at = app_test("app.py")
    at.run()
    text = " ".join(m.value for m in at.markdown)
    for page, title, _, line in home.LESSONS:
        assert line in text
        if not (ROOT / page).exists():
            assert f"{title} *(coming soon)*" in text
    links = {el.proto.label: el.proto.page for el in at.get("page_link")}
    for number, (page, title, *_) in enumerate(home.LESSONS, start=1):
        if (ROOT / page).exists():  # a real page link, to the page's URL path (file name without the number)
            assert links[f"{number}. {title}"] == page.split("/")[1].split("_", 1)[1].removesuffix(".py")
    for page, title, _, line in home.TEACHER_TOOLS:
        assert line in text and links[title] == page.split("/")[1].split("_", 1)[1].removesuffix(".py")


def test_preview_trains_on_ticks_and_replay_starts_over():
    at = app_test("app.py")
    at.run()
    preview = at.session_state[home.PREVIEW_KEY]
    assert preview.shared is not None  # the preview is a shared preset: a class costs one tiny run
    before = preview.steps_done
    lab.tick(preview, seconds=0.3)
    assert preview.steps_done > before
    at.run()
    assert f"step {preview.steps_done} /" in at.get("progress")[0].proto.text
    at.button(key="home_replay").click().run()
    assert at.session_state[home.PREVIEW_KEY] is not preview
