"""The forecasting lesson's data: the series choice (bundled or uploaded), its split and tau, the upload panel.

A bad upload never replaces a good one: the last valid series stays in st.session_state until a valid file
replaces it, and the page says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from rnnviz.catalog import choices, t
from rnnviz.config import SeriesConfig
from rnnviz.data.series import MAX_ROWS, SHORTEN, Series, numeric_columns, read_csv_table, series_from_table, split_point
from rnnviz.errors import DataError
from rnnviz.ui import cache, uploads
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import error_box
from rnnviz.ui.safe_text import code_span, plain, plotly_text

SOURCES = ("sine", "airline", "temperatures", "sunspots", "upload")
BUNDLED_UNITS = ("airline", "temperatures", "sunspots")  # the sine's values have no unit; an upload's is its column
UPLOAD_KEY = "fc_upload_series"  # the last valid upload: (file name, Series); replaced only by a valid new one
NO_DATE = "(row number)"  # the date picker's option for "no date column" (its words: forecasting.upload.no_date)


@dataclass(frozen=True)
class Data:
    """The series the lesson is showing, the config that splits it and a digest that identifies it."""

    series: Series
    cfg: SeriesConfig
    digest: str
    title: str

    @property
    def n_train(self) -> int:
        """Returns how many leading points train."""
        return split_point(len(self.series), self.cfg)


def choose_data() -> Data:
    """Draws the series choice, split, tau and upload panel; returns the data to show (never a bad upload)."""
    a, b, c = st.columns([2, 2, 1])
    source = query_value("series", SOURCES[0], SOURCES[:-1])  # an upload cannot travel in a link
    frac = round(query_value("split", 0.6, bounds=(0.3, 0.9)) * 20) / 20  # on the slider's 0.05 grid
    tau = query_value("tau", 4, bounds=(1, 64))
    titles = choices("forecasting.series", SOURCES)
    source = control("series", source, lambda: a.selectbox(
        t("forecasting.data.series"), SOURCES, index=SOURCES.index(source), format_func=titles.get, key="fc_source"))
    frac = control("split", frac, lambda: b.slider(
        t("forecasting.data.split"), 0.3, 0.9, frac, 0.05, key="fc_split", help=t("forecasting.data.split_help")))
    tau = control("tau", tau, lambda: c.number_input(
        t("forecasting.data.tau"), 1, 64, tau, key="fc_tau", help=t("forecasting.data.tau_help")))
    cfg = SeriesConfig(name=source, n_train=None, train_frac=float(frac), tau=int(tau))
    if source == "upload":
        uploaded = _upload_panel()
        if uploaded is not None:
            digest = hashlib.sha1(uploaded.values.tobytes() + uploaded.unit.encode()).hexdigest()[:16]
            return Data(uploaded, cfg, digest, t("forecasting.data.uploaded", unit=uploaded.unit))
        st.info(t("forecasting.data.no_upload"), icon="ℹ️")
        cfg = replace(cfg, name="sine")
    series = cache.series(cfg)
    if cfg.name in BUNDLED_UNITS:  # the value axis in the learner's language (a copy: the cached series is shared)
        series = replace(series, unit=t(f"forecasting.units.{cfg.name}"))
    return Data(series, cfg, cfg.name, titles[cfg.name])


@st.cache_data(show_spinner=False, max_entries=4, ttl=600)  # up to 10 MB each, for the whole server
def _table(raw: bytes) -> pd.DataFrame:
    return read_csv_table(raw)


def _upload_panel() -> Series | None:
    """Draws the uploader and column pickers; keeps the last valid series when a new file is bad."""
    file = uploads.uploader(t("forecasting.upload.label"), "fc_file", ["csv", "txt"],
                            help=t("forecasting.upload.help"))
    kept: tuple[str, Series] | None = st.session_state.get(UPLOAD_KEY)
    if file is not None:
        try:
            uploads.check_size(file)
            frame = _table(file.getvalue())
            numeric = numeric_columns(frame)
            if not numeric:
                raise DataError("forecasting.errors.no_numeric", columns=", ".join(map(str, frame.columns)))
            a, b = st.columns(2)
            value = a.selectbox(t("forecasting.upload.value_column"), list(frame.columns),
                                index=list(frame.columns).index(numeric[-1]), key=f"fc_value_{file.file_id}")
            dates = [NO_DATE] + [col for col in frame.columns if col != value]
            date = b.selectbox(t("forecasting.upload.date_column"), dates, index=1 if len(dates) > 1 else 0,
                               format_func=lambda col: t("forecasting.upload.no_date") if col == NO_DATE else col,
                               key=f"fc_date_{file.file_id}")
            how = "last"
            if len(frame) > MAX_ROWS:
                how = st.radio(t("forecasting.upload.too_many_rows", rows=len(frame), limit=MAX_ROWS), SHORTEN,
                               format_func=choices("forecasting.upload.shorten", SHORTEN).get, horizontal=True,
                               key=f"fc_shorten_{file.file_id}")
            series = series_from_table(frame, value, None if date == NO_DATE else date, how=how)
            kept = (file.name, _for_charts(series))
            st.session_state[UPLOAD_KEY] = kept
            for note in series.notes:
                st.caption(plain(note))
        except DataError as err:
            error_box(err)
            if kept is not None:
                st.caption(t("forecasting.upload.kept", name=code_span(kept[0])))
    return kept[1] if kept is not None else None


def _for_charts(series: Series) -> Series:
    """Returns the series with its column name and date labels escaped for plotly titles and hover text."""
    return replace(series, unit=plotly_text(series.unit), labels=tuple(plotly_text(v) for v in series.labels))
