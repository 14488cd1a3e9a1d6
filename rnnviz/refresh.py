"""How often a live page refreshes and how long each refresh trains: every half second with a 0.4 s chunk while
there is a core per training session; under load the interval stretches (at most 1.5 s) and each session's chunk
shrinks so that every session of a process gets its chunk and its drawing within one interval. No Streamlit
import."""

from __future__ import annotations

import os

from rnnviz.serve import CORES_ENV, REPLICAS_ENV, auto_replicas

BASE_S = 0.5  # a refresh while every training session has a core: a tick plus drawing fills most of it
CEILING_S = 1.5  # every learner still sees progress at least this often, however busy the server
TICK_SECONDS = 0.4  # training seconds per refresh for a session with a core to itself
MIN_TICK_SECONDS = 0.05  # however busy the server, a refresh trains a few steps (GRU 64: ~7-9 ms a step): its
# fixed cost (a script run, the progress) would otherwise outweigh the training; the rounds then take longer
DRAW_SECONDS = 0.05  # a refresh's drawing, until this process has measured its own
SAMPLE_EVERY_S = 8.0  # under load the live text sample is written afresh at most this often (it names its step)
CHARTS_EVERY = 3  # under load the live charts redraw every third refresh; the progress bar and numbers every one
# (30 learners on 2 cores: numbers every 1.5 s, curves every 4.5 s, a new sample every ~9 s; drawing them
# as often as the numbers cost ~7% of the class's training, bench/load_test.py --replicas 2)

# The browser keeps a fragment's timer until the next full run of the page: a learner who pressed Start before
# the class did would refresh every 0.5 s all lesson long (and drew the charts on each), one who stayed after it
# left every 1.5 s. When the wanted interval is RETIME_RATIO off the timer's, at most every RETIME_AFTER_S,
# the live refresh asks for a full run, which sets both timers afresh.
RETIME_RATIO = 1.3
RETIME_AFTER_S = 5.0


def refresh_interval(active: int, cores: float, base: float = BASE_S, ceiling: float = CEILING_S) -> float:
    """Returns the live fragment's interval in seconds: base up to one training session per core, then
    growing with sessions per core (each refresh redraws two charts), never above ceiling."""
    per_core = max(active, 1) / max(cores, 1e-9)
    return min(ceiling, max(base, base * per_core))


def tick_seconds(active: int, interval: float, draw: float, full: float = TICK_SECONDS,
                 least: float = MIN_TICK_SECONDS) -> float:
    """Returns one refresh's training seconds for `active` sessions training in one process.

    The private runs of a process train one at a time (one lock, one GIL), so within one refresh interval
    every session needs its chunk and its drawing: interval / active - draw, never above `full` (a session
    alone) nor below `least`. With more sessions the chunks shrink instead of the refreshes queueing up.
    """
    return min(full, max(least, interval / max(active, 1) - draw))


def busy(active: int, cores: float) -> bool:
    """Returns whether the refresh interval is stretched: more training sessions than cores."""
    return refresh_interval(active, cores) > BASE_S


def charts_interval(active: int, cores: float) -> float:
    """Returns the live charts' interval in seconds: the progress's while there is a core per training session,
    CHARTS_EVERY times it under load (two charts and a sample cost more than a progress bar and four numbers)."""
    interval = refresh_interval(active, cores)
    return interval * CHARTS_EVERY if busy(active, cores) else interval


def process_cores(env: dict[str, str] | None = None) -> float:
    """Returns the cores this process may count on: the class server's (RNNVIZ_CORES, or the ones this process may
    use) shared among its replicas. A replica kept to one core sees only that one, hence the server's count."""
    env = os.environ if env is None else env
    try:
        replicas = max(1, int(env.get(REPLICAS_ENV, "1")))
    except ValueError:
        replicas = 1
    try:
        cores = max(1, int(env.get(CORES_ENV, "0"))) if env.get(CORES_ENV) else auto_replicas()
    except ValueError:
        cores = auto_replicas()
    return cores / replicas  # one replica per core: the cores this process may use


def retime(timer: float, set_at: float, wanted: float, now: float) -> bool:
    """Returns whether live timers of `timer` seconds, set at time `set_at`, should be set afresh to `wanted` now:
    they have run RETIME_AFTER_S and are RETIME_RATIO off either way."""
    return now - set_at >= RETIME_AFTER_S and max(timer, wanted) >= RETIME_RATIO * min(timer, wanted)
