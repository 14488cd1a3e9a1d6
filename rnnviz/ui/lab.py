"""The training lab's live part: session state, the bounded per-tick step, following a preset's shared run,
the live panel. The runs themselves (LabRun, SharedRun, bounded snapshots) are in lab_runs.py."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.forecast import one_step
from rnnviz.generate import generate
from rnnviz.plots.training import fit_figure, grad_norm_figure, loss_figure
from rnnviz.refresh import process_cores, refresh_interval
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache, keep
from rnnviz.ui.lab_runs import (  # noqa: F401  (re-exported: the lab's pages and tests import them from here)
    SNAPSHOTS,
    LabRun,
    SharedRun,
    detach,
    keep_message_for_rerun,
    keep_snapshot,
    message_delivered,
    new_lab_run,
    private_run,
    shared_run,
)
from rnnviz.ui.safe_text import plain

LAB_KEY = "lab_run"  # the LabRun this session is training or last trained
TICK_SECONDS = 0.4  # training wall time per refresh: bounded work, so 30 sessions share 2 cores fairly
MIN_TICK_SECONDS = 0.15  # with many students each gets less per refresh, so every page still refreshes often
ACTIVE_WINDOW_S = 3.0  # a session that ticked this recently counts as training
REFRESH_SECONDS = 0.5  # interval of the live fragment; a tick plus drawing (~0.1 s) fills most of it
SAMPLE_CHARS = 120
SAMPLE_EVERY_S = 2.0  # while training, a new sample at most this often (generating costs ~50 ms per refresh)
# One private run trains at a time per server. Every session's script runs in a thread of one process,
# so they share one GIL: small models interleaved step by step spend their time switching threads
# (20 students measured 0.11x the headless rate). Taking turns keeps each chunk at full speed.
TRAIN_LOCK = threading.Lock()
LOCK_WAIT_S = 5.0  # a refresh that waits longer skips training and just redraws


def tick(lab: LabRun, seconds: float = TICK_SECONDS) -> int:
    """Advances a running lab run by at most `seconds` of training; returns the steps taken."""
    if lab.status != "running":
        return 0
    start, before = time.perf_counter(), lab.steps_done
    trained_from = start
    if lab.shared is not None:
        _follow(lab, seconds)  # the shared run has its own lock
    elif TRAIN_LOCK.acquire(timeout=LOCK_WAIT_S):
        try:
            trained_from = time.perf_counter()
            lab.run.run(lab.cfg.train.steps - before, seconds=seconds)
        finally:
            TRAIN_LOCK.release()
    now = time.perf_counter()
    lab.train_seconds += now - trained_from
    wall = max(now - (lab.last_tick if lab.last_tick is not None else start), 1e-6)  # includes the wait between ticks
    lab.last_tick = now
    taken = lab.steps_done - before
    lab.rate = taken / wall if not lab.rate else 0.7 * lab.rate + 0.3 * taken / wall
    if lab.run.diverged:
        lab.status = "diverged"
    elif lab.steps_done >= lab.cfg.train.steps:
        lab.status = "done"
    return taken


def _follow(lab: LabRun, seconds: float) -> None:
    """Moves a preset run on to the shared run's next checkpoint(s), copying its weights into our own model."""
    shared = lab.shared
    budget = max(1, round(seconds * shared.rate))
    target = min(lab.cfg.train.steps, math.ceil((lab.steps_done + budget) / shared.every) * shared.every)
    shared.advance(target, seconds)
    step, weights = shared.snapshot_upto(target)
    if step > lab.steps_done:
        _keep_checkpoints(lab, step)
        lab.run.model.load_state_dict(weights)  # copies: the shared tensors are never handed out
        lab.run.history = list(shared.history[:step])
    if shared.diverged and step >= len(shared.history):
        lab.run.diverged = shared.diverged


