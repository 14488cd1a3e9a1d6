"""The forecasting lesson's forecasters: live training, the learner's own lab models, labels, tables, caches.

Trained forecasters are shared by every session through a small server-wide registry keyed by
(series digest, ForecastSpec): identical trainings run once, models are frozen (requires_grad False)
and never trained further. Each session also keeps its own references in st.session_state, so a
rerun or a bad upload never loses what the learner has already trained.

A model is named by a language-independent label ('AR MLP (d2l)', 'GRU (H=32)', 'mine: <run name>'): the
dictionaries, the focus a class link carries and the line colours use it; `shown` gives its words on screen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import forecast as fc
from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS
from rnnviz.rollout import Behaviour, classify_rollout, noise_level, why_text
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache, store
from rnnviz.ui.affordances import control, query_value
from rnnviz.ui.forecast_data import Data
from rnnviz.ui.safe_text import plain, plotly_text

FITTED_KEY = "fc_fitted"  # this session's trained forecasters: (digest, spec) -> Fitted
KINDS = (fc.MLP, "rnn_tanh", "gru", "lstm")
MINE = "mine: "  # a learner's own model's label starts with this
TRAIN_SECONDS = 60.0  # hard cap per model: a class shares 2 cores


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
    options = list(KINDS) + [MINE + name for name in own]
    chosen, hidden, steps, seed, log = control("forecasters", form_presets(), lambda: _form(options, *form_presets()))
    kinds = [o for o in chosen if o in KINDS]
    specs = [fc.ForecastSpec(kind=k, series=data.cfg, hidden_size=int(hidden), steps=int(steps), seed=int(seed),
                             log=bool(log)) for k in kinds]
    return [o.removeprefix(MINE) for o in chosen if o.startswith(MINE)], specs


def _form(options: list[str], kinds: list[str], hidden: int, steps: int, seed: int,
          log: bool) -> tuple[list[str], int, int, int, bool]:
    """Draws the training form (values apply when Train is pressed); returns what it holds."""
    with st.form("fc_form", border=True):
        a, b, c, d = st.columns([3, 1, 1, 1])
        chosen = a.multiselect(t("forecasting.models.choose"), options, default=kinds, format_func=_option,
                               key="fc_models", help=t("forecasting.models.choose_help"))
        hidden = b.select_slider(t("forecasting.models.hidden"), HIDDEN_SIZES, hidden, key="fc_hidden")
        steps = c.select_slider(t("forecasting.models.steps"), STEP_CHOICES, steps, key="fc_steps",
                                help=t("forecasting.models.steps_help"))
        seed = d.number_input(t("forecasting.models.seed"), 0, 999, seed, key="fc_seed")
        log = st.toggle(t("forecasting.models.log"), value=log, key="fc_log")
        st.form_submit_button(t("forecasting.models.train"), key="fc_train", type="primary")
    return chosen, hidden, steps, seed, log


def link_params(data: Data, specs: list[fc.ForecastSpec]) -> dict[str, object]:
    """Returns a class link's presets that reproduce the series and forecasters on screen (uploads cannot travel)."""
    spec = specs[0] if specs else None
    return {"series": data.cfg.name, "split": round(data.cfg.train_frac, 2), "tau": data.cfg.tau,
            "models": ",".join(s.kind for s in specs) or None,
            "hidden": spec.hidden_size if spec else None, "steps": spec.steps if spec else None,
            "seed": (spec.seed or None) if spec else None, "log": "1" if spec and spec.log else None}


def _option(option: str) -> str:
    """Returns the words for one option of the forecaster picker (a kind, or one of the learner's models)."""
    if option.startswith(MINE):
        return t("forecasting.models.mine", name=option.removeprefix(MINE))
    return t("forecasting.models.mlp") if option == fc.MLP else CELL_LABELS[option]


def label_of(spec: fc.ForecastSpec) -> str:
    """Returns a model's language-independent label (the key of its results, and of a link's focus)."""
    return "AR MLP (d2l)" if spec.kind == fc.MLP else f"{CELL_LABELS[spec.kind]} (H={spec.hidden_size})"


def shown(label: str, fitted: fc.Fitted) -> str:
    """Returns a model's name in the learner's language, for legends, tables and pickers."""
    if label.startswith(MINE):
        return t("forecasting.models.mine", name=label.removeprefix(MINE))
    return _spec_words(fitted.spec)


def _spec_words(spec: fc.ForecastSpec) -> str:
    if spec.kind == fc.MLP:
        return t("forecasting.models.mlp")
    return t("forecasting.models.recurrent", cell=CELL_LABELS[spec.kind], hidden=spec.hidden_size)


