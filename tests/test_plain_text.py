"""Whatever a learner, a link or a file supplied is shown as text: no link, image, HTML or emphasis made from it.

First the helpers (plain, code_span, plotly_text) against a small CommonMark reader written here (escapes and
code spans, the two rules the helpers rely on), then every page that echoes a value, under AppTest, with
payloads in links, text boxes, uploads and run names: every markdown body the page draws must keep them inert.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import replace

import pytest
from conftest import app_test
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.ui.safe_text import code_span, plain, plotly_text

EVIL = "evil.example"
PAYLOADS = [
    "[Session expired: log in](https://evil.example)",
    "great ![p](http://evil.example/p.png) [x](https://evil.example)",
    "<img src=x onerror=alert(1)>",
    "a ` b `` c **bold**",
    "**bold** and _it_",
    "https://evil.example www.evil.example a@evil.example",
    "$x^2$ :red[alarm] &lt;b&gt; # head",
]
MARKERS = (EVIL, "<img", "onerror=", "**bold**", "[Session", "![p]", "[x]", "$x^2", ":red[", "&lt;", "# head")


def markdown_view(body: str, resolve: bool = False) -> str:
    """Returns the body as a markdown reader sees it, with every escaped character and every code span's content
    replaced by '·': what is left is what markdown may still turn into links, images, tags or emphasis. With
    resolve, escapes become the character itself: the text GFM then scans for bare URLs and e-mail addresses."""
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in string.punctuation:
            out.append(body[i + 1] if resolve else "··")
            i += 2
            continue
        if ch == "`":
            j = i
            while j < len(body) and body[j] == "`":
                j += 1
            fence, close, k = j - i, None, j
            while k < len(body):  # a code span ends at the next run of exactly as many backticks
                if body[k] == "`":
                    m = k
                    while m < len(body) and body[m] == "`":
                        m += 1
                    if m - k == fence:
                        close = k
                        break
                    k = m
                else:
                    k += 1
            if close is None:
                out.append(body[i:j])
                i = j
                continue
            out.append("·" * (close + fence - i))
            i = close + fence
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# GFM's autolink literals (mdast-util-gfm-autolink-literal): found in the text after escapes are resolved.
AUTOLINK = re.compile(r"(https?://|www\.)[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+|mailto:\S+", re.IGNORECASE | re.ASCII)
OWN_LINK = re.compile(r"\]\((\./|/|\?)[^()\s]*\)")  # the app's own links (class links): percent-encoded queries


def live_markers(body: str) -> list[str]:
    """Returns the payload fragments that markdown could still render from a body (a percent-encoded value in the
    query of one of the app's own links is a parameter, not markup: ( ) [ ] < > and spaces cannot occur in it)."""
    view = OWN_LINK.sub("](·)", markdown_view(body))
    bare = OWN_LINK.sub("](·)", markdown_view(body, resolve=True))
    return [m for m in MARKERS if m in view] + [f"autolink {m.group(0)}" for m in AUTOLINK.finditer(bare)
                                                 if EVIL in m.group(0)]


def test_the_reader_sees_raw_payloads_so_the_checks_can_fail():
    for payload in PAYLOADS:
        assert live_markers(payload), payload
    escaped_only = re.sub(r"([" + re.escape(string.punctuation) + "])", r"\\\1", "see https://evil.example")
    assert live_markers(escaped_only) == ["autolink https://evil.example"]  # escapes do not stop a bare URL
    assert live_markers(f"**Raw:** `{PAYLOADS[3]}`")  # a code span with a backtick inside breaks out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_and_code_span_keep_every_payload_inert(payload):
    assert live_markers(plain(payload)) == []
    assert live_markers(f"**Raw:** {code_span(payload)} and more") == []
    assert live_markers(f"> {plain(payload)}") == []


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=string.printable + "é€\u2028\x00", max_size=60) | st.sampled_from(PAYLOADS))
def test_plain_reads_back_as_typed(text):
    shown = plain(text)
    assert not set(markdown_view(shown)) & set(string.punctuation)  # every mark is escaped
    assert not AUTOLINK.search(markdown_view(shown, resolve=True))  # and no bare URL or address is left
    shown = shown.replace("\u200b", "")  # the invisible breaks inside them
    unescaped = re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", shown)
    one_line = re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", re.sub(r"[\r\n\u2028\x0b\x0c]+", " ", text))
    assert unescaped == one_line


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="`ab [](){}*_ \\", max_size=40))
def test_a_code_span_cannot_be_closed_from_inside(text):
    span = code_span(text)
    assert set(markdown_view(f"x {span} y")) <= {"x", " ", "y", "·"}


