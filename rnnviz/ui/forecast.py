"""The forecasting lesson's widgets: the series (bundled or uploaded), live training of the forecasters, caches.

Trained forecasters are shared by every session through a small server-wide registry keyed by
(series digest, ForecastSpec): identical trainings run once, models are frozen (requires_grad False)
and never trained further. Each session also keeps its own references in st.session_state, so a
rerun or a bad upload never loses what the learner has already trained.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import forecast as fc
from rnnviz.config import CELL_LABELS, SeriesConfig
from rnnviz.data.series import (
    MAX_ROWS,
    NUMBER_STYLES,
    SHORTEN,
    TITLES,
    Series,
    numeric_columns,
    read_csv_table,
    series_from_table,
    split_point,
)
from rnnviz.errors import DataError
from rnnviz.rollout import Behaviour, classify_rollout, noise_level, why_text
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache, store, uploads
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.core import error_box
from rnnviz.ui.safe_text import code_span, plain, plotly_text

SOURCES = ("sine", "airline", "temperatures", "sunspots", "upload")
UPLOAD_KEY = "fc_upload_series"  # the last valid upload (Series); replaced only by a valid new one
FITTED_KEY = "fc_fitted"  # this session's trained forecasters: (digest, spec) -> Fitted
KINDS = (fc.MLP, "rnn_tanh", "gru", "lstm")
KIND_LABELS = {fc.MLP: "AR MLP (d2l)", **{c: CELL_LABELS[c] for c in KINDS[1:]}}
TRAIN_SECONDS = 60.0  # hard cap per model: a class shares 2 cores
NO_DATE = "(row number)"


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


# --- data ------------------------------------------------------------------------------------------

def choose_data() -> Data:
    """Draws the series choice, split, tau and upload panel; returns the data to show (never a bad upload)."""
    a, b, c = st.columns([2, 2, 1])
    source = query_value("series", SOURCES[0], SOURCES[:-1])  # an upload cannot travel in a link
    frac = round(query_value("split", 0.6, bounds=(0.3, 0.9)) * 20) / 20  # on the slider's 0.05 grid
    tau = query_value("tau", 4, bounds=(1, 64))
    source = control("series", source, lambda: a.selectbox(
        "Series", SOURCES, index=SOURCES.index(source), format_func=TITLES.get, key="fc_source"))
    frac = control("split", frac, lambda: b.slider(
        "Training part (fraction of the series)", 0.3, 0.9, frac, 0.05, key="fc_split",
        help="Models learn on the first part only; every error below is measured on the rest."))
    tau = control("tau", tau, lambda: c.number_input(
        "τ: values the MLP sees", 1, 64, tau, key="fc_tau",
        help="d2l uses τ = 4. The recurrent models read the whole history instead."))
    cfg = SeriesConfig(name=source, n_train=None, train_frac=float(frac), tau=int(tau))
    if source == "upload":
        uploaded = _upload_panel()
        if uploaded is not None:
            digest = hashlib.sha1(uploaded.values.tobytes() + uploaded.unit.encode()).hexdigest()[:16]
            return Data(uploaded, cfg, digest, f"Uploaded: {uploaded.unit}")
        st.info("No valid upload yet, so the lesson shows the d2l sine until one is loaded.", icon="ℹ️")
        cfg = replace(cfg, name="sine")
    return Data(cache.series(cfg), cfg, cfg.name, TITLES[cfg.name])


@st.cache_data(show_spinner=False, max_entries=4, ttl=600)  # up to 10 MB each, for the whole server
def _table(raw: bytes) -> pd.DataFrame:
    return read_csv_table(raw)


SHORTEN_LABELS = {"last": "the latest rows (same time step, shorter span)",
                  "every": "every k-th row (whole span, coarser time step)"}


def _upload_panel() -> Series | None:
    """Draws the uploader and column pickers; keeps the last valid series when a new file is bad."""
    file = uploads.uploader("A CSV with a header row, .csv or .txt", "fc_file", ["csv", "txt"],
                    help="One row per time step; pick the value column and, if there is one, the date column.")
    kept: tuple[str, Series] | None = st.session_state.get(UPLOAD_KEY)
    if file is not None:
        try:
            uploads.check_size(file)
            frame = _table(file.getvalue())
            numeric = numeric_columns(frame)
            if not numeric:
                raise DataError("The CSV has no numeric column; pick one of: " + ", ".join(frame.columns)
                                + f". Make sure its values are numbers, written {NUMBER_STYLES} (not '12,5 kg').")
            a, b = st.columns(2)
            value = a.selectbox("Value column", list(frame.columns), index=list(frame.columns).index(numeric[-1]),
                                key=f"fc_value_{file.file_id}")
            dates = [NO_DATE] + [col for col in frame.columns if col != value]
            date = b.selectbox("Date column (hover labels)", dates, index=1 if len(dates) > 1 else 0,
                               key=f"fc_date_{file.file_id}")
            how = "last"
            if len(frame) > MAX_ROWS:
                how = st.radio(f"The file has {len(frame):,} rows; the lesson uses at most {MAX_ROWS:,}. Keep",
                               SHORTEN, format_func=SHORTEN_LABELS.get, horizontal=True, key=f"fc_shorten_{file.file_id}")
            series = series_from_table(frame, value, None if date == NO_DATE else date, how=how)
            kept = (file.name, _for_charts(series))
            st.session_state[UPLOAD_KEY] = kept
            for note in series.notes:
                st.caption(plain(note))
        except DataError as err:
            error_box(err)
            if kept is not None:
                st.caption(f"Still showing your previous upload, {code_span(kept[0])}; it stays until a valid file "
                           "replaces it.")
    return kept[1] if kept is not None else None


def _for_charts(series: Series) -> Series:
    """Returns the series with its column name and date labels escaped for plotly titles and hover text."""
    return replace(series, unit=plotly_text(series.unit), labels=tuple(plotly_text(v) for v in series.labels))


# --- models ----------------------------------------------------------------------------------------

class _Registry:
    """Server-wide trained forecasters (frozen): one training per (digest, spec), oldest dropped first."""

    def __init__(self, max_entries: int = 64):
        self.max_entries, self.lock = max_entries, threading.Lock()
        self.items: OrderedDict[tuple[str, fc.ForecastSpec], fc.Fitted] = OrderedDict()

    def get(self, key: tuple[str, fc.ForecastSpec]) -> fc.Fitted | None:
        with self.lock:
            return self.items.get(key)

    def put(self, key: tuple[str, fc.ForecastSpec], fitted: fc.Fitted) -> None:
        with self.lock:
            self.items[key] = fitted
            while len(self.items) > self.max_entries:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False, max_entries=1)
def _registry() -> _Registry:
    return _Registry()


HIDDEN_SIZES, STEP_CHOICES = (8, 16, 32, 64), (30, 100, 200, 300, 500, 1000)


def form_presets() -> tuple[list[str], int, int, int, bool]:
    """Returns a lesson link's training presets: (forecaster kinds, hidden size, steps, seed, log)."""
    kinds = [k for k in query_value("models", "").split(",") if k in KINDS] or [fc.MLP, "gru"]
    return (kinds, query_value("hidden", 32, HIDDEN_SIZES), query_value("steps", 300, STEP_CHOICES),
            query_value("seed", 0, bounds=(0, 999)), query_value("log", "0") == "1")


