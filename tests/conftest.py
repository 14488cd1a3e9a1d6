"""Shared test helpers: the project root and an AppTest factory with a timeout that fits torch."""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
# Runs saved by page and browser tests go to a throwaway run store, never the real data folder.
if "RNNVIZ_DATA_DIR" not in os.environ:
    os.environ["RNNVIZ_DATA_DIR"] = tempfile.mkdtemp(prefix="rnnviz-test-store-")
    atexit.register(shutil.rmtree, os.environ["RNNVIZ_DATA_DIR"], True)


@pytest.fixture(autouse=True)
def _one_thread_and_seed():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


_USES_APP: dict[str, bool] = {}


def pytest_collection_modifyitems(config, items):
    """Marks `app` every test in a module that runs pages under AppTest (or serves the app), so that
    `pytest -m "not browser and not app"` is the quick library selection."""
    for item in items:
        path = str(item.path)
        if path not in _USES_APP:
            source = Path(path).read_text(encoding="utf-8")
            _USES_APP[path] = any(s in source for s in ("app_test(", "AppTest", "start_app(", "rnnviz.serve"))
        if _USES_APP[path]:
            item.add_marker(pytest.mark.app)


def app_test(relative: str, timeout: float = 120.0):
    """Returns an AppTest for a file given relative to the project root (AppTest resolves against the test file)."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / relative), default_timeout=timeout)


def run_async(coro):
    """Returns asyncio.run(coro) run in a thread of its own: the browser suite's Playwright keeps an event loop
    running in the main thread for the whole session, where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def tiny_defaults(monkeypatch):
    """Shrinks the lessons' default LM, forecaster and classifiers so each page trains them in well under a second."""
    from rnnviz.ui import cache
    from rnnviz.ui import sentiment as sentiment_ui

    for task in ("lm", "forecast"):
        base = cache.DEFAULT_RUNS[task]
        monkeypatch.setitem(cache.DEFAULT_RUNS, task, replace(base, model=replace(base.model, hidden_size=8),
                                                              train=replace(base.train, steps=4)))
    monkeypatch.setattr(sentiment_ui, "DEFAULT_HIDDEN", 8)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_STEPS", 4)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_EMBED", 8)


@pytest.fixture
def small_defaults(monkeypatch):
    """Makes the lessons' default models quick to train (at most 20 steps): for suites about messages and survival."""
    from rnnviz.ui import cache

    quick = {task: replace(cfg, train=replace(cfg.train, steps=min(cfg.train.steps, 20)))
             for task, cfg in cache.DEFAULT_RUNS.items()}
    monkeypatch.setattr(cache, "DEFAULT_RUNS", quick)


# ---- what a learner reads, and how much of it is still English -------------------------------------------

ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'’()-]+[A-Za-z]{2,}){3,}")  # 4+ English words
# Not prose to translate: formulas, code spans, links, URLs, and quoted text (“the food was good”: the data a
# Chinese sentence talks about, e.g. a review the model reads).
_NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\[[^\]]*\]\([^)]*\)|https?://\S+|“[^”]*”", re.S)


def figure_texts(at) -> list[str]:
    """Returns every text a learner reads in the page's Plotly charts: titles, axis titles, legend names, annotations."""
    import json

    texts = []
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        layout = spec.get("layout", {})
        title = layout.get("title")
        texts.append(title.get("text", "") if isinstance(title, dict) else title or "")
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
                t = axis.get("title")
                texts.append(t.get("text", "") if isinstance(t, dict) else t or "")
        texts += [a.get("text", "") for a in layout.get("annotations", [])]
        texts += [trace.get("name", "") for trace in spec.get("data", []) if isinstance(trace.get("name"), str)]
    for _, spec in live_charts(at).values():
        title = spec.get("title", {}).get("text", "")
        texts.append(" ".join(title) if isinstance(title, list) else title)  # its lines, as one title
        for layer in vega_layers(spec):
            enc = layer.get("encoding", {})
            texts += [enc[c]["axis"].get("title") or "" for c in ("x", "y") if "axis" in enc.get(c, {})]
            texts += enc.get("color", {}).get("scale", {}).get("domain", [])
            texts += [tip.get("title") or "" for tip in enc.get("tooltip", [])]
            texts.append(enc.get("text", {}).get("value") or "")
    return [t for t in texts if t and t.strip()]


