"""The training lab's live part: session state, the bounded per-tick step, shared preset runs, the live panel.

Each learner's model lives in their own session (st.session_state). Preset runs (same config and
seed) are trained once per server by a SharedRun kept in st.cache_resource: it advances under a
lock whenever any session asks for more steps and keeps weight snapshots at checkpoints; a session
copies a snapshot into its own model and never receives the shared module.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.config import RunConfig
from rnnviz.forecast import one_step
from rnnviz.generate import generate
from rnnviz.plots.training import fit_figure, grad_norm_figure, loss_figure
from rnnviz.presets import preset_for
from rnnviz.tasks import make_model, make_task, scaled_series
from rnnviz.train import TrainRun
from rnnviz.ui import cache

LAB_KEY = "lab_run"  # the LabRun this session is training or last trained
TICK_SECONDS = 0.4  # training wall time per refresh: bounded work, so 30 sessions share 2 cores fairly
MIN_TICK_SECONDS = 0.15  # with many students each gets less per refresh, so every page still refreshes often
ACTIVE_WINDOW_S = 3.0  # a session that ticked this recently counts as training
REFRESH_SECONDS = 0.5  # interval of the live fragment; a tick plus drawing (~0.1 s) fills most of it
SNAPSHOTS = 60  # checkpoints a shared run keeps (memory stays ~60 copies of a small model)
SAMPLE_CHARS = 120
SAMPLE_EVERY_S = 2.0  # while training, a new sample at most this often (generating costs ~50 ms per refresh)


class SharedRun:
    """One preset run per server: trained once under a lock, read by every session through weight snapshots."""

    def __init__(self, cfg: RunConfig):
        task = make_task(cfg, cache.data_for(cfg))
        self.cfg = cfg
        self.every = max(1, math.ceil(cfg.train.steps / SNAPSHOTS))
        self._run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
        self._lock = threading.Lock()
        self._snapshots: dict[int, dict[str, torch.Tensor]] = {0: self._copy()}

    def _copy(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self._run.model.state_dict().items()}

    @property
    def history(self) -> list:
        """Returns the metrics so far (append-only: sessions read slices of it)."""
        return self._run.history

    @property
    def diverged(self) -> str | None:
        """Returns the divergence message, if the preset run blew up."""
        return self._run.diverged

    @property
    def rate(self) -> float:
        """Returns the shared run's recent steps/s (how fast a session replays it)."""
        return self._run.history[-1].steps_per_s if self._run.history else 20.0

    def advance(self, target: int, seconds: float) -> None:
        """Trains towards target steps for at most `seconds`; if another session is training it, waits instead."""
        target = min(target, self.cfg.train.steps)
        if self._run.steps_done >= target or self._run.diverged:
            return
        if not self._lock.acquire(timeout=seconds):
            return  # another session is advancing it: its work serves us too
        try:
            deadline = time.perf_counter() + seconds
            while self._run.steps_done < target and not self._run.diverged and time.perf_counter() < deadline:
                done = self._run.steps_done
                stop = min(target, (done // self.every + 1) * self.every)
                self._run.run(stop - done, seconds=deadline - time.perf_counter())
                now = self._run.steps_done
                if now % self.every == 0 or now == self.cfg.train.steps or self._run.diverged:
                    self._snapshots[now] = self._copy()
        finally:
            self._lock.release()

    def snapshot_upto(self, step: int) -> tuple[int, dict[str, torch.Tensor]]:
        """Returns (checkpoint step, weights) of the latest snapshot at or before step."""
        best = max(s for s in list(self._snapshots) if s <= step)
        return best, self._snapshots[best]


@st.cache_resource(show_spinner=False, max_entries=16)
def shared_run(cfg: RunConfig) -> SharedRun:
    """Returns the server's one shared run of a preset config (computed once, advanced on demand)."""
    return SharedRun(cfg)


@dataclass
class LabRun:
    """A session's run in the lab: its own TrainRun (model, optimizer, history) and where it stands."""

    name: str
    cfg: RunConfig
    run: TrainRun
    shared: SharedRun | None = None
    status: str = "running"  # running | paused | done | diverged
    train_seconds: float = 0.0
    rate: float = 0.0  # steps/s of wall time as this session sees them (ticks and the pauses between them)
    last_tick: float | None = None  # perf_counter at the end of the previous tick; None after a pause
    sample: tuple[tuple, str, float] | None = None  # (step, prefix, temperature), text, when: the last sample drawn

    @property
    def steps_done(self) -> int:
        """Returns how many steps this session's model has taken."""
        return self.run.steps_done

    def eta_seconds(self) -> float | None:
        """Returns an estimate of the seconds left at the recent rate."""
        left = self.cfg.train.steps - self.steps_done
        return left / self.rate if self.rate > 0 else None


def new_lab_run(name: str, cfg: RunConfig, status: str = "running") -> LabRun:
    """Returns a fresh run of cfg with its own model; presets follow the server's shared run."""
    task = make_task(cfg, cache.data_for(cfg))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    shared = shared_run(cfg) if preset_for(cfg) is not None else None
    return LabRun(name, cfg, run, shared, status)


def tick(lab: LabRun, seconds: float = TICK_SECONDS) -> int:
    """Advances a running lab run by at most `seconds` of training; returns the steps taken."""
    if lab.status != "running":
        return 0
    start, before = time.perf_counter(), lab.steps_done
    if lab.shared is not None:
        _follow(lab, seconds)
    else:
        lab.run.run(lab.cfg.train.steps - before, seconds=seconds)
    now = time.perf_counter()
    lab.train_seconds += now - start
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
        lab.run.model.load_state_dict(weights)  # copies: the shared tensors are never handed out
        lab.run.history = list(shared.history[:step])
    if shared.diverged and step >= len(shared.history):
        lab.run.diverged = shared.diverged


@st.cache_resource(show_spinner=False)
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
    share = (os.cpu_count() or 1) / max(len(active), 1)
    return max(MIN_TICK_SECONDS, TICK_SECONDS * min(1.0, share))


def current() -> LabRun | None:
    """Returns this session's lab run, if any."""
    return st.session_state.get(LAB_KEY)


def live_panel() -> None:
    """Draws the live part: a fragment that trains one bounded chunk per refresh while the run is running."""
    lab = current()
    running = lab is not None and lab.status == "running"
    st.fragment(_live, run_every=REFRESH_SECONDS if running else None)()


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
    _progress(lab)
    _charts(lab)
    if was_running and lab.status != "running":
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
        st.error(f"**Training stopped.** {lab.run.diverged} The charts show the run up to the last good step, "
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
