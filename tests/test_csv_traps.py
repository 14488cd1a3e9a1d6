"""CSV files as spreadsheets and other programs really write them: encodings, number styles, date order, size.

Each trap either reads right (with a note saying what was done) or gets a message that names the problem.
"""

from __future__ import annotations

import re
import time
import tomllib

import numpy as np
import pytest
from conftest import ROOT, app_test

from rnnviz.data.series import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    parse_series_csv,
    read_csv_table,
    series_from_table,
)
from rnnviz.errors import DataError

N = 30
VALUES = np.round(np.sin(np.arange(N) / 3) * 10 + 20, 2)
BODY = "date,value\n" + "".join(f"2021-03-{i + 1:02d},{v}\n" for i, v in enumerate(VALUES))


@pytest.mark.parametrize("encoded", [
    ("\ufeff" + BODY).encode("utf-16-le"), ("\ufeff" + BODY).encode("utf-16-be"), BODY.encode("utf-16"),
    BODY.encode("utf-8-sig"), BODY.encode("utf-16-le"), BODY.encode("utf-16-be"), BODY.encode("utf-32"),
], ids=["utf-16 LE BOM", "utf-16 BE BOM", "utf-16 native BOM", "utf-8 BOM", "utf-16 LE no BOM",
        "utf-16 BE no BOM", "utf-32 BOM"])
def test_unicode_encodings_are_read_not_called_binary(encoded):
    series = parse_series_csv(encoded, date_col="date")
    np.testing.assert_allclose(series.values, VALUES, rtol=1e-6)
    assert series.unit == "value" and series.labels[0] == "2021-03-01" and series.notes == ()


def test_a_real_binary_file_is_still_refused():
    with pytest.raises(DataError, match="binary"):
        parse_series_csv(b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 4)


def test_thousands_separators_are_read_and_named():
    rows = [f'2021-03-{i + 1:02d},"{1000 + 37 * i:,}.5"\n' for i in range(N)]
    series = parse_series_csv(("date,sales\n" + "".join(rows)).encode(), date_col="date")
    np.testing.assert_allclose(series.values, [1000.5 + 37 * i for i in range(N)])
    assert any("thousands separator" in n and "'1,000.5' was read as 1000.5" in n for n in series.notes), series.notes


def test_decimal_commas_in_a_semicolon_file_are_read_and_named():
    rows = [f"{i + 1:02d}.03.2021;{str(v).replace('.', ',')}\n" for i, v in enumerate(VALUES)]
    series = parse_series_csv(("Datum;Wert\n" + "".join(rows)).encode(), date_col="Datum")
    np.testing.assert_allclose(series.values, VALUES, rtol=1e-6)
    assert any("decimal comma" in n for n in series.notes), series.notes
    european = parse_series_csv(("Wert\n" + "1.234,5\n" * N).encode("utf-8"))  # dots between thousands
    assert european.values[0] == pytest.approx(1234.5)


def test_numbers_in_no_known_style_get_a_message_naming_the_styles():
    rows = [f"2021-03-{i + 1:02d},{'12.5 kg' if i in (3, 9) else i}\n" for i in range(N)]
    with pytest.raises(DataError) as err:
        parse_series_csv(("date,weight\n" + "".join(rows)).encode(), value_col="weight")
    message = str(err.value)
    assert "lines 5, 11" in message and "'12.5 kg'" in message and "1,234.5" in message and "12,5" in message
    with pytest.raises(DataError, match="decimal comma"):  # no numeric column at all: the styles are named too
        parse_series_csv(("date,weight\n" + "".join(f"2021-03-{i + 1:02d},12.5 kg\n" for i in range(N))).encode())


def test_unsorted_dates_are_sorted_with_a_note():
    order = np.random.default_rng(0).permutation(N)
    rows = "".join(f"2021-03-{i + 1:02d},{VALUES[i]}\n" for i in order)
    series = parse_series_csv(("date,value\n" + rows).encode(), date_col="date")
    np.testing.assert_allclose(series.values, VALUES, rtol=1e-6)
    assert series.labels == tuple(f"2021-03-{i + 1:02d}" for i in range(N))
    assert any("not in time order" in n and "sorted by 'date'" in n for n in series.notes), series.notes
    newest_first = parse_series_csv(("date,value\n" + "".join(BODY.splitlines(True)[1:][::-1])).encode(),
                                    date_col="date")
    np.testing.assert_allclose(newest_first.values, VALUES, rtol=1e-6)
    assert any("newest to oldest" in n for n in newest_first.notes)
    assert parse_series_csv(BODY.encode(), date_col="date").notes == ()  # in order: nothing to say