def _keep_checkpoints(lab: LabRun, upto: int) -> None:
    """Copies the shared run's checkpoints between our step and upto into our own run's bounded snapshots."""
    run = lab.run
    step = (lab.steps_done // run.snapshot_every + 1) * run.snapshot_every
    while step <= upto:
        at, weights = lab.shared.snapshot_upto(step)
        if at == step:
            keep_snapshot(run, step, weights)
        step = (step // run.snapshot_every + 1) * run.snapshot_every  # thinning may have doubled the interval


@st.cache_resource(show_spinner=False, max_entries=1)
def _trainers() -> dict[str, float]:
    """Returns the server-wide map session id -> time of its last training tick (the one shared, mutable registry)."""
    return {}


def tick_budget() -> float:
    """Returns this refresh's training seconds: TICK_SECONDS alone, less when more sessions train than there are cores."""
    ctx = get_script_run_ctx()
    now, active = time.monotonic(), _trainers()
    active[ctx.session_id if ctx else "local"] = now
    for sid, seen in list(active.items()):
        if now - seen > ACTIVE_WINDOW_S:
            active.pop(sid, None)
    share = process_cores() / max(len(active), 1)
    return max(MIN_TICK_SECONDS, TICK_SECONDS * min(1.0, share))


def current() -> LabRun | None:
    """Returns this session's lab run, if any."""
    return st.session_state.get(LAB_KEY)


def live_panel() -> None:
    """Draws the live part: a fragment that trains one bounded chunk per refresh while the run is running."""
    lab = current()
    running = lab is not None and lab.status == "running"
    st.fragment(_live, run_every=refresh_interval(len(_trainers()) + 1, process_cores()) if running else None)()
    message_delivered()


def _live() -> None:
    lab = current()
    if lab is None:
        st.info("Pick a preset or settings above and press **Start**. The charts fill in as the model learns.")
        left, right = st.columns(2)
        left.plotly_chart(loss_figure([], "lm"), key="lab_loss")
        right.plotly_chart(grad_norm_figure([], 1.0), key="lab_grad")
        return
    was_running = lab.status == "running"
    tick(lab, tick_budget() if was_running else TICK_SECONDS)
    keep.autosave(lab, force=was_running and lab.status != "running")  # throttled while training
    _progress(lab)
    _charts(lab)
    if was_running and lab.status != "running":
        keep_message_for_rerun()
        st.rerun(scope="app")  # a full rerun stops the timer and updates the buttons


def _progress(lab: LabRun) -> None:
    total, done = lab.cfg.train.steps, lab.steps_done
    eta = lab.eta_seconds()
    bits = [f"step {done} / {total}"]
    if lab.status == "running":
        bits += [f"{lab.rate:.0f} steps/s"] + ([f"about {eta:.0f} s left"] if eta is not None else [])
    else:
        bits.append(lab.status)
    st.progress(min(done / total, 1.0), text=" · ".join(bits))
    if lab.status == "diverged":
        st.error(f"**Training stopped.** {plain(lab.run.diverged)} The charts show the run up to the last good step, "
                 "and the model kept is that last good one.", icon=":material/error:")
    elif lab.shared is not None:
        st.caption("This is a class preset: the server trains it once and every student replays the same run; "
                   "the weights copied into your model are your own.")
    h = lab.run.history
    if h:
        last = h[-1]
        cols = st.columns(4)
        cols[0].metric("loss", f"{last.loss:.3f}")
        if last.perplexity is not None:
            cols[1].metric("perplexity", f"{last.perplexity:.2f}", help="exp(loss): 1 is perfect; the vocabulary size is "
                           "what guessing uniformly gives")
        elif last.accuracy is not None:
            cols[1].metric("minibatch accuracy", f"{last.accuracy:.0%}")
        cols[2].metric("gradient norm", f"{last.grad_norm:.3g}")
        cols[3].metric("clipped steps", f"{sum(m.clipped for m in h)} of {len(h)}")


def _charts(lab: LabRun) -> None:
    h = lab.run.history
    left, right = st.columns(2)
    left.plotly_chart(loss_figure(h, lab.cfg.task, lab.run.diverged), key="lab_loss")
    right.plotly_chart(grad_norm_figure(h, lab.cfg.train.clip), key="lab_grad")
    if lab.cfg.task == "lm":
        _sample(lab)
    elif lab.cfg.task == "forecast":
        series = cache.series(lab.cfg.series)
        values, n_train, scaler = scaled_series(series, lab.cfg.series)
        preds = scaler.inverse(one_step(lab.run.model, values))
        st.plotly_chart(fit_figure(series.values, preds, n_train, series.labels, series.unit, lab.steps_done),
                        key="lab_fit")
    else:
        st.metric("accuracy on held-out sentences", f"{heldout_accuracy(lab):.0%}", help="Chance is 50%.")


def _sample(lab: LabRun) -> None:
    left, right = st.columns([3, 1])
    prefix = left.text_input("Prefix", "time traveller", key="lab_prefix", max_chars=60)
    temp = right.slider("Temperature", 0.0, 2.0, 0.8, 0.1, key="lab_temp",
                        help="0 always picks the most likely next character; higher is more adventurous.")
    wanted, now = (lab.steps_done, prefix, temp), time.monotonic()
    old = lab.sample
    if old is None or (old[0] != wanted and (old[0][1:] != wanted[1:] or lab.status != "running"
                                             or now - old[2] >= SAMPLE_EVERY_S)):
        corpus = cache.corpus(lab.cfg.text)
        g = torch.Generator().manual_seed(lab.steps_done)  # the same model and settings give the same sample
        lab.sample = (wanted, generate(lab.run.model, corpus.vocab, prefix, SAMPLE_CHARS, temp, generator=g), now)
    step, text = lab.sample[0][0], lab.sample[1]
    st.markdown(f"**Sample after {step} steps** (refreshed as it learns):")
    st.code(text, language=None, wrap_lines=True)


def heldout_accuracy(lab: LabRun) -> float:
    """Returns the classifier's accuracy on the held-out sentences."""
    data = cache.sentiment(lab.cfg.sentiment)
    lab.run.model.eval()
    with torch.no_grad():
        logits = lab.run.model.classify(data.x_test, data.len_test)  # (N, 2)
    return float(np.mean((logits.argmax(-1) == data.y_test).numpy()))
