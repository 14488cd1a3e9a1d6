"""Streamlit side of the gradient lessons: cached curves, the memory-task queue and the live clipping/truncation runs."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np
import streamlit as st
import torch
from torch.nn import functional as F

from rnnviz import gradients as grad
from rnnviz.cells import SPECS
from rnnviz.config import RunConfig, TextConfig
from rnnviz.tracing import hidden_grads, input_sensitivity
from rnnviz.ui import cache
from rnnviz.ui.chart_fit import fitted

GRAD_CELLS = ("rnn_tanh", "gru", "lstm")
LOSS_MODES = ("the last step's loss only", "every step's loss (how the LM trains)")
TICK_SECONDS = 0.4  # training wall time per refresh, shared by the runs of one panel
REFRESH_SECONDS = 0.7


# --- gradients across timesteps on a language model -----------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def passage_batch(text: TextConfig, length: int, batch: int = 8, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Returns (ids (B, length + 1) from seeded offsets in the corpus, the first passage's tokens)."""
    corpus = cache.corpus(text)
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(corpus.indices) - length - 1, (batch,), generator=g).tolist()
    ids = np.stack([np.asarray(corpus.indices[s: s + length + 1]) for s in starts])
    return ids, corpus.vocab.decode(ids[0, :-1])


def lm_loss(target: torch.Tensor, mode: str):
    """Returns loss_fn(logits (B, T, V)): cross-entropy at the last step only, or averaged over every step."""
    if mode == LOSS_MODES[0]:
        return lambda logits: F.cross_entropy(logits[:, -1], target[:, -1])
    return lambda logits: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def lm_grads(model: torch.nn.Module, ids: np.ndarray, mode: str) -> np.ndarray:
    """Returns ||dL/dh_t|| (L, T) of a language model on a batch of passages ids (B, T + 1)."""
    x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
    return hidden_grads(model, x, lm_loss(y, mode)).norms.numpy()


def lm_sensitivity(model: torch.nn.Module, ids: np.ndarray) -> np.ndarray:
    """Returns ||dh_T/dx_t|| (T,) on the first passage of ids."""
    return input_sensitivity(model, torch.as_tensor(ids[:1, :-1])).numpy()


def _default_model(cfg: RunConfig, trained: bool) -> torch.nn.Module:
    return cache.trained_run(cfg).model if trained else cache.untrained_model(cfg)


@st.cache_data(show_spinner="Measuring gradients of the default models…", max_entries=64)
def default_grads(cfg: RunConfig, trained: bool, length: int, mode: str) -> np.ndarray:
    """Returns lm_grads of a default model (trained, or at initialisation) on the shared passage batch."""
    return lm_grads(_default_model(cfg, trained), passage_batch(cfg.text, length)[0], mode)


@st.cache_data(show_spinner="Measuring how the last state depends on each input…", max_entries=64)
def default_sensitivity(cfg: RunConfig, trained: bool, length: int) -> np.ndarray:
    """Returns lm_sensitivity of a default model on the shared first passage."""
    return lm_sensitivity(_default_model(cfg, trained), passage_batch(cfg.text, length)[0])


def own_lm():
    """Returns the learner's chosen language model (ModelEntry), if the active one is a language model."""
    from rnnviz.ui.store import active

    entry = active()
    return entry if entry is not None and entry.cfg.task == "lm" else None


SOURCES = ("memory task (k = 20): models that must remember", "character LM: the default models (and yours)")
MEMORY_DELAY, MEMORY_FORGET_BIAS = 20, 3.0  # k = 20: all three gated models learn it in the budget


@st.cache_resource(show_spinner="Training RNN, GRU and LSTM on the memory task (once per server)…", max_entries=4)
def memory_models(delay: int) -> dict[str, tuple[torch.nn.Module, torch.nn.Module]]:
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
    task = grad.MemoryTask(delay)
    X, y = task.sample(32, torch.Generator().manual_seed(5))
    out = {k: {} for k in ("grads", "grads0", "sens", "sens0")}
    for label, (trained, init) in memory_models(delay).items():
        for suffix, model in (("", trained), ("0", init)):
            out["grads" + suffix][label] = hidden_grads(model, X, grad.last_step_loss(y)).norms.numpy()
            out["sens" + suffix][label] = input_sensitivity(model, X[:1]).numpy()
    return out, task.tokens(X[0])