def model_form(data: Data) -> tuple[list[str], list[fc.ForecastSpec]]:
    """Draws the model choice and training settings (applied on Train); returns (own model names, specs)."""
    own = [name for name, e in store.models().items()
           if e.cfg.task == "forecast" and e.cfg.series.name == data.cfg.name]
    options = list(KINDS) + [f"mine: {name}" for name in own]
    chosen, hidden, steps, seed, log = control("forecasters", form_presets(), lambda: _form(options, *form_presets()))
    kinds = [o for o in chosen if o in KINDS]
    specs = [fc.ForecastSpec(kind=k, series=data.cfg, hidden_size=int(hidden), steps=int(steps), seed=int(seed),
                             log=bool(log)) for k in kinds]
    return [o.removeprefix("mine: ") for o in chosen if o.startswith("mine: ")], specs


def _form(options: list[str], kinds: list[str], hidden: int, steps: int, seed: int,
          log: bool) -> tuple[list[str], int, int, int, bool]:
    """Draws the training form (values apply when Train is pressed); returns what it holds."""
    with st.form("fc_form", border=True):
        a, b, c, d = st.columns([3, 1, 1, 1])
        chosen = a.multiselect("Forecasters to train and compare", options, default=kinds,
                               format_func=lambda o: KIND_LABELS.get(o, o), key="fc_models",
                               help="Your own forecasters come from the training lab (same series only).")
        hidden = b.select_slider("Hidden size", HIDDEN_SIZES, hidden, key="fc_hidden")
        steps = c.select_slider("Training steps", STEP_CHOICES, steps, key="fc_steps",
                                help="Recurrent models only; the MLP trains 5 epochs, like d2l.")
        seed = d.number_input("Seed", 0, 999, seed, key="fc_seed")
        log = st.toggle("Model log(x) (for a series whose swings grow with its level, like airline passengers)",
                        value=log, key="fc_log")
        st.form_submit_button("Train", key="fc_train", type="primary")
    return chosen, hidden, steps, seed, log


