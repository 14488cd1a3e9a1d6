"""Errors with codes: every code the library raises has words, every errors.* entry is raised somewhere, and the
learner reads them in their own language (through error_box and the link refusals)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import app_test

from rnnviz import query
from rnnviz.catalog import entries, t
from rnnviz.errors import CODE, CheckpointError, ConfigError, DataError, RnnvizError
from rnnviz.runfile import config_from_dict

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "rnnviz").rglob("*.py"))
ERRORS = {"RnnvizError", "DataError", "ConfigError", "CheckpointError"}


def _strings(node: ast.AST) -> list[str]:
    """Returns the string constants an expression can evaluate to (a literal, or either side of a conditional)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def raised_codes() -> dict[str, list[str]]:
    """Returns {code: ['file:line', ...]} for every code-shaped string the library's sources hold, and for every
    literal first argument of an error class."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("errors.") \
                    and CODE.match(node.value):
                found.setdefault(node.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ERRORS and node.args:
                for code in _strings(node.args[0]):
                    found.setdefault(code, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_code_raised_has_english_words():
    missing = {code: where for code, where in raised_codes().items() if CODE.match(code) and code not in entries("en")}
    assert not missing, f"codes raised without words in assets/i18n/en: {missing}"


def test_every_errors_entry_is_raised_somewhere():
    codes = raised_codes()
    unused = sorted(k for k in entries("en") if k.startswith("errors.") and k not in codes)
    assert not unused, f"errors.* entries no code raises: {unused}"


# The shared library, whose errors live in assets/i18n/*/errors.toml (lesson modules word theirs in their own area).
SHARED = ("config", "runfile", "runentry", "runstore", "storefiles", "classcode", "query", "export", "train", "tasks",
          "models", "data/series", "data/csv_table", "data/sentiment", "data/text", "ui/uploads")


def test_no_shared_library_error_is_raised_with_a_sentence():
    shared = tuple(f"rnnviz/{name}.py:" for name in SHARED)
    sentences = [where for code, wheres in raised_codes().items() if not CODE.match(code) for where in wheres
                 if where.startswith(shared)]
    assert not sentences, f"errors raised with an English sentence instead of a code: {sentences}"


def test_every_error_has_chinese_words():
    missing = sorted(k for k in entries("en") if k.startswith("errors.") and k not in entries("zh"))
    assert not missing, f"errors without Chinese words: {missing}"


def test_an_error_keeps_english_for_logs_and_words_the_learners_language():
    err = DataError("errors.csv.no_column", column="温度 `x`", columns="a, b")
    assert str(err) == "There is no column '温度 `x`'; the columns are: a, b."
    assert err.words("zh") == t("errors.csv.no_column", "zh", column="温度 `x`", columns="a, b")
    assert "温度 `x`" in err.words("zh") and "没有" in err.words("zh")


def test_a_nested_error_is_worded_in_the_same_language():
    with pytest.raises(CheckpointError) as caught:
        config_from_dict({"task": "lm", "model": {"hidden_size": 10**9}})
    err = caught.value
    assert "outside what the lab can train" in str(err) and "hidden_size" in str(err)
    zh = err.words("zh")
    assert "超出" in zh and "model.hidden_size" in zh and "must be" not in zh


@pytest.mark.parametrize("raw, default, kw, code", [
    ("abc", 3, {}, "errors.link.not_whole"),
    ("nan", 0.5, {}, "errors.link.not_number"),
    ("9", 3, {"bounds": (1, 5)}, "errors.link.out_of_bounds"),
    ("xx", "gru", {"options": ["gru", "lstm"]}, "errors.link.not_option"),
    ("x" * (query.MAX_TEXT + 1), "", {}, "errors.link.too_long"),
])
def test_a_refused_link_value_carries_its_code(raw, default, kw, code):
    parsed = query.parse("p", raw, default, **kw)
    assert parsed.value == default and isinstance(parsed.error, ConfigError) and parsed.error.code == code
    assert parsed.problem == parsed.error.words() and parsed.problem.startswith("The link's `p` value `")
    assert parsed.error.words("zh").startswith("链接中 `p` 的值")


def test_an_old_style_sentence_still_reads_the_same_in_every_language():
    err = RnnvizError("A sentence, not a code.")
    assert err.code is None and err.words("zh") == err.words("en") == "A sentence, not a code."


def test_a_bad_link_value_is_refused_in_chinese_on_the_page():
    at = app_test("pages/1_Forecasting.py")
    at.query_params["lang"] = "zh"
    at.query_params["series"] = "xx"
    at.run()
    assert not at.exception
    expected = t("errors.link.not_option", "zh", name="series", value="xx", default="sine",
                 allowed="sine, airline, temperatures, sunspots")
    warnings = [w.value for w in at.warning]
    assert any(w == expected for w in warnings), warnings


def test_a_data_error_reaches_the_page_in_chinese_through_error_box():
    at = app_test("pages/1_Forecasting.py")
    at.query_params["lang"] = "zh"
    at.session_state["fc_steps"] = 5
    at.session_state["fc_hidden"] = 8
    at.run()
    at.selectbox(key="fc_source").set_value("upload").run()
    at.file_uploader(key="fc_file").set_value(("empty.csv", b"  \n", "text/csv")).run()
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # error_box shows the words as plain (escaped) text
    assert t("errors.csv.empty", "zh") in shown, shown
    assert t("errors.csv.empty", "en") not in shown


def test_the_catalogue_imports_first_in_a_fresh_process():
    """rnnviz.catalog reads its folder from rnnviz.data, whose CSV reader words its notes through the catalogue."""
    done = subprocess.run([sys.executable, "-c", "import rnnviz.catalog, rnnviz.data.series"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