def across_architectures(length: int, mode: str) -> dict[str, dict[str, np.ndarray]]:
    """Returns {'grads', 'grads0', 'sens', 'sens0'} -> {model label -> curve}: trained and at initialisation."""
    out = {k: {} for k in ("grads", "grads0", "sens", "sens0")}
    base = cache.DEFAULT_RUNS["lm"]
    for cell in GRAD_CELLS:
        cfg = replace(base, model=replace(base.model, cell=cell))
        label = f"default {grad_label(cell)}"
        for suffix, trained in (("", True), ("0", False)):
            out["grads" + suffix][label] = default_grads(cfg, trained, length, mode)
            out["sens" + suffix][label] = default_sensitivity(cfg, trained, length)
    entry = own_lm()
    if entry is not None:
        ids = passage_batch(entry.cfg.text, length)[0]
        label = f"yours: {entry.name}"
        mine = {k: {} for k in out}
        for suffix, model in (("", entry.run.model), ("0", cache.untrained_model(entry.cfg))):
            mine["grads" + suffix][label] = lm_grads(model, ids, mode)
            mine["sens" + suffix][label] = lm_sensitivity(model, ids)
        out = {k: mine[k] | out[k] for k in out}  # yours first in the legend
    return out


def default_source(preset: str | None) -> str:
    """Returns the models section 1 opens on: a link's choice, else the learner's language model if there is one."""
    if preset is not None:
        return SOURCES[1] if preset == "lm" else SOURCES[0]
    return SOURCES[1] if own_lm() is not None else SOURCES[0]


def own_note(source: str) -> str | None:
    """Returns where the learner's own model is in section 1 (or why it is not there), if they have one."""
    from rnnviz.ui.store import active

    entry = active()
    if entry is None:
        return None
    if entry.cfg.task != "lm":
        return ("Your model to inspect is not a character model, so it is not among these curves; they compare "
                "the default models. Pick a language model in the sidebar to see yours here.")
    if source == SOURCES[0]:
        return "Your language model is drawn in the character-LM view: switch *Models trained on* above."
    size = cache.DEFAULT_RUNS["lm"].model.hidden_size
    return ("Your model is the thick purple line (*yours*); the others are the lessons' default models "
            f"({size} units, trained once per server), for comparison.")


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


# --- the memory task: a queue of (cell, delay) jobs trained one bounded chunk per refresh ----------

MEMORY_KEY = "grad_memory"
MEMORY_STEPS = 300  # the same step budget for every architecture and delay
SWEEP = (5, 10, 20, 40)


@dataclass
class MemoryLab:
    """This session's memory-task results and the jobs still to train, keyed by (series label, delay k)."""

    steps: int = MEMORY_STEPS
    results: dict[tuple[str, int], float] = field(default_factory=dict)  # held-out accuracy
    grads: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)  # ||dL/dh_t|| after training
    queue: list[tuple[str, int, float]] = field(default_factory=list)  # (cell, k, LSTM forget bias)
    job: grad.TrainRun | None = None

    @property
    def busy(self) -> bool:
        """Returns True while a job is training or waiting."""
        return self.job is not None or bool(self.queue)


def series_label(cell: str, forget_bias: float) -> str:
    """Returns the name a memory-task result is filed under (the LSTM's forget-gate start is part of it)."""
    return f"LSTM, b_f = {forget_bias:g}" if cell == "lstm" else grad_label(cell)


def memory_lab() -> MemoryLab:
    """Returns this session's memory lab (created on first use)."""
    return st.session_state.setdefault(MEMORY_KEY, MemoryLab())