def link_params(data: Data, specs: list[fc.ForecastSpec]) -> dict[str, object]:
    """Returns a class link's presets that reproduce the series and forecasters on screen (uploads cannot travel)."""
    spec = specs[0] if specs else None
    return {"series": data.cfg.name, "split": round(data.cfg.train_frac, 2), "tau": data.cfg.tau,
            "models": ",".join(s.kind for s in specs) or None,
            "hidden": spec.hidden_size if spec else None, "steps": spec.steps if spec else None,
            "seed": (spec.seed or None) if spec else None, "log": "1" if spec and spec.log else None}


def label_of(spec: fc.ForecastSpec) -> str:
    """Returns a model's legend label."""
    return KIND_LABELS[spec.kind] if spec.kind == fc.MLP else f"{KIND_LABELS[spec.kind]} (H={spec.hidden_size})"


def train_missing(data: Data, specs: list[fc.ForecastSpec]) -> dict[str, fc.Fitted]:
    """Returns the chosen forecasters, training (live, with progress) those nobody on the server has trained yet."""
    mine: dict = st.session_state.setdefault(FITTED_KEY, {})
    out = {}
    for spec in specs:
        key = (data.digest, spec)
        fitted = mine.get(key) or _registry().get(key)
        if fitted is None:
            fitted = _train_live(data, spec)
            _registry().put(key, fitted)
        mine[key] = fitted
        out[label_of(spec)] = fitted
    return out


def _train_live(data: Data, spec: fc.ForecastSpec) -> fc.Fitted:
    total = fc.mlp_steps(spec, data.n_train) if spec.kind == fc.MLP else spec.steps
    bar = st.progress(0.0, text=f"Training {label_of(spec)}…")

    def report(m) -> None:
        if m.step % 10 == 0 or m.step == total:
            bar.progress(min(m.step / total, 1.0), text=f"Training {label_of(spec)}: step {m.step} of {total}, "
                                                         f"loss {m.loss:.4f}")

    fitted = fc.fit_forecaster(spec, data.series, seconds=TRAIN_SECONDS, callback=report)
    bar.empty()
    return fitted


