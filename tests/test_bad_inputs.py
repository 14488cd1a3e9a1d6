"""Bad-input sweep: every parser and loader refuses junk with a message that says what is wrong.

Library level first (every parser/loader, a table of bad inputs each), then page level: AppTest
on every upload and text field the pages draw (found from the page sources, so new pages count).
"""

from __future__ import annotations

import io
import os
import pickle
import re
import zipfile
from pathlib import Path

import pytest
import torch

from rnnviz.data.sentiment import parse_labelled
from rnnviz.data.series import MIN_ROWS, parse_series_csv
from rnnviz.data.text import build_corpus, lm_batches, tokenize
from rnnviz.errors import CheckpointError, DataError, RnnvizError

TEN_MB = 10 * 1024 * 1024


def numbers(n: int, start: float = 1.0) -> str:
    return "".join(f"{start + 0.5 * i}\n" for i in range(n))


class _RunsCode:
    """Unpickling this sets an environment variable: proof that a loader executed the upload."""

    def __reduce__(self):
        return (exec, ("import os; os.environ['RNNVIZ_PICKLE_RAN'] = '1'",))


def evil_pickle() -> bytes:
    return pickle.dumps({"model": _RunsCode()})


def torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a run file")
    return buffer.getvalue()


def assert_clear(err: RnnvizError, *keywords: str) -> None:
    """A message for a learner: names the problem (one of the keywords), short, and no traceback text."""
    message = str(err)
    assert message and len(message) < 600, message
    assert "Traceback" not in message and "File \"" not in message, message
    assert any(k.lower() in message.lower() for k in keywords), f"{message!r} should mention one of {keywords}"


# --- series CSV uploads ----------------------------------------------------------------------------

