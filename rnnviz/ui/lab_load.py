"""How busy this process's lab is: the sessions training now, what a live refresh costs besides training, the
refresh intervals and training chunks they give (the arithmetic is rnnviz.refresh's; this module keeps the
process-wide registries it reads), whose turn it is to train or draw, and when a page's timers no longer fit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.refresh import DRAW_SECONDS, charts_interval, process_cores, refresh_interval, retime, tick_seconds
from rnnviz.ui.lab_runs import keep_message_for_rerun

ACTIVE_WINDOW_S = 3.0  # a session that ticked this recently counts as training
TIMERS_KEY = "lab_timers"  # (progress interval, time.monotonic()) the live timers were last set to by a full run
# One private run trains at a time per process. Every session's script runs in a thread of one process,
# so they share one GIL: small models interleaved step by step spend their time switching threads
# (20 students measured 0.11x the headless rate). Taking turns keeps each chunk at full speed.
# The live refreshes take turns as a whole too (`turn`): a chunk trains while no other session draws, which
# gave a class of 30 on 2 processes ~5% more steps (bench/load_test.py). Reentrant: the tick takes it again.
TRAIN_LOCK = threading.RLock()
LOCK_WAIT_S = 5.0  # a refresh that waits longer skips training and just redraws
RETIMED_KEY = "lab_retimed"  # set by a refresh that asked for a full run only to set the live timers afresh
_inline = threading.local()  # .retimed while such a full run draws the live fragments (in its own thread)


@st.cache_resource(show_spinner=False, max_entries=1)
def _trainers() -> dict[str, float]:
    """Returns the server-wide map session id -> time of its last training tick (the one shared, mutable registry)."""
    return {}


@st.cache_resource(show_spinner=False, max_entries=1)
def _drawing() -> dict[str, float]:
    """Returns the process's running estimates of a live refresh's drawing in CPU seconds: the progress part
    ("live", besides training) and the charts' ("charts")."""
    return {"live": DRAW_SECONDS / 2, "charts": DRAW_SECONDS / 2}


def training_sessions(register: bool = False) -> int:
    """Returns how many sessions of this process train now, this one counted once; forgets sessions idle for
    ACTIVE_WINDOW_S, and records this session's tick when `register`."""
    ctx = get_script_run_ctx()
    me, now, active = ctx.session_id if ctx else "local", time.monotonic(), _trainers()
    if register:
        active[me] = now
    for sid, seen in list(active.items()):
        if now - seen > ACTIVE_WINDOW_S:
            active.pop(sid, None)
    return len(set(active) | {me})


def intervals(sessions: int) -> tuple[float, float]:
    """Returns the live fragments' intervals (progress, charts) for this many training sessions."""
    cores = process_cores()
    return refresh_interval(sessions, cores), charts_interval(sessions, cores)


def live_timers(running: bool) -> tuple[float | None, float | None]:
    """Returns the live fragments' intervals for a full run of the page (None, None when no run is training) and
    remembers what they were set to: the timers keep them until the next full run."""
    progress, charts = intervals(training_sessions()) if running else (None, None)
    st.session_state[TIMERS_KEY] = (progress, time.monotonic())
    return progress, charts


def timers_stale() -> bool:
    """Returns whether this session's live timers no longer fit how many sessions train (refresh.retime): the
    class arrived or left since the page last ran in full."""
    timer, set_at = st.session_state.get(TIMERS_KEY, (None, 0.0))
    if timer is None:
        return False
    return retime(timer, set_at, intervals(training_sessions())[0], time.monotonic())


def tick_budget() -> float:
    """Returns this refresh's training seconds: TICK_SECONDS alone; with more sessions training than cores, the
    share of the refresh interval that leaves every session its chunk and its drawing (refresh.tick_seconds)."""
    sessions = training_sessions(register=True)
    (interval, charts), cost = intervals(sessions), _drawing()
    return tick_seconds(sessions, interval, cost["live"] + cost["charts"] * interval / charts)


def measured_drawing(part: str, seconds: float) -> None:
    """Folds one refresh's drawing time of a part ("live" or "charts") into the process's estimate (an average
    over the last refreshes)."""
    drawing = _drawing()
    drawing[part] = 0.8 * drawing[part] + 0.2 * seconds


def turn(draw: Callable[[], None], running: Callable[[], bool], retime: bool = False) -> Callable[[], None]:
    """Returns draw made to wait for the process's turn (TRAIN_LOCK) while this session's run trains (`running`).

    Python runs one thread at a time per process anyway; a refresh drawing while another trains only slows
    the training down (every torch op hands the GIL over). A refresh that waited LOCK_WAIT_S draws anyway.
    With `retime`, a refresh whose timers no longer fit the load (timers_stale) asks for a full run instead,
    before waiting: that run sets the timers afresh and draws without waiting for a turn or training.
    """
    @wraps(draw)  # Streamlit names a fragment after its function: each keeps its own
    def in_turn() -> None:
        if not running() or retimed():
            draw()
            return
        if retime and timers_stale():
            st.session_state[RETIMED_KEY] = True
            keep_message_for_rerun()
            st.rerun(scope="app")  # the class arrived or left since the page last ran in full
        mine = TRAIN_LOCK.acquire(timeout=LOCK_WAIT_S)
        try:
            draw()
        finally:
            if mine:
                TRAIN_LOCK.release()
    return in_turn


def draw_live(both: Callable[[], None], running: Callable[[], bool]) -> None:
    """Draws the live fragments in a full run of the page: one after the other in one turn (not two), or, in the
    full run a refresh asked for only to set the timers afresh, at once and without training (`retimed`)."""
    if st.session_state.pop(RETIMED_KEY, False):
        _inline.retimed = True
        try:
            both()
        finally:
            _inline.retimed = False
    else:
        turn(both, running)()


def retimed() -> bool:
    """Returns whether this thread draws the full run a refresh asked for only to set the timers afresh."""
    return getattr(_inline, "retimed", False)