def own_models(data: Data, names: list[str]) -> dict[str, fc.Fitted]:
    """Returns the learner's lab forecasters as Fitted, each with the scaling of the split it was trained on."""
    out = {}
    for name in names:
        entry = store.models().get(name)
        if entry is None:
            continue
        _, n_train, scaler = scaled_series(cache.series(entry.cfg.series), entry.cfg.series)  # its own scaling
        m = entry.cfg.model
        spec = fc.ForecastSpec(kind=m.cell, series=entry.cfg.series, hidden_size=m.hidden_size,
                               steps=entry.run.steps_done, lr=entry.cfg.train.lr, seed=entry.cfg.train.seed)
        # The label is a chart legend: a run name is shown as text there.
        out[f"mine: {plotly_text(name)}"] = fc.Fitted(spec, entry.run.model, scaler, n_train,
                                                      tuple(h.loss for h in entry.run.history))
    return out


def status_table(models: dict[str, fc.Fitted]) -> pd.DataFrame:
    """Returns one row per model: steps trained, last loss and anything that cut training short."""
    return pd.DataFrame([{"model": label, "steps": len(f.losses),
                          "final training loss (scaled)": f"{np.mean(f.losses[-10:]):.4f}" if f.losses else "—",
                          "note": f.stopped_early or ""} for label, f in models.items()])


def what_it_did(data: Data, label: str, start: int, rollout: np.ndarray) -> tuple[Behaviour, str]:
    """Returns what the fed-back rollout from `start` did on this series, and the paragraph explaining why."""
    values = data.series.values
    did = classify_rollout(rollout, values[:start], values[start:start + len(rollout)])
    noise = noise_level(values[:data.n_train], data.cfg.tau)
    name = "the sine" if data.cfg.name == "sine" else plain(data.title)  # an upload's title is the learner's text
    unit = "" if data.series.unit in ("", "x") else f" {plain(data.series.unit)}"  # the sine's values have no unit
    return did, why_text(name, noise, did, plain(label), fmt=lambda v: f"{v:.3g}{unit}")


def horizon_caption(did: Behaviour) -> str:
    """Returns the k-step chart's caption, matching what this model's rollout did."""
    far = {"constant": "after many fed-back steps the forecast sits on the constant its rollout settles on, and "
                       "jumps between such constants as the starting window changes.",
           "overshoots": "after many fed-back steps the forecast has run away from the data, as the rollout above does.",
           "oscillates": "after many fed-back steps the forecast swings with the model's own rhythm, not the data's.",
           "follows": "this model's fed-back steps stay close to the data, so even large k keeps the series' shape.",
           "drifts": "after many fed-back steps the forecast has drifted away from the data."}[did.kind]
    return f"Small k hugs the data. Large k: {far}"


# --- cached forecasts --------------------------------------------------------------------------------

def evaluation(data: Data, label: str, fitted: fc.Fitted, max_k: int) -> fc.Evaluation:
    """Returns the model's forecasts from every test start (shared models cached per server)."""
    starts = np.arange(data.n_train, len(data.series))
    if label.startswith("mine: "):
        return fc.evaluate(fitted, data.series.values, starts, max_k)
    return _evaluation(data.digest, fitted.spec, data.n_train, max_k, fitted, data.series.values)


@st.cache_resource(show_spinner="Forecasting every test point…", max_entries=64)
def _evaluation(digest: str, spec: fc.ForecastSpec, n_train: int, max_k: int, _fitted: fc.Fitted,
                _values: np.ndarray) -> fc.Evaluation:
    return fc.evaluate(_fitted, _values, np.arange(n_train, len(_values)), max_k)


@st.cache_resource(show_spinner="Reading the hidden states…", max_entries=32)
def _probe(digest: str, spec: fc.ForecastSpec, tau: int, ks: tuple[int, ...], _fitted: fc.Fitted,
           _values: np.ndarray) -> pd.DataFrame:
    return fc.memory_probe(_fitted, _values, tau, ks)


def probe(data: Data, label: str, fitted: fc.Fitted, ks: tuple[int, ...]) -> pd.DataFrame:
    """Returns the memory probe of a recurrent model on the data (shared models cached per server)."""
    if label.startswith("mine: "):
        return fc.memory_probe(fitted, data.series.values, data.cfg.tau, ks)
    return _probe(data.digest, fitted.spec, data.cfg.tau, ks, fitted, data.series.values)
