"""Streamlit side of the gradient lessons: cached curves, the memory-task queue and the live clipping/truncation runs."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import streamlit as st

from rnnviz import gradients as grad
from rnnviz import lm_gradients as lmg
from rnnviz import memory_queue
from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.config import RunConfig, TextConfig
from rnnviz.memory_queue import MemoryLab, enqueue, memory_tick, series_label
from rnnviz.models import RecurrentModel
from rnnviz.plots import gradients as plots
from rnnviz.predictions import Answer, first_step_gradient
from rnnviz.ui import cache, selection
from rnnviz.ui.affordances import live_chart
from rnnviz.ui.safe_text import plain, plotly_text
from rnnviz.ui.store import ModelEntry, active

GRAD_CELLS = memory_queue.CELLS
LOSS_MODES = lmg.LOSS_MODES  # option values; the radio shows gradients.loss.<mode>
SOURCES = ("memory", "lm")  # section 1's models: the memory task's, or the character LMs (defaults and yours)
TICK_SECONDS = 0.4  # training wall time per refresh, shared by the runs of one panel
REFRESH_SECONDS = 0.7


def loss_label(mode: str) -> str:
    """Returns the learner's words for a loss mode ('last' / 'every')."""
    return t(f"gradients.loss.{mode}")


def source_label(source: str) -> str:
    """Returns the learner's words for a source of models ('memory' / 'lm')."""
    return t(f"gradients.source.{source}")


# --- gradients across timesteps on a language model -----------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def passage_batch(text: TextConfig, length: int, batch: int = 8, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Returns (ids (B, length + 1) from seeded offsets in the corpus, the first passage's tokens)."""
    corpus = cache.corpus(text)
    ids = lmg.passage_ids(corpus.indices, length, batch, seed)
    return ids, corpus.vocab.decode(ids[0, :-1])


def _default_model(cfg: RunConfig, trained: bool) -> RecurrentModel:
    return cache.trained_run(cfg).model if trained else cache.untrained_model(cfg)


@st.cache_data(show_spinner=False, max_entries=64)
def default_grads(cfg: RunConfig, trained: bool, length: int, mode: str) -> np.ndarray:
    """Returns lm_grads of a default model (trained, or at initialisation) on the shared passage batch."""
    return lmg.lm_grads(_default_model(cfg, trained), passage_batch(cfg.text, length)[0], mode)


@st.cache_data(show_spinner=False, max_entries=64)
def default_sensitivity(cfg: RunConfig, trained: bool, length: int) -> np.ndarray:
    """Returns lm_sensitivity of a default model on the shared first passage."""
    return lmg.lm_sensitivity(_default_model(cfg, trained), passage_batch(cfg.text, length)[0])


def own_lm() -> ModelEntry | None:
    """Returns the learner's chosen language model (ModelEntry), if the active one is a language model."""
    entry = active()
    return entry if entry is not None and entry.cfg.task == "lm" else None


MEMORY_DELAY, MEMORY_FORGET_BIAS = 20, 3.0  # k = 20: all three gated models learn it in the budget


@st.cache_resource(show_spinner=False, max_entries=4)
def memory_models(delay: int) -> dict[str, tuple[RecurrentModel, RecurrentModel]]:
    """Returns {label: (trained model, the same model at initialisation)} on the memory task (shared read-only)."""
    out = {}
    for cell in GRAD_CELLS:
        run = grad.memory_run(cell, delay, forget_bias=MEMORY_FORGET_BIAS)
        init = copy.deepcopy(run.model).requires_grad_(False)
        run.run(MEMORY_STEPS)
        out[series_label(cell, MEMORY_FORGET_BIAS)] = (run.model.eval().requires_grad_(False), init)
    return out


@st.cache_data(show_spinner=False, max_entries=4)
def memory_curves(delay: int) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """Returns the across-architecture curves of the memory-task models on 32 fresh sequences, and one's tokens."""
    return lmg.memory_curves(memory_models(delay), delay)


