"""The training lab's live part: session state, the bounded per-tick step, following a preset's shared run,
the live panel. The runs themselves (LabRun, SharedRun, bounded snapshots) are in lab_runs.py."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import streamlit as st
import torch

from rnnviz import history
from rnnviz.catalog import t
from rnnviz.forecast import one_step
from rnnviz.plots.training import fit_figure, grad_norm_parts, loss_parts
from rnnviz.refresh import SAMPLE_EVERY_S, TICK_SECONDS, busy, process_cores
from rnnviz.tasks import scaled_series
from rnnviz.ui import cache, keep, lab_history
from rnnviz.ui.affordances import live_chart
from rnnviz.ui.lab_load import (
    LOCK_WAIT_S,
    TRAIN_LOCK,
    draw_live,
    live_timers,
    measured_drawing,
    retimed,
    tick_budget,
    training_sessions,
    turn,
)
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
REFRESH_SECONDS = 0.5  # interval of the live fragment; a tick plus drawing (~0.1 s) fills most of it


def tick(lab: LabRun, seconds: float = TICK_SECONDS, paced: bool = False,
         observe: Callable[[LabRun], None] | None = None) -> int:
    """Advances a running lab run by at most `seconds` of training; returns the steps taken.

    Paced, it takes at most what the run's teaching speed allows for the time since the last
    refresh; `observe` is called at every milestone step reached (the run's story).
    """
    if not lab.busy.acquire(timeout=LOCK_WAIT_S):
        return 0
    try:
        return _tick(lab, seconds, paced, observe)
    finally:
        lab.busy.release()


def _tick(lab: LabRun, seconds: float, paced: bool, observe: Callable[[LabRun], None] | None) -> int:
    if lab.status != "running":  # read under the run's lock: a Pause while this refresh waited for it counts
        return 0
    start, before = time.perf_counter(), lab.steps_done
    since = start - lab.last_tick if lab.last_tick is not None else REFRESH_SECONDS
    allowed = lab.pacer.allow(since) if paced and lab.pacer is not None else None
    left = lab.cfg.train.steps - before if allowed is None else min(allowed, lab.cfg.train.steps - before)
    trained_from = start
    if lab.shared is not None:
        _follow(lab, seconds, allowed)  # the shared run has its own lock
    elif left > 0 and TRAIN_LOCK.acquire(timeout=LOCK_WAIT_S):
        at_milestone = (lambda m: observe(lab) if history.is_milestone(m.step) else None) if observe else None
        try:
            trained_from = time.perf_counter()
            lab.run.run(left, seconds=seconds, callback=at_milestone, keep_going=lambda: lab.status == "running")
        finally:
            TRAIN_LOCK.release()
    now = time.perf_counter()
    lab.train_seconds += now - trained_from
    taken = lab.steps_done - before
    if allowed is not None:
        lab.pacer.refund(allowed - taken, cap=lab.shared.every if lab.shared is not None else 0)
    if lab.last_tick is None:
        lab.marks.clear()  # after a start or a pause: measure afresh
    lab.marks.append((start, lab.steps_done))
    (t0, s0), (t1, s1) = lab.marks[0], lab.marks[-1]
    if len(lab.marks) >= 3 and t1 - t0 > 0.2:  # the learner-visible rate: steps over wall time across the last few refreshes
        lab.rate = (s1 - s0) / (t1 - t0)
    lab.last_tick = start  # the next refresh's allowance covers the whole period, this tick's training included
    if observe is not None:
        observe(lab)  # a step the chunk ended on that is the last one, or a checkpoint a preset run reached
    if lab.run.diverged:
        lab.status = "diverged"
    elif lab.steps_done >= lab.cfg.train.steps:
        lab.status = "done"
    return taken


def _follow(lab: LabRun, seconds: float, allowed: int | None = None) -> None:
    """Moves a preset run on to the shared run's next checkpoint(s), copying its weights into our own model.

    Paced (`allowed` steps), it moves only to a checkpoint within that allowance: the rest waits for the
    next refresh, so a replay goes at the teaching speed too.
    """
    shared = lab.shared
    if allowed is None:
        budget = max(1, round(seconds * shared.rate))
        target = min(lab.cfg.train.steps, math.ceil((lab.steps_done + budget) / shared.every) * shared.every)
    else:
        reach = lab.steps_done + allowed
        target = reach if reach >= lab.cfg.train.steps else (reach // shared.every) * shared.every
        target = min(lab.cfg.train.steps, target)
        if target <= lab.steps_done:
            return
    ahead = [m for m in history.milestones(lab.cfg.train.steps) if m > lab.steps_done]
    if ahead:  # stop at the next milestone's checkpoint, so the story has its sample
        target = min(target, math.ceil(ahead[0] / shared.every) * shared.every)
    lab.replaying = len(shared.history) >= target  # trained before we asked: what we see is its replay
    shared.advance(target, seconds)
    if lab.status != "running":
        return  # paused while the shared run trained: this run stays where the learner pressed Pause
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


def current() -> LabRun | None:
    """Returns this session's lab run, if any."""
    return st.session_state.get(LAB_KEY)


def live_panel() -> None:
    """Draws the live part: a fragment that trains one bounded chunk per refresh and shows the progress, and one
    that redraws the charts and the sample (as often, or every third refresh when the server is busy)."""
    # The timers keep these intervals until the next full run (a press of a button, the run's end, or a refresh
    # that finds the class has grown or left: timers_stale); sessions idle for ACTIVE_WINDOW_S are not counted,
    # so a learner starting alone gets the half-second refresh.
    progress, charts = live_timers(_running())

    def both() -> None:
        st.fragment(turn(_live, _running, retime=True), run_every=progress)()
        st.fragment(turn(_live_charts, _running), run_every=charts)()
    draw_live(both, _running)
    message_delivered()


def _running() -> bool:
    lab = current()
    return lab is not None and lab.status == "running"


def _live() -> None:
    lab = current()
    if lab is None:
        st.info(t("training_lab.live.empty"))
        return
    was_running = lab.status == "running"
    lab_history.follow_corpus(lab)
    prefix, temp = _sample_settings()
    observe = partial(lab_history.observe, prefix=prefix, temperature=temp)
    observe(lab)  # step 0, or a step reached by One step or a restored file
    cpu = time.thread_time()
    if not retimed():  # a full run asked for only to set the timers afresh: the next refresh trains
        tick(lab, tick_budget() if was_running else TICK_SECONDS, paced=True, observe=observe)
    trained = time.thread_time() - cpu
    keep.autosave(lab, force=was_running and lab.status != "running")  # throttled while training
    _progress(lab)
    if was_running:  # what this refresh cost besides training (this thread's CPU: waiting is not counted)
        measured_drawing("live", time.thread_time() - cpu - trained)
    if was_running and lab.status != "running":
        keep_message_for_rerun()
        st.rerun(scope="app")  # a full rerun stops both timers, redraws the charts and updates the buttons


def _live_charts() -> None:
    lab = current()
    if lab is None:
        left, right = st.columns(2)
        with left:
            live_chart(loss_parts([], "lm"), key="lab_loss")
        with right:
            live_chart(grad_norm_parts([], 1.0), key="lab_grad")
        return
    cpu = time.thread_time()
    lab_history.follow_corpus(lab)  # before the prefix box is drawn
    _charts(lab)
    if lab.status == "running":
        measured_drawing("charts", time.thread_time() - cpu)


def _sample_settings() -> tuple[str, float]:
    """Returns the live sample's prefix and temperature (the widgets' values, or their defaults before they exist)."""
    s = st.session_state
    return str(s.get("lab_prefix", lab_history.PREFIX)), float(s.get("lab_temp", lab_history.TEMPERATURE))


def _progress(lab: LabRun) -> None:
    total, done = lab.cfg.train.steps, lab.steps_done
    eta = lab.eta_seconds()
    bits = [t("training_lab.live.step", done=done, total=total)]
    if lab.shared is not None and lab.replaying:
        bits.append(t("training_lab.live.replay"))  # the server trained these steps already
    if lab.status == "running":
        pace = "" if lab.speed == "full" else t(f"training_lab.live.pace.{lab.speed}")
        bits += [t("training_lab.live.rate", rate=f"{lab.rate:.0f}", pace=pace) if lab.rate
                 else t("training_lab.live.starting", pace=pace)]
        bits += [t("training_lab.live.eta", seconds=f"{eta:.0f}")] if eta is not None and lab.rate else []
    else:
        bits.append(t(f"training_lab.live.status.{lab.status}"))
    st.progress(min(done / total, 1.0), text=" · ".join(bits))
    if lab.status == "diverged":
        st.error(t("training_lab.live.diverged", reason=plain(lab.run.diverged)), icon=":material/error:")
    elif lab.shared is not None:
        st.caption(t("training_lab.live.class_preset"))
    h = lab.run.history
    if h:
        last = h[-1]
        with st.container(key="lab_metrics"):  # four across even on a phone (see core.LAYOUT_CSS)
            cols = st.columns(4)
        cols[0].metric(t("training_lab.metrics.loss"), f"{last.loss:.3f}")
        if last.perplexity is not None:
            cols[1].metric(t("training_lab.metrics.perplexity"), f"{last.perplexity:.2f}",
                           help=t("training_lab.metrics.perplexity_help"))
        elif last.accuracy is not None:
            cols[1].metric(t("training_lab.metrics.accuracy"), f"{last.accuracy:.0%}")
        cols[2].metric(t("training_lab.metrics.grad_norm"), f"{last.grad_norm:.3g}")
        cols[3].metric(t("training_lab.metrics.clipped"),
                       t("training_lab.metrics.clipped_of", clipped=sum(m.clipped for m in h), steps=len(h)))


def _charts(lab: LabRun) -> None:
    h = lab.run.history
    with st.container(key="lab_charts"):
        left, right = st.columns(2)
    with left:
        live_chart(loss_parts(h, lab.cfg.task, lab.run.diverged), key="lab_loss")
    with right:
        live_chart(grad_norm_parts(h, lab.cfg.train.clip), key="lab_grad")
    if lab.cfg.task == "lm":
        _sample(lab)
    elif lab.cfg.task == "forecast":
        series = cache.series(lab.cfg.series)
        values, n_train, scaler = scaled_series(series, lab.cfg.series)
        preds = scaler.inverse(one_step(lab.run.model, values))
        fig = fit_figure(series.values, preds, n_train, series.labels, series.unit)
        live_chart(fig, key="lab_fit")
    else:
        st.metric(t("training_lab.metrics.heldout"), f"{heldout_accuracy(lab):.0%}",
                  help=t("training_lab.metrics.heldout_help"))
    lab_history.show(lab)


def _sample(lab: LabRun) -> None:
    left, right = st.columns([3, 1])
    prefix = left.text_input(t("training_lab.sample.prefix"), key=lab_history.PREFIX_KEY, max_chars=60)
    temp = right.slider(t("training_lab.sample.temperature"), 0.0, 2.0, lab_history.TEMPERATURE, 0.1, key="lab_temp",
                        help=t("training_lab.sample.temperature_help"))
    # Every new step while the server has a core per run; under load at most every SAMPLE_EVERY_S (it names its step).
    loaded = lab.status == "running" and busy(training_sessions(), process_cores())
    step, text = lab_history.sample_text(lab, prefix, temp, max_age=SAMPLE_EVERY_S if loaded else 0.0)
    st.markdown(t("training_lab.sample.title", step=step))
    st.code(text, language=None, wrap_lines=True)


def heldout_accuracy(lab: LabRun) -> float:
    """Returns the classifier's accuracy on the held-out sentences."""
    data = cache.sentiment(lab.cfg.sentiment)
    lab.run.model.eval()
    with torch.no_grad():
        logits = lab.run.model.classify(data.x_test, data.len_test)  # (N, 2)
    return float(np.mean((logits.argmax(-1) == data.y_test).numpy()))