def test_plotly_text_escapes_tags():
    assert plotly_text('<a href="https://evil.example">x</a>') == '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'
    assert plotly_text("a\nb") == "a b"


# ---- pages -------------------------------------------------------------------------------------------------------

MARKDOWN_ELEMENTS = ("markdown", "caption", "error", "info", "warning", "success", "toast")
WIDGETS = ("selectbox", "radio", "text_area", "text_input", "multiselect", "number_input", "slider", "button",
           "checkbox", "toggle", "file_uploader", "expander", "tabs", "metric", "select_slider")


def rendered_bodies(at) -> list[str]:
    """Returns every string the page hands to Streamlit's markdown: element bodies, labels and help tooltips."""
    bodies = []
    for kind in MARKDOWN_ELEMENTS:
        bodies += [str(e.value) for e in at.get(kind)]
    for kind in WIDGETS:
        for w in at.get(kind):
            bodies += [str(getattr(w, attr)) for attr in ("label", "help") if getattr(w, attr, None)]
            proto = getattr(w, "proto", None)
            if proto is not None and getattr(proto, "label", None):
                bodies.append(str(proto.label))
    return bodies


def figure_strings(at) -> list[str]:
    """Returns every string inside the page's plotly figures (titles, names, hover text)."""
    out = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for el in at.get("plotly_chart"):
        walk(json.loads(el.proto.spec))
    return out


def assert_inert(at):
    assert not at.exception, at.exception
    live = {body[:120]: live_markers(body) for body in rendered_bodies(at) if live_markers(body)}
    assert live == {}, live
    tags = [s[:120] for s in figure_strings(at) if "<a " in s or "<img" in s]
    assert tags == [], tags


