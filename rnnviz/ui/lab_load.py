"""How busy this process's lab is: the sessions training now, what a live refresh costs besides training, and
the refresh intervals and training chunks they give (the arithmetic is rnnviz.refresh's; this module keeps the
process-wide registries it reads)."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.refresh import DRAW_SECONDS, charts_interval, process_cores, refresh_interval, retime, tick_seconds

ACTIVE_WINDOW_S = 3.0  # a session that ticked this recently counts as training
TIMERS_KEY = "lab_timers"  # (progress interval, time.monotonic()) the live timers were last set to by a full run


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
    return refresh_interval(sessions, process_cores()), charts_interval(sessions, process_cores())


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
