"""Hostile links: every page's query parameters fuzzed (strings, huge and negative numbers, nan/inf, unicode,
markdown and HTML payloads) under AppTest. No page may raise, draw an empty chart without a message, or echo
a link's value outside a code span.

The parameter names are found in the sources (every ``query_value("name"`` and the lab's link settings), so a
new parameter on any page is fuzzed too.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from conftest import ROOT, app_test
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
SOURCES = [*(ROOT / "rnnviz" / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")]


def _param_names() -> list[str]:
    names = set()
    for path in SOURCES:
        names |= set(re.findall(r'query_value\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    from rnnviz.ui.board import TEACHER_PARAM
    from rnnviz.ui.keep import CLASS_PARAM
    from rnnviz.ui.lab_links import CONTROL_KEYS
    from rnnviz.ui.scrub import STEP_PARAM
    return sorted(names | set(CONTROL_KEYS) | {STEP_PARAM, "hide", "guide", CLASS_PARAM, TEACHER_PARAM})


PARAMS = _param_names()
HOSTILE = ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e-400", "-5", "-3", "0", "-0", "99999999999999999999",
           "9" * 5000, "", " ", "1,2,3", "gru,lstm,mlp,rnn_tanh", "lstm", "forecast", "sentiment", "lm", "off", "1",
           "**bold** _it_", "# heading", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           "[click](javascript:alert(1))", "$x^2$", "`tick` ```fence```", "é中文🔥", "\u202eevil", "a\nb", "\t",
           "%00", "../../etc/passwd", "0.3", "2.0", "0x10", "1_000", "True"]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40),
                   st.integers(-10**30, 10**30).map(str), st.floats().map(repr))
LINKS = st.dictionaries(st.sampled_from(PARAMS), VALUES, min_size=1, max_size=5)


def points(trace: dict) -> int:
    """Returns how many values a Plotly trace draws (plotly 7 packs number arrays as base64)."""
    counts = []
    for key in ("z", "y", "x", "values", "r", "cells"):
        data = trace.get(key)
        if isinstance(data, dict) and "bdata" in data:
            counts.append(len(base64.b64decode(data["bdata"])))
        elif isinstance(data, (list, tuple)):
            counts.append(sum(len(d) if isinstance(d, (list, tuple)) else 1 for d in data))
    return max(counts, default=1)  # a trace without data arrays (an indicator, a shape) counts as drawn


def empty_charts(at) -> list[str]:
    """Returns the titles of charts whose every trace is empty."""
    empty = []
    for element in at.get("plotly_chart"):
        figure = json.loads(element.proto.spec)
        traces = figure.get("data", [])
        if traces and all(points(t) == 0 for t in traces):
            empty.append(str(figure.get("layout", {}).get("title", {}).get("text", "untitled")))
    return empty


def messages(at) -> list[str]:
    return [str(e.value) for e in [*at.error, *at.warning, *at.info]]


def check_page(at, page: str, link: dict[str, str]) -> None:
    at.query_params.clear()
    at.query_params.update(link)
    at.run()
    where = f"{page} with ?{link}"
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    shown = messages(at)
    empty = empty_charts(at)
    assert not empty or shown, f"{where}: empty charts {empty} and no message"
    for text in shown:
        assert "Traceback" not in text, f"{where}: {text}"
        if text.startswith("The link's"):  # a refused value is quoted in a code span, never as markdown
            assert re.fullmatch(r"The link's `[^`]*` value `[^`\n]*` [^`]*`[^`]*` instead\.", text), text


@pytest.mark.parametrize("page", PAGES)
def test_every_page_survives_fuzzed_links(page, small_defaults):
    at = app_test(page)
    at.run()
    assert not at.exception, f"{page} fails before any link: {at.exception}"

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(LINKS)
    def survives(link):
        check_page(at, page, link)

    survives()


@pytest.mark.parametrize("payload", ["nan", "inf", "-1e400", "-5", "<script>alert(1)</script>", "**x**"])
def test_every_parameter_at_once_on_the_pages_that_read_numbers(payload, small_defaults):
    """The measured crashes (?split, ?radius) and every other parameter, all hostile in one link."""
    for page in ("pages/1_Forecasting.py", "pages/6_Gradients_through_time.py", "pages/5_Gates.py"):
        at = app_test(page)
        at.run()
        check_page(at, page, {name: payload for name in PARAMS})


@pytest.mark.parametrize("link", [{"split": "nan"}, {"split": "inf"}, {"radius": "nan"}, {"radius": "1e400"}])
def test_the_measured_crashing_links_now_say_what_was_refused(link, small_defaults):
    page = "pages/1_Forecasting.py" if "split" in link else "pages/6_Gradients_through_time.py"
    at = app_test(page)
    check_page(at, page, link)
    name, value = next(iter(link.items()))
    assert any(f"`{name}` value `{value}`" in m for m in messages(at)), messages(at)
    assert at.get("plotly_chart"), "the lesson's charts should still be drawn"


def test_gates_with_units_below_zero_shows_units_not_an_empty_heatmap(small_defaults):
    at = app_test("pages/5_Gates.py")
    check_page(at, "pages/5_Gates.py", {"lo": "-5", "hi": "-3"})
    lo, hi = at.slider(key="gt_units").value
    assert 0 <= lo < hi, (lo, hi)
    heat = next(json.loads(e.proto.spec) for e in at.get("plotly_chart") if "gt_heatmaps" in e.proto.id)
    assert all(points(t) > 0 for t in heat["data"] if t.get("type") == "heatmap")
    assert any("`lo` value `-5`" in m for m in messages(at))
