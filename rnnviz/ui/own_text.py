"""The own-text box: paste or upload a text for the language model to train on; one call for a page."""

from __future__ import annotations

import hashlib

import streamlit as st

from rnnviz.catalog import t
from rnnviz.errors import DataError
from rnnviz.owntext import MAX_BYTES, OwnText, gate
from rnnviz.ui.core import error_box
from rnnviz.ui.safe_text import code_span, plain

PREVIEW_CHARS = 80  # characters of the cleaned text shown back


def own_text_box(key: str) -> str | None:
    """Draws a text area and a .txt uploader; returns the gated, cleaned own text, or None when there is none.

    An uploaded file wins over the pasted text. A bad text gets its message in the page, and the last good
    text (if any) stays the one returned, so nothing the learner had is lost. Put the returned text into the
    run's config with ``rnnviz.owntext.with_own_text``.
    """
    kept_key = f"{key}_kept"
    pasted = st.text_area(t("own_text.box.label"), key=f"{key}_paste", max_chars=MAX_BYTES, height=150,
                          help=t("own_text.box.help"))
    file = st.file_uploader(t("own_text.box.upload"), type=["txt"], key=f"{key}_file")
    raw: str | bytes = file.getvalue() if file is not None else (pasted or "")
    if file is not None and not raw.strip():  # an empty file: say so, and keep the last good text
        error_box(DataError("own_text.errors.empty_file", name=file.name))
        return st.session_state.get(kept_key)
    if not raw.strip():
        st.session_state.pop(kept_key, None)
        return None
    try:
        own = _gated(key, raw)
    except DataError as err:
        error_box(err)
        previous = st.session_state.get(kept_key)
        if previous:
            st.caption(t("own_text.box.previous", chars=len(previous)))
        return previous
    st.session_state[kept_key] = own.text
    if file is not None:
        st.caption(plain(t("own_text.box.using_file", name=file.name)))
    for line in own.summary():
        st.caption(plain(line))
    more = "…" if len(own.text) > PREVIEW_CHARS else ""
    st.caption(f"{plain(t('own_text.box.preview'))} {code_span(own.text[:PREVIEW_CHARS] + more)}")
    return own.text


def _gated(key: str, raw: str | bytes) -> OwnText:
    """Returns gate(raw), remembered per box by the text's digest: a rerun does not clean the same text again."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="replace")
    digest = hashlib.blake2b(data, digest_size=16).digest()
    memo = st.session_state.get(f"{key}_gated")
    if memo is not None and memo[0] == digest:
        return memo[1]
    own = gate(raw)
    st.session_state[f"{key}_gated"] = (digest, own)
    return own
