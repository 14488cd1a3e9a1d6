"""The catalogues: every key the code reads exists, every entry is read, and the languages agree in shape."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rnnviz import catalog
from rnnviz.catalog import LANGS, entries, fill, items, t
from rnnviz.errors import CODE

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "rnnviz").rglob("*.py"))]
READERS = {"t", "items", "choices"}  # catalog functions whose first argument is a key (choices: a key prefix)
ERRORS = {"RnnvizError", "DataError", "ConfigError", "CheckpointError"}  # raised with a code: the key of their words


def used_keys() -> tuple[set[str], list[re.Pattern[str]]]:
    """Returns the literal keys the code reads, and patterns for keys it builds (f-strings, choices prefixes)."""
    literal, patterns = set(), []
    areas = {key.split(".", 1)[0] for key in entries("en")}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # a whole key written as a string (an error's code, a note's key kept for later) is read where it is written
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in entries("en"):
                literal.add(node.value)
            # a key kept in a variable or built in a property (lessons.Lesson.title_key) counts where it is written
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                    and str(node.values[0].value).split(".", 1)[0] in areas and "." in str(node.values[0].value) \
                    and " " not in str(node.values[0].value):
                patterns.append(re.compile("".join(re.escape(v.value) if isinstance(v, ast.Constant) else r"[^.]+"
                                                   for v in node.values)))
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in READERS | ERRORS:
                continue
            arg = node.args[0]
            if name in ERRORS and not (isinstance(arg, ast.Constant) and CODE.match(str(arg.value))):
                continue  # an old-style error raised with a sentence
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if name == "choices":
                    patterns.append(re.compile(re.escape(arg.value) + r"\.[^.]+"))
                else:
                    literal.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                # a placeholder may hold a key prefix with dots (f"{key}.question"), so it matches any text
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else r".+" for v in arg.values]
                patterns.append(re.compile("".join(parts) + (r"\.[^.]+" if name == "choices" else "")))
    return literal, patterns


def test_every_key_the_code_reads_is_in_english():
    literal, _ = used_keys()
    missing = sorted(k for k in literal if k not in entries("en"))
    assert not missing, f"keys read by the code but missing from assets/i18n/en: {missing}"


def test_every_english_entry_is_read_somewhere():
    literal, patterns = used_keys()
    unused = sorted(k for k in entries("en") if k not in literal and not any(p.fullmatch(k) for p in patterns))
    assert not unused, f"catalogue entries nothing reads (remove them or use them): {unused}"


def test_built_keys_match_some_entry():
    _, patterns = used_keys()
    dead = [p.pattern for p in patterns if not any(p.fullmatch(k) for k in entries("en"))]
    assert not dead, f"the code builds keys that match no entry: {dead}"


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_other_languages_have_no_keys_english_lacks(lang):
    extra = sorted(set(entries(lang)) - set(entries("en")))
    assert not extra, f"{lang} has keys English does not: {extra}"


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_translations_keep_placeholders_and_list_lengths(lang):
    problems = []
    for key, value in entries(lang).items():
        english = entries("en")[key]
        if isinstance(english, str) != isinstance(value, str):
            problems.append(f"{key}: string in one language, list in the other")
            continue
        pairs = [(english, value)] if isinstance(value, str) else list(zip(english, value, strict=False))
        if not isinstance(value, str) and len(english) != len(value):
            problems.append(f"{key}: {len(english)} items in English, {len(value)} in {lang}")
        for en_text, other in pairs:
            names = lambda s: sorted(m.group(1) for m in catalog.PLACEHOLDER.finditer(s))  # noqa: E731
            if names(en_text) != names(other):
                problems.append(f"{key}: placeholders {names(en_text)} vs {names(other)}")
    assert not problems, "\n".join(problems)


def test_fill_leaves_latex_and_unknown_names_alone():
    assert fill(r"h_{t-1} and {unit} at {p:.2f}", {"unit": 3, "p": 0.123}) == r"h_{t-1} and 3 at 0.12"
    assert fill("{missing}", {"other": 1}) == "{missing}"
    assert fill("{a}{a}", {"a": "x"}) == "xx"


def test_t_falls_back_to_english_and_reads_lists():
    key = next(k for k, v in entries("en").items() if isinstance(v, str))
    assert t(key, "en") == fill(entries("en")[key], {})
    assert t(key, "not-a-language") == t(key)  # an unknown language is the current one, never a crash
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    listed = next((k for k, v in entries("en").items() if not isinstance(v, str)), None)
    if listed is not None:
        assert items(listed, "en") == list(entries("en")[listed])
        with pytest.raises(TypeError):
            t(listed, "en")


def test_the_switch_names_each_language_in_itself():
    assert catalog.LANG_NAMES == {"en": "English", "zh": "简体中文"}
    assert set(catalog.LANG_NAMES) == set(LANGS)