SERIES_BAD = {
    "empty": (b"", ("empty",)),
    "only whitespace": (b"  \n\n \t\n", ("empty",)),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, ("binary",)),
    "wrong encoding": (bytes(range(128, 160)) * 64, ("encoding", "binary", "csv")),
    "utf-16 without a BOM, two rows": ("value\n1\n2\n".encode("utf-16-le"), ("2 rows",)),  # read, then too short
    "header only": (b"value\n", ("no data", "rows", "empty")),
    "1-row CSV": (b"value\n3.5\n", ("rows", "at least")),
    "too few rows": (("value\n" + numbers(MIN_ROWS - 1)).encode(), ("rows", "at least")),
    "non-numeric values": (("name,colour\n" + "a,red\n" * 30).encode(), ("numeric", "numbers")),
    "text in a numeric column": (("value\n" + numbers(30) + "oops\n" + numbers(5)).encode(), ("text", "line")),
    "NaN": (("value\n" + numbers(25) + "nan\n" + numbers(5)).encode(), ("missing", "nan")),
    "empty cells": (("t,value\n" + "".join(f"{i},{'' if i % 7 == 3 else i}\n" for i in range(40))).encode(),
                    ("missing",)),
    "a few empty cells": (("t,value\n" + "".join(f"{i},{'' if i == 5 else i * 2}\n" for i in range(40))).encode(),
                          ("missing",)),
    "a huge value": (("value\n" + numbers(25) + "1e300\n").encode(), ("large", "infinite")),
    "infinity": (("value\n" + numbers(25) + "inf\n").encode(), ("large", "infinite")),
    "10 MB file": (b"value\n" + b"1.0\n" * (TEN_MB // 4), ("MB", "limit")),
    "a pickle": (evil_pickle(), ("binary",)),
    "a torch checkpoint": (torch_bytes({"w": torch.zeros(3)}), ("binary",)),
    "a zip archive": (zip_bytes(), ("binary",)),
}


def read_upload(data: bytes | str):
    """Returns the series the Forecasting page would make of an upload (read table, pick the last numeric column)."""
    from rnnviz.data.series import numeric_columns, read_csv_table, series_from_table

    frame = read_csv_table(data)
    numeric = numeric_columns(frame)
    return series_from_table(frame, numeric[-1] if numeric else str(frame.columns[-1]))


READERS = {"parse_series_csv": parse_series_csv, "page upload": read_upload}
SERIES_XFAIL: dict[tuple[str, str], str] = {}  # known reader bugs, marked strict-xfail until fixed


@pytest.mark.parametrize("reader, case", [
    pytest.param(r, c, marks=pytest.mark.xfail(strict=True, reason=SERIES_XFAIL[r, c])) if (r, c) in SERIES_XFAIL
    else (r, c)
    for r in READERS for c in SERIES_BAD
], ids=[f"{r}: {c}" for r in READERS for c in SERIES_BAD])
def test_series_csv_refuses_bad_input(reader, case):
    data, keywords = SERIES_BAD[case]
    with pytest.raises(DataError) as info:
        READERS[reader](data)
    assert_clear(info.value, *keywords)


def test_series_csv_names_the_missing_column():
    with pytest.raises(DataError) as info:
        parse_series_csv("month,value\n" + "".join(f"{i},{i}\n" for i in range(30)), value_col="price")
    assert_clear(info.value, "price")
    assert "month" in str(info.value) and "value" in str(info.value)  # lists the columns there are


@pytest.mark.parametrize("reader", [
    "parse_series_csv",
    "page upload",
])
def test_one_column_csv_keeps_its_header(reader):
    series = READERS[reader]("passengers\n" + "".join(f"{100 + i}\n" for i in range(30)))
    assert series.unit == "passengers" and series.values[0] == 100


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("data", [
    "value\n" + numbers(30),
    ("date;value\n" + "".join(f"2020-01-{i + 1:02d};{i}\n" for i in range(28))),
    ("Zeit,Wärme\n" + "".join(f"{i},{i * 0.5}\n" for i in range(30))).encode("latin-1"),
    ("\ufeffvalue\r\n" + numbers(30).replace("\n", "\r\n")).encode("utf-8"),
], ids=["plain", "semicolons", "latin-1", "utf-8 BOM + CRLF"])
def test_series_csv_accepts_good_input(data, reader):
    # The refusals above must not come from a parser that refuses everything.
    series = READERS[reader](data)
    assert len(series) >= 28 and torch.isfinite(torch.as_tensor(series.values)).all()


# --- pasted text (language model corpus) -----------------------------------------------------------

TEXT_BAD = {
    "empty": "",
    "only spaces": "   \n\t  ",
    "only digits and punctuation": "1234 5678 !!! ??? ... 3.14",
    "binary junk": "\x00\x01\x02\xff\xfe" * 20,
    "a script it does not keep": "Это русский текст, а не китайский",
    "two letters": "ab",
}


@pytest.mark.parametrize("case", list(TEXT_BAD), ids=list(TEXT_BAD))
def test_corpus_refuses_text_without_letters(case):
    with pytest.raises(DataError) as info:
        build_corpus(TEXT_BAD[case])
    assert_clear(info.value, "letters", "text")


def test_corpus_refuses_too_few_words():
    with pytest.raises(DataError) as info:
        build_corpus("hello world", token="word")
    assert_clear(info.value, "fewer", "text")


def test_unknown_token_type_is_named():
    with pytest.raises(DataError) as info:
        tokenize("abc", "syllable")
    assert_clear(info.value, "syllable")


def test_text_too_short_for_the_batch_shape():
    corpus = build_corpus("the time machine " * 3)
    with pytest.raises(DataError) as info:
        next(lm_batches(corpus.indices, 32, 35, "sequential", torch.Generator().manual_seed(0)))
    assert_clear(info.value, "too short")


def test_huge_paste_is_bounded_by_max_tokens():
    corpus = build_corpus("the time traveller " * 200_000, max_tokens=5000)  # ~4 MB of text
    assert len(corpus.tokens) == 5000


# --- labelled sentences ----------------------------------------------------------------------------

LABELLED_BAD = {
    "empty": ("", ("no labelled",)),
    "blank lines": ("\n\n  \n", ("no labelled",)),
    "no tab": ("a great film 1", ("line 1", "tab")),
    "label not 0/1": ("a great film\t2", ("line 1", "0 or 1")),
    "label is a word": ("a great film\tpositive", ("line 1", "0 or 1")),
    "bad second line": ("a great film\t1\nawful\tNaN", ("line 2",)),
    "binary junk": ("\x00\x01\x02\xff" * 10, ("line 1", "tab")),
}


@pytest.mark.parametrize("case", list(LABELLED_BAD), ids=list(LABELLED_BAD))
def test_labelled_sentences_refuse_bad_lines(case):
    text, keywords = LABELLED_BAD[case]
    with pytest.raises(DataError) as info:
        parse_labelled(text)
    assert_clear(info.value, *keywords)


# --- run files (checkpoints) -----------------------------------------------------------------------


def _runfile():
    return pytest.importorskip("rnnviz.runfile", reason="rnnviz.runfile has not landed yet")


RUNFILE_BAD = {
    "empty": b"",
    "text": b"hello, this is not a run file\n",
    "a CSV": ("value\n" + numbers(30)).encode(),
    "binary junk": bytes(range(256)) * 64,
    "a zip that is not a checkpoint": zip_bytes(),
    "a plain pickle": pickle.dumps({"weights": [1.0, 2.0]}),
    "a pickle that runs code": evil_pickle(),
    "a torch file of a pickled object": torch_bytes({"format": "rnnviz-run", "obj": zipfile.ZipInfo("x")}),
    "someone else's checkpoint": torch_bytes({"epoch": 3, "state_dict": torch.nn.Linear(2, 2).state_dict()}),
    "a bare state dict": torch_bytes(torch.nn.GRU(3, 4, batch_first=True).state_dict()),
    "a truncated checkpoint": torch_bytes({"w": torch.zeros(1000)})[:700],
    "JSON that is not ours": b'{"epoch": 3, "loss": 0.1}',
    "JSON with NaN": b'{"format": "rnnviz-run", "config": NaN, "metrics": [NaN]}',
    "11 MB of junk": os.urandom(TEN_MB + 1024 * 1024),
}
RUNFILE_WORDS = ("run file", "rnnviz", "pytorch", "damaged", "not", "missing", "MB", "weights file")


@pytest.mark.parametrize("reader", ["read_weights", "read_run_json"])
@pytest.mark.parametrize("case", list(RUNFILE_BAD), ids=list(RUNFILE_BAD))
def test_runfile_refuses_what_is_not_ours(case, reader, monkeypatch):
    monkeypatch.delenv("RNNVIZ_PICKLE_RAN", raising=False)
    read = getattr(_runfile(), reader)
    with pytest.raises(CheckpointError) as info:
        read(RUNFILE_BAD[case])
    assert_clear(info.value, *RUNFILE_WORDS)
    assert os.environ.get("RNNVIZ_PICKLE_RAN") is None, f"{reader} executed code from an upload"


@pytest.fixture(scope="module")
def tiny_run():
    """Returns (runfile module, cfg, model, history) of a 3-step character LM on a tiny text."""
    runfile = _runfile()
    from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun

    cfg = RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=8),
                    train=TrainConfig(steps=3), text=TextConfig(num_steps=5, batch_size=2))
    task = make_task(cfg, build_corpus("the time traveller was one of those " * 10))
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train)
    run.run(3)
    return runfile, cfg, run.model, run.history