def live_charts(at) -> dict:
    """Returns the live charts (Vega-Lite, plots.vega) by key: {key: (data table, spec)}."""
    import json

    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    charts = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        charts[spec.get("name", "")] = (convert_arrow_bytes_to_pandas_df(element.proto.data.data), spec)
    return charts


def vega_layers(spec: dict):
    """Yields every leaf layer of a (possibly nested) layered Vega-Lite spec."""
    for layer in spec.get("layer", []):
        if "layer" in layer:
            yield from vega_layers(layer)
        else:
            yield layer


def trace_y(chart, trace: int = 0):
    """Returns the y values of one trace of a live chart (live_charts' (data, spec))."""
    data, _ = chart
    return data.loc[data["trace"] == trace, "y"].to_numpy(dtype=float)


def page_texts(at) -> list[str]:
    """Returns the texts of an AppTest run a learner reads: prose, captions, messages, widget labels, chart words."""
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        texts += [e.value for e in at.get(kind) if isinstance(e.value, str)]
    for kind in ("button", "selectbox", "radio", "slider", "select_slider", "toggle", "checkbox", "text_input",
                 "text_area", "number_input", "expander", "metric", "multiselect"):
        for e in at.get(kind):
            label = getattr(e, "label", None) or getattr(getattr(e, "proto", None), "label", None)
            if isinstance(label, str):
                texts.append(label)
    return [t for t in texts + figure_texts(at) if t and t.strip()]


def english_residue(at) -> tuple[list[str], int]:
    """Returns (texts that still hold an English sentence, number of texts read) for a page shown in Chinese.

    Formulas, code spans, links and URLs are left out first: they stay as they are in every language.
    """
    texts = page_texts(at)
    left = [t for t in texts if ENGLISH_SENTENCE.search(_NOT_PROSE.sub(" ", t))]
    return left, len(texts)


def select_point(at, key: str, point: dict) -> None:
    """Runs the app as if the learner had clicked `point` on the st.plotly_chart keyed `key` (AppTest has no
    Plotly element: the click is sent as that chart's widget state, exactly what the browser would send)."""
    import json

    chart = next(e for e in at.get("plotly_chart") if e.proto.id.endswith(f"-{key}") or key in e.proto.id)
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}})
    at._run(states)


def residue_of_converted_modules(at) -> tuple[list[str], list[str], int]:
    """Returns (English texts left, English texts drawn by modules not converted yet, number of texts) of a page
    shown in Chinese.

    A module not converted yet is one test_design still lists as not in the catalogues, or library code that never
    reads them; once it is converted, its texts count here like every other.
    """
    from test_design import NOT_YET_IN_CATALOGUES

    sources = [(ROOT / f).read_text(encoding="utf-8") for f in NOT_YET_IN_CATALOGUES if (ROOT / f).exists()]
    sources += [text for p in sorted((ROOT / "rnnviz").rglob("*.py"))
                if "rnnviz.catalog" not in (text := p.read_text(encoding="utf-8"))]
    left, total = english_residue(at)
    others = [s for s in left if any(ENGLISH_SENTENCE.search(s).group(0) in src for src in sources)]
    return [s for s in left if s not in others], others, total


# ---- predict, then reveal ----------------------------------------------------------------------------

def revealed(at) -> list[str]:
    """Returns the revealed answers on the page (a prediction box's success or info line)."""
    return [m.value for m in [*at.success, *at.info] if m.value.startswith(("Right:", "The model says:"))]


def reveal(at, key: str, guess: str) -> str:
    at.radio(key=f"{key}.choice").set_value(guess).run()
    at.button(key=f"{key}.reveal").click().run()
    assert not at.exception
    return " ".join(revealed(at))