def names(models: dict[str, fc.Fitted]) -> dict[str, str]:
    """Returns each model's words on screen, by label."""
    return {label: shown(label, fitted) for label, fitted in models.items()}


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
    model = _spec_words(spec)
    bar = st.progress(0.0, text=t("forecasting.models.training", model=model))

    def report(m) -> None:
        if m.step % 10 == 0 or m.step == total:
            bar.progress(min(m.step / total, 1.0), text=t("forecasting.models.training_step", model=model,
                                                          step=m.step, total=total, loss=m.loss))

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
        out[MINE + plotly_text(name)] = fc.Fitted(spec, entry.run.model, scaler, n_train,
                                                  tuple(h.loss for h in entry.run.history))
    return out


def status_table(models: dict[str, fc.Fitted]) -> pd.DataFrame:
    """Returns one row per model: steps trained, last loss and anything that cut training short."""
    return pd.DataFrame([{t("forecasting.status.model"): shown(label, f), t("forecasting.status.steps"): len(f.losses),
                          t("forecasting.status.loss"): f"{np.mean(f.losses[-10:]):.4f}" if f.losses else "—",
                          t("forecasting.status.note"): _note(f)} for label, f in models.items()])


def _note(fitted: fc.Fitted) -> str:
    """Returns why a model's training stopped before its budget ('' when it did not)."""
    if fitted.stopped_early:
        return fitted.stopped_early
    if len(fitted.losses) < fitted.steps:
        return t("forecasting.status.time_limit", step=len(fitted.losses), total=fitted.steps)
    return ""


def what_it_did(data: Data, label: str, start: int, rollout: np.ndarray) -> tuple[Behaviour, str]:
    """Returns what the fed-back rollout from `start` did on this series, and the paragraph explaining why.

    label is the model's name as the learner reads it (`shown`); it is escaped here, like the series' name.
    """
    values = data.series.values
    did = classify_rollout(rollout, values[:start], values[start:start + len(rollout)])
    noise = noise_level(values[:data.n_train], data.cfg.tau)
    # a series' name, quoted where the language wants it; an upload's title holds the learner's column name
    name = t("forecasting.why.the_sine") if data.cfg.name == "sine" else t("forecasting.why.named", title=plain(data.title))
    unit = "" if data.series.unit in ("", "x") else f" {plain(data.series.unit)}"  # the sine's values have no unit
    return did, why_text(name, noise, did, plain(label), fmt=lambda v: f"{v:.3g}{unit}")


def horizon_caption(did: Behaviour) -> str:
    """Returns the k-step chart's caption, matching what this model's rollout did."""
    return t("forecasting.horizon_caption.lead", far=t(f"forecasting.horizon_caption.{did.kind}"))


# --- cached forecasts --------------------------------------------------------------------------------

def evaluation(data: Data, label: str, fitted: fc.Fitted, max_k: int) -> fc.Evaluation:
    """Returns the model's forecasts from every test start (shared models cached per server)."""
    starts = np.arange(data.n_train, len(data.series))
    if label.startswith(MINE):
        return fc.evaluate(fitted, data.series.values, starts, max_k)
    with st.spinner(t("forecasting.spinner.evaluation")):  # shows only when the cache misses (after 0.5 s)
        return _evaluation(data.digest, fitted.spec, data.n_train, max_k, fitted, data.series.values)


@st.cache_resource(show_spinner=False, max_entries=64)
def _evaluation(digest: str, spec: fc.ForecastSpec, n_train: int, max_k: int, _fitted: fc.Fitted,
                _values: np.ndarray) -> fc.Evaluation:
    return fc.evaluate(_fitted, _values, np.arange(n_train, len(_values)), max_k)


@st.cache_resource(show_spinner=False, max_entries=32)
def _probe(digest: str, spec: fc.ForecastSpec, tau: int, ks: tuple[int, ...], _fitted: fc.Fitted,
           _values: np.ndarray) -> pd.DataFrame:
    return fc.memory_probe(_fitted, _values, tau, ks)


def probe(data: Data, label: str, fitted: fc.Fitted, ks: tuple[int, ...]) -> pd.DataFrame:
    """Returns the memory probe of a recurrent model on the data (shared models cached per server)."""
    if label.startswith(MINE):
        return fc.memory_probe(fitted, data.series.values, data.cfg.tau, ks)
    with st.spinner(t("forecasting.spinner.probe")):
        return _probe(data.digest, fitted.spec, data.cfg.tau, ks, fitted, data.series.values)