def test_runfile_round_trip_still_works(tiny_run):
    # Control: the refusals above come from checks, not from a reader that refuses everything.
    runfile, cfg, model, history = tiny_run
    restored = runfile.read_weights(runfile.weights_bytes("mine", cfg, model, history))
    assert restored.cfg == cfg and len(restored.history) == 3
    assert runfile.read_run_json(runfile.run_json("mine", cfg, history)).cfg == cfg


def _tampered(runfile, cfg, model, history, **changes) -> bytes:
    payload = torch.load(io.BytesIO(runfile.weights_bytes("mine", cfg, model, history)), weights_only=True)
    payload.update(changes)
    return torch_bytes(payload)


def test_runfile_refuses_a_config_out_of_range(tiny_run):
    runfile, cfg, model, history = tiny_run
    raw = runfile.config_to_dict(cfg)
    raw["model"]["hidden_size"] = 10**9
    import json

    with pytest.raises(CheckpointError) as info:
        runfile.read_weights(_tampered(runfile, cfg, model, history, config=json.dumps(raw)))
    assert_clear(info.value, "hidden")


def test_runfile_refuses_another_version(tiny_run):
    runfile, cfg, model, history = tiny_run
    with pytest.raises(CheckpointError) as info:
        runfile.read_weights(_tampered(runfile, cfg, model, history, version=99))
    assert_clear(info.value, "version")