def across_architectures(length: int, mode: str) -> dict[str, dict[str, np.ndarray]]:
    """Returns {'grads', 'grads0', 'sens', 'sens0'} -> {legend label -> curve}: trained and at initialisation."""
    out = {k: {} for k in lmg.CURVES}
    base = cache.DEFAULT_RUNS["lm"]
    with st.spinner(t("gradients.spinner.grads")):
        for cell in GRAD_CELLS:
            cfg = replace(base, model=replace(base.model, cell=cell))
            label = t("gradients.legend.default", cell=grad_label(cell))
            for suffix, trained in (("", True), ("0", False)):
                out["grads" + suffix][label] = default_grads(cfg, trained, length, mode)
                out["sens" + suffix][label] = default_sensitivity(cfg, trained, length)
    entry = own_lm()
    if entry is not None:
        ids = passage_batch(entry.cfg.text, length)[0]
        mine = {k: {} for k in out}
        for suffix, model in (("", entry.run.model), ("0", cache.untrained_model(entry.cfg))):
            mine["grads" + suffix][own_label(entry)] = lmg.lm_grads(model, ids, mode)
            mine["sens" + suffix][own_label(entry)] = lmg.lm_sensitivity(model, ids)
        out = {k: mine[k] | out[k] for k in out}  # yours first in the legend
    return out


def own_label(entry: ModelEntry) -> str:
    """Returns the legend name of the learner's own model."""
    return t("gradients.legend.yours", name=entry.name)


def section_curves(source: str, length: int, mode: str) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """Returns section 1's curves ({measure: {legend name: curve}}) and the tokens read."""
    if source == SOURCES[0]:
        with st.spinner(t("gradients.spinner.memory")):  # shown only when the models are not cached yet
            curves, tokens = memory_curves(MEMORY_DELAY)
    else:
        curves, tokens = across_architectures(length, mode), passage_batch(cache.DEFAULT_RUNS["lm"].text, length)[1]
    return curves, tokens


