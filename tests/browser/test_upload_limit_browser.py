"""The upload limit in real Chromium: the label states it, and a file just above it reaches the app, which says
in the page what is wrong (the server's own limit is set a little higher so that it can)."""

from __future__ import annotations

from rnnviz.data.series import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

from .conftest import FIRST_VISIT_MS, RERUN_MS, wait_for_app

ERROR_BOX = '[data-testid="stAlertContentError"]'


def test_a_file_just_above_the_limit_gets_the_apps_message_in_the_page(page, server_url, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"value\n" + b"1.5\n" * ((MAX_UPLOAD_BYTES + 500_000) // 4))
    page.goto(f"{server_url}/Forecasting", wait_until="domcontentloaded", timeout=FIRST_VISIT_MS)
    page.wait_for_selector(".st-key-fc_series .js-plotly-plot", timeout=FIRST_VISIT_MS)
    wait_for_app(page, timeout_ms=FIRST_VISIT_MS)
    page.locator(".st-key-fc_source").click()
    page.get_by_role("option", name="Uploaded series").click()
    uploader = page.locator(".st-key-fc_file")
    uploader.locator("input[type=file]").wait_for(state="attached", timeout=RERUN_MS)
    wait_for_app(page)
    assert f"(up to {MAX_UPLOAD_MB} MB)" in uploader.inner_text()
    assert uploader.locator('[data-testid="stFileUploaderDropzoneInstructions"]').is_hidden()  # one number only
    uploader.locator("input[type=file]").set_input_files(str(big))
    page.wait_for_selector(ERROR_BOX, timeout=RERUN_MS)
    wait_for_app(page)
    message = page.locator(ERROR_BOX).first.inner_text()
    assert f"the limit is {MAX_UPLOAD_MB} MB" in message and "10.5 MB" in message, message
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".st-key-fc_series .js-plotly-plot").count() == 1  # the lesson goes on with the sine
