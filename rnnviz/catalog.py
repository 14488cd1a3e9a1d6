"""Every word a learner reads, by name and language: ``t("gates.look_for", unit=3)``.

The catalogues are TOML files under ``assets/i18n/<lang>/<area>.toml``; a key is the file's name, then the
(possibly nested) table path inside it: ``gates.toml``'s ``[heatmap] title = "..."`` is ``gates.heatmap.title``.
A value is a string or a list of strings (guided steps, "try this" prompts). English is complete by
construction (tests/test_catalog.py fails on a key used in code but missing from it); another language may
lack a key for a while, and then the English entry is shown.

Placeholders are ``{name}`` or ``{name:.3g}``, filled from the keyword arguments; a brace group whose name was
not passed is left as it is, so LaTeX such as ``h_{t-1}`` needs no escaping. The result is the catalogue's own
Markdown: a caller that puts a learner's text into it escapes that text first (``rnnviz.ui.safe_text.plain``).

This module has no Streamlit: the app registers how to find the current session's language
(``set_resolver``); scripts, tests and benchmarks get English unless they pass ``lang``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import cache

from rnnviz.data.paths import ASSETS

CATALOGUES = ASSETS / "i18n"
LANGS: tuple[str, ...] = ("en", "zh")
DEFAULT_LANG = "en"
# Each language's name in itself: the switch shows these, whatever language the page is in.
LANG_NAMES: dict[str, str] = {"en": "English", "zh": "简体中文"}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")

Entry = str | tuple[str, ...]
_resolver: Callable[[], str] = lambda: DEFAULT_LANG  # noqa: E731 - replaced by the app at start


def set_resolver(resolver: Callable[[], str]) -> None:
    """Registers the function that says which language the current caller reads (the app's session)."""
    global _resolver
    _resolver = resolver


def language(lang: str | None = None) -> str:
    """Returns lang if it is a catalogue language, else the current caller's language."""
    if lang in LANGS:
        return lang
    found = _resolver()
    return found if found in LANGS else DEFAULT_LANG


def _flatten(prefix: str, table: dict, out: dict[str, Entry]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(key, value, out)
        elif isinstance(value, str):
            out[key] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = tuple(value)
        else:
            raise ValueError(f"catalogue entry {key} must be a string or a list of strings")


@cache
def entries(lang: str) -> dict[str, Entry]:
    """Returns every entry of one language's catalogues, by key (read once per process)."""
    out: dict[str, Entry] = {}
    folder = CATALOGUES / lang
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
        with path.open("rb") as f:
            _flatten(path.stem, tomllib.load(f), out)
    return out


def has(key: str, lang: str) -> bool:
    """Returns whether one language's own catalogue has the key (no fallback)."""
    return key in entries(lang)


def _entry(key: str, lang: str | None) -> Entry:
    lang = language(lang)
    found = entries(lang).get(key)
    if found is None:
        found = entries(DEFAULT_LANG).get(key)
    if found is None:
        raise KeyError(f"no catalogue entry '{key}'")
    return found


def fill(template: str, params: dict[str, object]) -> str:
    """Returns the template with its {name} / {name:spec} placeholders that params names filled in."""
    if not params:
        return template

    def one(m: re.Match[str]) -> str:
        name, spec = m.group(1), m.group(2)
        if name not in params:
            return m.group(0)
        return format(params[name], spec or "")

    return PLACEHOLDER.sub(one, template)


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    """Returns the entry called key in the caller's (or lang's) language, placeholders filled from params."""
    found = _entry(key, lang)
    if not isinstance(found, str):
        raise TypeError(f"catalogue entry '{key}' is a list: read it with items()")
    return fill(found, params)


def items(key: str, lang: str | None = None, /, **params: object) -> list[str]:
    """Returns a list entry (guided steps, prompts) in the caller's language, each item filled from params."""
    found = _entry(key, lang)
    if isinstance(found, str):
        raise TypeError(f"catalogue entry '{key}' is a string: read it with t()")
    return [fill(item, params) for item in found]


def choices(prefix: str, names: tuple[str, ...] | list[str], lang: str | None = None) -> dict[str, str]:
    """Returns {name: t(prefix.name)} for a widget's options, e.g. choices("lab.task", TASKS)."""
    return {name: t(f"{prefix}.{name}", lang) for name in names}


def names(prefix: str) -> list[str]:
    """Returns the names directly under a table, in the English catalogue's order (e.g. a prediction's options)."""
    start = prefix + "."
    found = [key[len(start):].split(".", 1)[0] for key in entries(DEFAULT_LANG) if key.startswith(start)]
    return list(dict.fromkeys(found))