def for_plotly(curves: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    """Returns the curves with legend names safe for Plotly (a learner's run name is one)."""
    return {c: {plotly_text(k): v for k, v in d.items()} for c, d in curves.items()}


def own_legend(source: str) -> str | None:
    """Returns the legend name of the learner's model in section 1's charts, if it is drawn there."""
    entry = own_lm()
    return plotly_text(own_label(entry)) if entry is not None and source == SOURCES[1] else None


def ratios_caption(grads: dict[str, np.ndarray], source: str) -> str:
    """Returns section 1's 'what to look for': ||dL/dh_0|| / ||dL/dh_T|| of the top layer for each model."""
    ratios = {label: float(g[-1, 0] / g[-1, -1]) for label, g in grads.items() if g[-1, -1] > 0}
    listed = t("gradients.reach.ratio_sep").join(t("gradients.reach.ratio", label=plain(label), ratio=r)
                                                  for label, r in ratios.items())
    return t("gradients.reach.look_for", batch=t(f"gradients.batch.{source}"), ratios=listed)


def default_source(preset: str | None) -> str:
    """Returns the models section 1 opens on: a link's choice, else the learner's language model if there is one."""
    if preset is not None:
        return SOURCES[1] if preset == "lm" else SOURCES[0]
    return SOURCES[1] if own_lm() is not None else SOURCES[0]


def own_note(source: str) -> str | None:
    """Returns where the learner's own model is in section 1 (or why it is not there), if they have one."""
    entry = active()
    if entry is None:
        return None
    if entry.cfg.task != "lm":
        return t("gradients.own.not_lm")
    if source == SOURCES[0]:
        return t("gradients.own.switch")
    return t("gradients.own.drawn", size=cache.DEFAULT_RUNS["lm"].model.hidden_size)


def grad_label(cell: str) -> str:
    """Returns the readable name of a cell."""
    return SPECS[cell].label


@st.cache_data(show_spinner=False, max_entries=64)
def recurrence(radius: float) -> grad.RecurrenceNorms:
    """Returns the linear and tanh recurrence norms for a spectral radius (cached: same for everyone)."""
    return grad.recurrence_norms(radius)


@st.cache_data(show_spinner=False, max_entries=64)
def radius_curve(radius: float) -> np.ndarray:
    """Returns ||dL/dh_t|| of a fresh tanh RNN with W_hh scaled to `radius` (cached)."""
    return grad.radius_grad_curve(radius)


# --- section 1's linked selection and its prediction -----------------------------------------------

PAGE = "gradients"  # the lesson's selection (?at=): the step marked on section 1's charts


def pick_step(curves: dict[str, dict[str, np.ndarray]]) -> selection.Pick:
    """Returns the selected step of section 1's sequence (from a click, else the link's ?at=)."""
    steps = max((v.shape[-1] for v in curves["grads"].values()), default=1)
    return selection.current(PAGE, steps)


def linked(fig, key: str, pick: selection.Pick) -> None:
    """Draws one of section 1's charts with the selected step marked; a click on a point selects its step."""
    selection.linked_chart(selection.mark(fig, pick), key, PAGE, selection.step_of)


def step_caption(curves: dict[str, dict[str, np.ndarray]], tokens: list[str] | None, pick: selection.Pick) -> str:
    """Returns what the selected step's state gets: ||dL/dh_t|| (top layer) of each trained model there."""
    values = t("gradients.reach.ratio_sep").join(
        t("gradients.selection.value", label=plain(label), value=float(g[-1, pick.t]))
        for label, g in curves["grads"].items() if pick.t < g.shape[-1])
    reads = t("gradients.selection.reads", token=plain(repr(tokens[pick.t]))) if tokens and pick.t < len(tokens) else ""
    return t("gradients.selection.caption", step=pick.t, reads=reads, values=values)


def first_step_answer(curves: dict[str, dict[str, np.ndarray]], source: str) -> Answer:
    """Returns which default model keeps the most of ||dL/dh_T|| at the first step (top layer, trained)."""
    ratios = {}
    for cell in GRAD_CELLS:
        label = (series_label(cell, MEMORY_FORGET_BIAS) if source == SOURCES[0]
                 else t("gradients.legend.default", cell=grad_label(cell)))
        g = curves["grads"][label]
        ratios[cell] = float(g[-1, 0] / max(g[-1, -1], 1e-30))
    return first_step_gradient(ratios)


# --- the memory task: a queue of (cell, delay) jobs trained one bounded chunk per refresh ----------

MEMORY_KEY = "grad_memory"
MEMORY_STEPS = memory_queue.STEPS  # the same step budget for every architecture and delay
SWEEP = (5, 10, 20, 40)


def memory_lab() -> MemoryLab:
    """Returns this session's memory lab (created on first use)."""
    return st.session_state.setdefault(MEMORY_KEY, MemoryLab())


def memory_progress(lab: MemoryLab) -> str:
    """Returns a one-line description of what the memory lab is doing."""
    if not lab.busy:
        return t("gradients.memory.done", runs=len(lab.results))
    cell, k, bias = lab.queue[0]
    done = lab.job.steps_done if lab.job is not None else 0
    return t("gradients.memory.training", series=series_label(cell, bias), delay=k, done=done, total=lab.steps,
             queued=len(lab.queue) - 1)


def memory_controls(delay: int, forget_bias: float) -> None:
    """Draws the memory task's buttons: train the three cells at k, sweep several k, stop, clear."""
    lab = memory_lab()
    a, b, c, d = st.columns(4)
    if a.button(t("gradients.memory.train", delay=delay), key="gtt_mem_train", type="primary", disabled=lab.busy):
        enqueue(lab, (delay,), forget_bias)
        st.rerun()
    if b.button(t("gradients.memory.sweep", delays=", ".join(map(str, SWEEP))), key="gtt_mem_sweep", disabled=lab.busy):
        enqueue(lab, SWEEP, forget_bias)
        st.rerun()
    if c.button(t("gradients.memory.stop"), key="gtt_mem_stop", disabled=not lab.busy):
        lab.queue, lab.job = [], None
        st.rerun()
    if d.button(t("gradients.memory.clear"), key="gtt_mem_clear", disabled=lab.busy or not lab.results):
        st.session_state[MEMORY_KEY] = MemoryLab()
        st.rerun()


def memory_panel(delay: int) -> None:
    """Draws the memory task's live part: a fragment that trains one bounded chunk per refresh while jobs wait."""
    st.fragment(_memory_live, run_every=REFRESH_SECONDS if memory_lab().busy else None)(delay)


def _memory_live(delay: int) -> None:
    lab = memory_lab()
    was_busy = lab.busy
    memory_tick(lab, TICK_SECONDS)
    if lab.busy:
        total = len(lab.queue) + len(lab.results)
        st.progress(min(len(lab.results) / max(total, 1), 1.0), text=memory_progress(lab))
    left, right = st.columns(2)
    with left:
        live_chart(plots.memory_accuracy_figure(lab.results, 1 / grad.MemoryTask(delay).symbols), key="gtt_mem_acc")
    shown = {label: g for (label, k), g in lab.grads.items() if k == delay}
    with right:
        if shown:
            live_chart(plots.curves_over_time(shown, None, t("gradients.memory.grads_title", delay=delay),
                                              t("gradients.plot.grads_y"), x_title=t("gradients.x_title.memory")),
                       key="gtt_mem_grads")
        else:
            st.info(t("gradients.memory.empty", delay=delay))
    if was_busy and not lab.busy:
        st.rerun(scope="app")  # a full rerun stops the timer and re-enables the buttons
