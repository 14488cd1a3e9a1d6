"""File uploaders with one stated limit, answered by the app in the page.

The uploader widget refuses a file above the server's `server.maxUploadSize` by itself, with only a tooltip on
the file's row, and shows that number in its drop zone. So the server's limit (.streamlit/config.toml) is set a
little above the app's own (MAX_UPLOAD_MB): a file between the two reaches the app, which says in the page what
is wrong. The label states the app's limit and the drop zone's number is hidden, so a learner reads one limit.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from rnnviz.catalog import t
from rnnviz.data.series import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from rnnviz.errors import DataError


def uploader(label: str, key: str, types: list[str], **kwargs) -> UploadedFile | None:
    """Draws a file uploader whose label ends with the app's size limit; returns the file (not yet size-checked)."""
    st.html(f"<style>.st-key-{key} [data-testid='stFileUploaderDropzoneInstructions'] {{display: none}}</style>")
    return st.file_uploader(t("common.upload.label", label=label, limit=MAX_UPLOAD_MB), type=types, key=key, **kwargs)


def check_size(file: UploadedFile) -> None:
    """Raises DataError (the app's own message) when an uploaded file is above the app's limit."""
    if file.size > MAX_UPLOAD_BYTES:
        raise DataError("errors.csv.upload_too_big", size=file.size / 1e6, limit=MAX_UPLOAD_MB)