def enqueue(lab: MemoryLab, delays: tuple[int, ...], forget_bias: float) -> None:
    """Adds every architecture at every delay to the queue (skipping what is already done or queued)."""
    for k in delays:
        for cell in GRAD_CELLS:
            job = (cell, k, forget_bias)
            if (series_label(cell, forget_bias), k) not in lab.results and job not in lab.queue:
                lab.queue.append(job)


def memory_tick(lab: MemoryLab, seconds: float = TICK_SECONDS) -> None:
    """Trains the current job for at most `seconds`; finished jobs are scored and the next one starts."""
    if lab.job is None:
        if not lab.queue:
            return
        cell, k, bias = lab.queue[0]
        lab.job = grad.memory_run(cell, k, steps=lab.steps, forget_bias=bias)
    job = lab.job
    job.run(lab.steps - job.steps_done, seconds=seconds)
    if job.steps_done >= lab.steps or job.diverged:
        cell, k, bias = lab.queue.pop(0)
        key = (series_label(cell, bias), k)
        lab.results[key], lab.grads[key] = grad.memory_eval(job.model, job.task)
        lab.job = None


def memory_progress(lab: MemoryLab) -> str:
    """Returns a one-line description of what the memory lab is doing."""
    if not lab.busy:
        return f"{len(lab.results)} runs done."
    cell, k, bias = lab.queue[0]
    done = lab.job.steps_done if lab.job is not None else 0
    return (f"Training {series_label(cell, bias)} at k = {k}: step {done} / {lab.steps} "
            f"({len(lab.queue) - 1} more queued)")


def memory_controls(delay: int, forget_bias: float) -> None:
    """Draws the memory task's buttons: train the three cells at k, sweep several k, stop, clear."""
    lab = memory_lab()
    a, b, c, d = st.columns(4)
    if a.button(f"Train RNN, GRU, LSTM at k = {delay}", key="gtt_mem_train", type="primary", disabled=lab.busy):
        enqueue(lab, (delay,), forget_bias)
        st.rerun()
    if b.button(f"Sweep k = {', '.join(map(str, SWEEP))}", key="gtt_mem_sweep", disabled=lab.busy):
        enqueue(lab, SWEEP, forget_bias)
        st.rerun()
    if c.button("Stop", key="gtt_mem_stop", disabled=not lab.busy):
        lab.queue, lab.job = [], None
        st.rerun()
    if d.button("Clear results", key="gtt_mem_clear", disabled=lab.busy or not lab.results):
        st.session_state[MEMORY_KEY] = MemoryLab()
        st.rerun()


def memory_panel(delay: int) -> None:
    """Draws the memory task's live part: a fragment that trains one bounded chunk per refresh while jobs wait."""
    st.fragment(_memory_live, run_every=REFRESH_SECONDS if memory_lab().busy else None)(delay)


def _memory_live(delay: int) -> None:
    from rnnviz.plots import gradients as plots

    lab = memory_lab()
    was_busy = lab.busy
    memory_tick(lab)
    if lab.busy:
        total = len(lab.queue) + len(lab.results)
        st.progress(min(len(lab.results) / max(total, 1), 1.0), text=memory_progress(lab))
    left, right = st.columns(2)
    with left:
        st.plotly_chart(fitted(plots.memory_accuracy_figure(lab.results, 1 / grad.MemoryTask(delay).symbols),
                               in_place=True), key="gtt_mem_acc")
    shown = {label: g for (label, k), g in lab.grads.items() if k == delay}
    with right:
        if shown:
            st.plotly_chart(fitted(plots.curves_over_time(
                shown, None, f"After training at k = {delay}: ‖∂L/∂h_t‖ back from the question",
                "‖∂L/∂h_t‖ (log scale)", x_title="timestep t (0 = the symbol to remember)"), in_place=True),
                key="gtt_mem_grads")
        else:
            st.info(f"Train at k = {delay} to see how far each architecture's gradient reaches back to the symbol.")
    if was_busy and not lab.busy:
        st.rerun(scope="app")  # a full rerun stops the timer and re-enables the buttons