@pytest.mark.parametrize("damage", ["missing key", "wrong shape", "NaN weights"])
def test_weights_that_do_not_fit_the_model_are_refused(tiny_run, damage):
    runfile, _, model, _ = tiny_run
    state = {k: v.clone() for k, v in model.state_dict().items()}
    key = next(iter(state))
    if damage == "missing key":
        del state[key]
    elif damage == "wrong shape":
        state[key] = torch.zeros(3, 3)
    else:
        state[key] = torch.full_like(state[key], float("nan"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as info:
        runfile.load_into(model, state)
    assert_clear(info.value, "missing", "shape", "NaN", key)
    # nothing the learner had is lost: the model keeps its weights
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# --- page level: every upload and text field a page draws (AppTest) --------------------------------

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = ["app.py", *(f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")))]
REVEAL = re.compile(r"upload|your own|own text", re.IGNORECASE)  # options that show an upload or text field
BAD_UPLOADS = {
    "csv": {"empty": b"", "binary": bytes(range(256)) * 8, "wrong encoding": bytes(range(128, 160)) * 64,
            "1-row": b"value\n3.5\n", "non-numeric": b"name,colour\n" + b"ada,red\n" * 30,
            "NaN": ("value\n" + numbers(25) + "nan\n").encode(),
            "huge value": ("value\n" + numbers(25) + "1e300\n").encode(),
            "10 MB": b"value\n" + b"1.0\n" * (TEN_MB // 4), "a pickle": evil_pickle()},
    "pt": {"empty": b"", "junk": bytes(range(256)) * 8, "a pickle": evil_pickle(),
           "someone else's checkpoint": torch_bytes({"state_dict": torch.nn.Linear(2, 2).state_dict()}),
           "a zip": zip_bytes(), "11 MB": os.urandom(TEN_MB + 1024 * 1024)},
    "json": {"empty": b"", "not ours": b'{"epoch": 3}', "NaN": b'{"format": NaN}', "binary": bytes(range(256))},
}
BAD_UPLOADS["txt"] = BAD_UPLOADS["csv"]
# A .txt of the learner's own text to train on: a CSV of words is good text there, so its bad files are these.
BAD_OWN_TEXT = {"empty": b"", "binary": bytes(range(256)) * 8, "wrong encoding": bytes(range(128, 160)) * 64,
                "too short": b"ab ab\n"}
BAD_TEXT = {"empty": "", "spaces": "   \n ", "no letters": "1234 5678 !!! ...", "binary junk": "\x00\x01\x02\xff" * 5,
            "non-Latin": "これは日本語のテキストです", "huge paste": "the time traveller " * 50_000}


def page_uses(page_file: str, *widgets: str) -> bool:
    """Returns whether a page, or an rnnviz.ui module it imports, draws one of these widgets."""
    source = (ROOT / page_file).read_text(encoding="utf-8")
    names = {n.strip().split(" as ")[0] for group in re.findall(r"from rnnviz\.ui import ([\w, ]+)", source)
             for n in group.split(",")}
    names |= set(re.findall(r"from rnnviz\.ui\.(\w+) import", source))
    texts = [source] + [(ROOT / "rnnviz" / "ui" / f"{n}.py").read_text(encoding="utf-8")
                        for n in names if (ROOT / "rnnviz" / "ui" / f"{n}.py").exists()]
    return any(f".{w}(" in t for t in texts for w in widgets)


UPLOAD_PAGES = [p for p in PAGE_FILES if page_uses(p, "file_uploader", "uploader")]  # uploads.uploader too
TEXT_PAGES = [p for p in PAGE_FILES if page_uses(p, "text_area", "text_input")]


def choose_by_label(widget, label: str) -> bool:
    """Selects the option shown as `label` (AppTest wants the raw value; format_func maps raw -> label)."""
    fmt = widget.format_func
    owner = getattr(fmt, "__self__", None)  # format_func=SOME_DICT.get: invert the dict
    candidates = [label, *([k for k, v in owner.items() if v == label] if isinstance(owner, dict) else [])]
    for raw in candidates:
        try:
            if str(fmt(raw)) == label:
                widget.set_value(raw)
                return True
        except Exception:  # a format_func that only takes its own option type
            continue
    return False


def open_app(page_file: str):
    """Returns the page run once with every 'upload' / 'your own text' choice picked and a run started."""
    from conftest import app_test

    at = app_test(page_file)
    at.run()
    assert not at.exception, f"{page_file} fails before any bad input: {at.exception}"
    for widget in [*at.selectbox, *at.radio]:
        label = next((o for o in widget.options if REVEAL.search(str(o))), None)
        if label is not None and widget.key and choose_by_label(widget, label):
            at.run()
    for button in at.button:  # a learner who already started something has something to lose
        if button.key and button.key.endswith("start") and not button.disabled:
            button.click()
            at.run()
    return at


def widget_keys(at) -> set[str]:
    """Returns the keys of every widget the page drew in its last run."""
    keys, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None):
            keys.add(node.key)
        stack.extend(getattr(node, "children", {}).values())
    return keys


def is_plain(value) -> bool:
    """Returns whether a value is bookkeeping (numbers, strings and containers of them), not a learner's object."""
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return True
    if isinstance(value, dict):
        return all(is_plain(k) and is_plain(v) for k, v in value.items())
    return isinstance(value, (list, tuple, set)) and all(is_plain(v) for v in value)


def learner_state(at) -> dict[str, tuple[int, int | None]]:
    """Returns what a bad input must not take away: the session's own objects (runs, models, kept uploads)."""
    drawn = widget_keys(at)
    return {k: (id(v), len(v) if isinstance(v, dict) else None)
            for k, v in at.session_state.items() if k not in drawn and not is_plain(v)}


def lost_from(kept: dict, at) -> list[str]:
    """Returns the keys of `kept` that are gone, replaced, or (for a dict of models) shorter now."""
    now = learner_state(at) | {k: v for k, v in kept.items() if k in widget_keys(at)}
    return [k for k, (ident, size) in kept.items()
            if k not in now or now[k][0] != ident or (size is not None and (now[k][1] or 0) < size)]


def shown_messages(at) -> list[str]:
    return [str(e.value) for e in [*at.error, *at.warning]]


@pytest.mark.parametrize("page_file", UPLOAD_PAGES or [None], ids=UPLOAD_PAGES or ["no upload yet"])
def test_page_uploads_refuse_bad_files_clearly(page_file, small_defaults, monkeypatch):
    if page_file is None:
        pytest.skip("no page draws an upload yet")
    monkeypatch.delenv("RNNVIZ_PICKLE_RAN", raising=False)
    at = open_app(page_file)
    assert len(at.file_uploader), f"{page_file} should draw an upload once 'upload' is picked"
    for index in range(len(at.file_uploader)):
        kinds = [t.lstrip(".").lower() for t in at.file_uploader[index].allowed_type] or ["csv"]
        for kind in [k for k in kinds if k in BAD_UPLOADS]:
            own = (at.file_uploader[index].key or "").endswith("_own_file")
            for case, data in (BAD_OWN_TEXT if own else BAD_UPLOADS[kind]).items():
                kept, charts = learner_state(at), len(at.get("plotly_chart"))
                at.file_uploader[index].set_value((f"bad.{kind}", data, "application/octet-stream"))
                at.run()
                where = f"{page_file}, upload {index + 1}, {case} .{kind}"
                assert not at.exception, f"{where}: {at.exception}"
                messages = shown_messages(at)
                assert messages and all(len(m) > 20 and "Traceback" not in m for m in messages), f"{where}: {messages}"
                assert len(at.get("plotly_chart")) >= charts, f"{where}: charts vanished"
                lost = lost_from(kept, at)
                assert not lost, f"{where}: the learner lost {lost}"
                assert os.environ.get("RNNVIZ_PICKLE_RAN") is None, f"{where}: the upload's code ran"


@pytest.mark.parametrize("page_file", TEXT_PAGES or [None], ids=TEXT_PAGES or ["no text field yet"])
def test_page_text_fields_survive_bad_text(page_file, small_defaults):
    if page_file is None:
        pytest.skip("no page draws a text field yet")
    at = open_app(page_file)
    fields = [("text_area", w.key) for w in at.text_area if w.key] + [("text_input", w.key) for w in at.text_input if w.key]
    if not fields:  # the source scan is coarse: a helper module may draw its text field on another page
        pytest.skip(f"{page_file} draws no keyed text field in its default state")
    for kind, key in fields:
        for case, value in BAD_TEXT.items():
            kept, charts = learner_state(at), len(at.get("plotly_chart"))
            widget = getattr(at, kind)(key=key)
            widget.input(value[: widget.max_chars] if widget.max_chars else value)
            at.run()
            where = f"{page_file}, {kind} {key!r}, {case}"
            assert not at.exception, f"{where}: {at.exception}"
            if len(at.get("plotly_chart")) < charts:  # a page may stop drawing, but must say why
                messages = shown_messages(at) + [str(i.value) for i in at.info]
                assert messages, f"{where}: charts vanished without a message"
            lost = lost_from(kept, at)
            assert not lost, f"{where}: the learner lost {lost}"