def open_with(page: str, **params):
    at = app_test(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_lab_link_values_are_echoed_as_text(payload):
    at = open_with("pages/3_Training_lab.py", cell=payload)
    assert_inert(at)
    assert at.error, "a bad link value gets a message"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sentiment_review_from_a_link_is_text(payload, tiny_defaults):
    at = open_with("pages/9_Sentiment.py", review=payload, hide="review")
    assert_inert(at)
    at = open_with("pages/9_Sentiment.py", review=payload)
    assert_inert(at)


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_hidden_states_review_and_text_from_a_link_are_text(payload, tiny_defaults):
    assert_inert(open_with("pages/4_Hidden_states.py", reads="review", review=payload))
    assert_inert(open_with("pages/4_Hidden_states.py", text=payload))


def test_pasted_text_with_backticks_stays_in_its_code_span():
    at = app_test("pages/2_Text_and_language_models.py")
    at.run()
    at.radio(key="tl_source").set_value("paste").run()
    pasted = " ".join(PAYLOADS) + " the time traveller was one of those men " * 4
    at.text_area(key="tl_paste").set_value(pasted).run()
    raw = [m.value for m in at.markdown if m.value.startswith("**Raw:**")]
    assert raw and "evil" in raw[0]  # the pasted text is shown ...
    assert live_markers(raw[0]) == []  # ... as text


def _upload(at, name: str, data: bytes):
    at.selectbox(key="fc_source").set_value("upload").run()
    at.file_uploader(key="fc_file").set_value((name, data, "text/csv")).run()
    return at


def csv_with(value_col: str, date_col: str, n: int = 40, reverse: bool = False) -> bytes:
    rows = [f"2020-01-{1 + i // 24:02d}T{i % 24:02d}:00,{i % 7 + 1}" for i in range(n)]
    rows = rows[::-1] if reverse else rows
    return (f'"{date_col}","{value_col}"\n' + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("payload", [p.replace('"', "'") for p in PAYLOADS[:5]])
def test_uploaded_names_columns_and_notes_are_text(payload, tiny_defaults):
    at = app_test("pages/1_Forecasting.py")
    at.session_state["fc_steps"] = 5
    at.session_state["fc_hidden"] = 8
    at.run()
    _upload(at, f"{payload}.csv", csv_with(payload, payload + " date", reverse=True))  # sorted: a note names the column
    assert_inert(at)
    assert any("sorted" in c.value or "reversed" in c.value for c in at.caption), [c.value for c in at.caption]
    at.file_uploader(key="fc_file").set_value(("bad.csv", f'"{payload}",x\na,b\n'.encode(), "text/csv")).run()
    assert_inert(at)  # the error names the columns; the caption names the previous file
    assert at.error and any("Still showing" in c.value for c in at.caption)


def test_run_names_are_text_in_the_lab():
    at = app_test("pages/3_Training_lab.py")
    at.run()
    at.session_state["lab_steps"] = 2
    at.session_state["lab_hidden"] = 8
    at.text_input(key="lab_name").set_value(PAYLOADS[0][:40]).run()
    at.button(key="lab_one_step").click().run()
    assert_inert(at)
    assert any("Session expired" in m.value and "evil" in m.value for m in at.markdown), "the name is shown, as text"


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_run_file_names_are_text_in_the_lab(payload):
    from rnnviz import runfile
    from rnnviz.tasks import make_model, make_task
    from rnnviz.ui import cache
    from rnnviz.ui.lab_settings import LAB_DEFAULTS

    cfg = LAB_DEFAULTS["forecast"]
    cfg = replace(cfg, model=replace(cfg.model, hidden_size=8))
    model = make_model(make_task(cfg, cache.data_for(cfg)), cfg.model, 0)
    at = app_test("pages/3_Training_lab.py")
    at.run()
    at.file_uploader(key="lab_upload").set_value(("run.json", runfile.run_json(payload, cfg, []), "application/json"))
    at.run()
    assert_inert(at)
    assert any("Loaded the settings" in i.value for i in at.info), [i.value for i in at.info]
    at.file_uploader(key="lab_upload").set_value(("run.pt", runfile.weights_bytes(payload, cfg, model, []),
                                                  "application/octet-stream"))
    at.run()
    assert_inert(at)
    assert any("Restored" in i.value for i in at.info), [i.value for i in at.info] + [e.value for e in at.error]


def test_an_own_forecaster_name_is_text_in_the_forecasting_legends():
    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun
    from rnnviz.ui import cache, store
    from rnnviz.ui.lab_settings import LAB_DEFAULTS

    cfg = LAB_DEFAULTS["forecast"]
    cfg = replace(cfg, model=replace(cfg.model, hidden_size=8), series=replace(cfg.series, name="sine"))
    task = make_task(cfg, cache.data_for(cfg))
    name = '<a href="https://evil.example">x</a> [y](https://evil.example)'
    entry = store.ModelEntry(name, cfg, TrainRun(make_model(task, cfg.model, 0), task, cfg.train))
    at = app_test("pages/1_Forecasting.py")
    at.session_state[store.MODELS_KEY] = {name: entry}
    at.session_state["fc_steps"] = 5
    at.session_state["fc_hidden"] = 8
    at.run()
    mine = [o for o in at.multiselect(key="fc_models").options if o.startswith("mine: ")]
    assert mine, at.multiselect(key="fc_models").options
    at.multiselect(key="fc_models").set_value(["mlp", f"mine: {name}"])
    at.button(key="fc_train").click().run()
    assert_inert(at)
    legends = [s for s in figure_strings(at) if "evil" in s]
    # wrapped titles may break a line (<br>) between "&lt;a" and "href": read them unwrapped
    unwrapped = [s.replace("<br>", " ") for s in legends]
    assert legends and all("&lt;a href" in s and "<a href" not in s for s in unwrapped if "href" in s), legends
