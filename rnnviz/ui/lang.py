"""The learner's language: from the link (?lang=zh), else the session's choice, else the browser's language.

It is chosen once at the top of every page (``choose``, called by ``setup_page``), kept in the session, carried
by every sidebar link and every share or class link, and switched in the sidebar.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz import catalog
from rnnviz.catalog import DEFAULT_LANG, LANG_NAMES, LANGS, t

PARAM = "lang"
KEY = "rnnviz_lang"
SWITCH_KEY = "rnnviz_lang_switch"


def from_locale(locale: str | None) -> str:
    """Returns the catalogue language for a browser locale ('zh-CN', 'zh-Hant-TW' -> 'zh'; anything else 'en')."""
    if isinstance(locale, str) and locale.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return DEFAULT_LANG


def current() -> str:
    """Returns the language of the session running this script ('en' outside a session)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT_LANG
    lang = st.session_state.get(KEY)
    return lang if lang in LANGS else DEFAULT_LANG


def choose() -> str:
    """Settles the session's language for this run: a valid ?lang= wins, then the session's, then the browser's.

    A link's unknown value is refused with a note and dropped from the address bar. The language is written into
    the URL so that reloading, bookmarking and copying the address keep it.
    """
    catalog.set_resolver(lambda: current())  # looked up at each call (a test may swap current)
    raw = st.query_params.get(PARAM)
    if raw in LANGS:
        st.session_state[KEY] = raw
    elif KEY not in st.session_state:
        try:
            locale = st.context.locale
        except Exception:  # noqa: BLE001 - no browser behind this session (AppTest): English
            locale = None
        st.session_state[KEY] = from_locale(locale)
    lang = current()
    if raw is not None and raw not in LANGS:
        st.warning(t("common.lang_refused", shown=str(raw)[:12].encode("unicode_escape").decode("ascii"),
                     names=", ".join(LANGS)), icon=":material/link_off:")
    if raw != lang:
        st.query_params[PARAM] = lang
    st.session_state[SWITCH_KEY] = lang
    return lang


def _switched() -> None:
    chosen = st.session_state.get(SWITCH_KEY)
    if chosen in LANGS:
        st.session_state[KEY] = chosen
        st.query_params[PARAM] = chosen


def switch(where=st.sidebar) -> None:
    """Draws the language switch (each language named in itself)."""
    where.segmented_control(t("common.lang_label"), LANGS, key=SWITCH_KEY, format_func=LANG_NAMES.get, required=True,
                            on_change=_switched, label_visibility="collapsed")


def link_params() -> dict[str, str]:
    """Returns the query parameters every link the app builds carries: the language."""
    return {PARAM: current()}