def test_duplicated_dates_are_reported_with_their_lines():
    lines = BODY.splitlines(True)
    doubled = "".join(lines[:6] + [lines[5]] + lines[6:])  # 2021-03-05 twice, on file lines 6 and 7
    with pytest.raises(DataError) as err:
        parse_series_csv(doubled.encode(), date_col="date")
    message = str(err.value)
    assert "2021-03-05" in message and "6, 7" in message and "one value per time step" in message
    frame = read_csv_table(doubled.encode())  # without a date column the rows are read in file order
    assert len(series_from_table(frame, "value")) == N + 1


def big_csv(rows: int) -> bytes:
    return ("t,value\n" + "".join(f"{i},{(i * 7919) % 1000 / 10}\n" for i in range(rows))).encode()


@pytest.mark.parametrize("how", ["last", "every"])
def test_200k_rows_are_capped_with_a_note_in_bounded_time(how):
    raw = big_csv(200_000)
    started = time.perf_counter()
    series = series_from_table(read_csv_table(raw), "value", "t", how=how)
    seconds = time.perf_counter() - started
    assert len(series) == MAX_ROWS and seconds < 10, seconds
    if how == "last":
        assert series.labels[0] == str(200_000 - MAX_ROWS) and "last 5,000" in series.notes[0]
    else:
        assert series.labels[:2] == ("0", "40") and "one row in every 40" in series.notes[0]


def test_a_file_above_the_limit_gets_the_apps_message():
    with pytest.raises(DataError, match=f"the limit is {MAX_UPLOAD_MB} MB"):
        read_csv_table(b"value\n" + b"1.5\n" * (MAX_UPLOAD_BYTES // 4 + 10))


def test_one_upload_limit_in_the_label_the_app_and_a_server_limit_just_above():
    server_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert MAX_UPLOAD_MB < server_mb <= MAX_UPLOAD_MB + 2  # the app, not the widget, answers a file just above
    at = app_test("pages/1_Forecasting.py")
    at.session_state["fc_steps"] = 5
    at.session_state["fc_hidden"] = 8
    at.run()
    at.selectbox(key="fc_source").set_value("upload").run()
    label = at.file_uploader(key="fc_file").label
    assert re.search(rf"up to {MAX_UPLOAD_MB} MB", label) and "5 MB" not in label, label


def shown(elements) -> list[str]:
    """Returns element bodies as the learner reads them (markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in elements]


def _series_title(at) -> str:
    import json

    spec = next(json.loads(el.proto.spec) for el in at.get("plotly_chart") if el.key == "fc_series")
    return spec["layout"]["title"]["text"].replace("<br>", " ")  # a long title wraps


def test_the_page_caps_a_long_upload_and_refuses_a_too_large_one_in_place(monkeypatch):
    from rnnviz.ui import cache

    monkeypatch.setitem(cache.DEFAULT_RUNS, "forecast", cache.DEFAULT_RUNS["forecast"])
    at = app_test("pages/1_Forecasting.py")
    at.session_state["fc_steps"] = 5
    at.session_state["fc_hidden"] = 8
    at.run()
    at.selectbox(key="fc_source").set_value("upload").run()
    started = time.perf_counter()
    at.file_uploader(key="fc_file").set_value(("long.csv", big_csv(200_000), "text/csv")).run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert time.perf_counter() - started < 120
    shorten = [r for r in at.radio if r.key and r.key.startswith("fc_shorten_")]
    assert shorten and "200,000 rows" in shorten[0].label
    assert any("last 5,000" in c for c in shown(at.caption))
    assert f"{MAX_ROWS:,} points" in _series_title(at) or f"{MAX_ROWS} points" in _series_title(at)
    shorten[0].set_value("every").run(timeout=300)
    assert any("one row in every 40" in c for c in shown(at.caption))
    too_big = b"value\n" + b"1.5\n" * (MAX_UPLOAD_BYTES // 4 + 10)
    at.file_uploader(key="fc_file").set_value(("huge.csv", too_big, "text/csv")).run(timeout=300)
    assert any(f"the limit is {MAX_UPLOAD_MB} MB" in e for e in shown(at.error)), shown(at.error)
    assert any("Still showing" in c and "long.csv" in c for c in shown(at.caption))
