"""The lab's runs: a session's own LabRun with bounded snapshots, and the server's shared run of each preset.

Each learner's model lives in their own session (st.session_state). Preset runs (same config and
seed) are trained once per server by a SharedRun kept in st.cache_resource: it advances under a
lock whenever any session asks for more steps and keeps weight snapshots at checkpoints; a session
copies a snapshot into its own model and never receives the shared module.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import streamlit as st
import torch

from rnnviz.config import RunConfig
from rnnviz.pace import Pacer, steps_per_second
from rnnviz.presets import preset_for
from rnnviz.tasks import make_model, make_task
from rnnviz.train import Snapshot, TrainRun
from rnnviz.ui import cache

SNAPSHOTS = 60  # checkpoints a shared run keeps (memory stays ~60 copies of a small model)
OWN_SNAPSHOTS = 16  # checkpoints a session's own run keeps for the training-time slider of the inspection lessons
RATE_MARKS = 8  # refreshes the shown steps/s is measured over (~4 s): a replay moves in checkpoints, so one is noisy
SETTLE_S = 10.0  # at most this long a button waits for the refresh still training the run (one step, normally)
SNAPSHOT_BYTES = 32e6  # ... but at most this much memory of them per run (the largest lab model is ~5 MB)


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
    last_tick: float | None = None  # perf_counter at the start of the previous tick; None after a pause
    sample: tuple | None = None  # ((step, prefix, temperature), text, time.monotonic() it was written): the last sample
    saved_at: float = 0.0  # time.monotonic() of the last save to the run store
    saved_as: tuple[int, str] | None = None  # (steps, status) as last saved
    replaying: bool = False  # a preset whose steps the server had already trained: the learner sees a replay
    marks: deque = field(default_factory=lambda: deque(maxlen=RATE_MARKS))  # (time, step) of recent refreshes
    speed: str = "full"  # rnnviz.pace.SPEEDS: how fast the learner sees it train (a cap; full = as fast as it can)
    pacer: Pacer | None = None
    # Held while a refresh trains this run. A button press starts a new script run at once (Streamlit's fast
    # reruns) while the old one may still be training in its own thread: see `pause`.
    busy: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def pause(self, timeout: float = SETTLE_S) -> None:
        """Pauses a running run and waits (at most `timeout` seconds) until no refresh trains it: one still
        training stops after the step it is on, so what the page draws next is where the run stopped."""
        if self.status == "running":
            self.status = "paused"
        if self.busy.acquire(timeout=timeout):
            self.busy.release()

    def set_speed(self, speed: str) -> None:
        """Sets the teaching speed; the pace is the run's step budget spread over that speed's duration."""
        self.speed, self.pacer = speed, Pacer(steps_per_second(speed, self.cfg.train.steps))

    @property
    def steps_done(self) -> int:
        """Returns how many steps this session's model has taken."""
        return self.run.steps_done

    def eta_seconds(self) -> float | None:
        """Returns an estimate of the seconds left at the recent rate."""
        left = self.cfg.train.steps - self.steps_done
        return left / self.rate if self.rate > 0 else None


def private_run(model: torch.nn.Module, task, cfg: RunConfig, history: list | None = None,
                multiple: int = 1) -> TrainRun:
    """Returns a TrainRun of model that keeps a bounded number of snapshots spread over its step budget.

    With a history (a restored or detached run) the first snapshot is the model as it is now, at
    that step; `multiple` makes every checkpoint step a multiple of it (a shared run's checkpoints).
    """
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    keep = int(min(OWN_SNAPSHOTS, max(4, SNAPSHOT_BYTES // max(size, 1))))
    every = max(1, math.ceil(cfg.train.steps / (keep - 1)))  # step 0, then keep - 1 more up to the budget
    every = math.ceil(every / multiple) * multiple
    run = TrainRun(model, task, cfg.train, max_snapshots=keep, snapshot_every=every)
    if history:
        run.history = list(history)
        run.snapshots = [Snapshot(run.steps_done, run.snapshots[0].state)]  # the weights it holds now
    return run


def keep_snapshot(run: TrainRun, step: int, state: dict[str, torch.Tensor]) -> None:
    """Appends a copy of state as the run's snapshot at step, thinning like TrainRun when over its maximum."""
    if run.snapshots and run.snapshots[-1].step >= step:
        return
    run.snapshots.append(Snapshot(step, {k: v.detach().clone() for k, v in state.items()}))
    if len(run.snapshots) > run.max_snapshots:
        run.snapshots = run.snapshots[::2]
        run.snapshot_every *= 2


def new_lab_run(name: str, cfg: RunConfig, status: str = "running") -> LabRun:
    """Returns a fresh run of cfg with its own model; presets follow the server's shared run."""
    task = make_task(cfg, cache.data_for(cfg))
    shared = shared_run(cfg) if preset_for(cfg) is not None else None
    model = make_model(task, cfg.model, cfg.train.seed)
    run = private_run(model, task, cfg, multiple=shared.every if shared is not None else 1)
    lab = LabRun(name, cfg, run, shared, status)
    lab.set_speed("full")  # the lab sets the learner's chosen speed as it keeps the run
    return lab


def detach(lab: LabRun) -> None:
    """Makes a preset run that followed the shared run a private one from its current weights (a fresh optimizer)."""
    if lab.shared is None:
        return
    old = lab.run
    lab.run = private_run(old.model, old.task, lab.cfg, old.history)
    lab.run.story = list(old.story)
    now = lab.run.snapshots[0]  # the weights it holds at this step; the followed checkpoints come before it
    lab.run.snapshots = [s for s in old.snapshots if s.step < now.step]
    lab.run.snapshot_every = old.snapshot_every
    keep_snapshot(lab.run, now.step, now.state)
    lab.run.diverged, lab.shared = old.diverged, None


MESSAGE_KEY = "lab_message"  # (kind, text) left by a callback for the next run to show
SHOWN_KEY = "lab_message_shown"  # the message this run showed, kept in case the run is cut short


def take_message() -> tuple[str, str] | None:
    """Returns the message a callback left for this run (and forgets it), remembering it was shown."""
    message = st.session_state.pop(MESSAGE_KEY, None)
    st.session_state[SHOWN_KEY] = message
    return message


def keep_message_for_rerun() -> None:
    """Puts the message this run showed back for the next run: a run cut short by st.rerun never reaches the page.

    Without this, a message left by a callback (say, for an empty uploaded file) vanished whenever the same run
    also finished a training run, whose rerun replaced the page before it was sent.
    """
    shown = st.session_state.get(SHOWN_KEY)
    if shown is not None and MESSAGE_KEY not in st.session_state:
        st.session_state[MESSAGE_KEY] = shown


def message_delivered() -> None:
    """Marks the end of a full run: its message reached the page, and a later tick's rerun must not repeat it."""
    st.session_state.pop(SHOWN_KEY, None)
