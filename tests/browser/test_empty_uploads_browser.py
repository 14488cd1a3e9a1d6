"""Empty run files in the lab, as a learner uploads them in Chromium: each gets the lab's own message."""

from __future__ import annotations

import pytest

from .conftest import find_page, open_page, page_problems, wait_for_app

LAB = find_page("Training_lab")
MESSAGES = {"empty.json": "not valid JSON", "empty.pt": "not a weights file"}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_an_empty_run_file_gets_a_clear_message(page, server, name):
    open_page(page, server.url, LAB)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    if uploader.count() == 0:  # the upload sits in the "Save, restore and share" expander
        page.locator('[data-testid="stExpander"] summary', has_text="Save, restore and share").click()
    uploader.first.wait_for(state="attached")
    uploader.first.set_input_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": b""}])
    alert = page.locator('[data-testid="stAlertContentError"]', has_text=MESSAGES[name])
    alert.first.wait_for(state="visible")  # the message this upload must produce, not any message
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page_problems(page)
    assert len(alert.first.inner_text()) > 20
