"""How often a live page refreshes: every half second when there is a core per training session, less often
under load, so that drawing the charts does not eat the time that trains the models. No Streamlit import."""

from __future__ import annotations

import os

from rnnviz.serve import REPLICAS_ENV, auto_replicas

BASE_S = 0.5  # a refresh while every training session has a core: a tick plus drawing fills most of it
CEILING_S = 1.5  # every learner still sees progress at least this often, however busy the server


def refresh_interval(active: int, cores: float, base: float = BASE_S, ceiling: float = CEILING_S) -> float:
    """Returns the live fragment's interval in seconds: base up to one training session per core, then
    growing with sessions per core (each refresh redraws two charts), never above ceiling."""
    per_core = max(active, 1) / max(cores, 1e-9)
    return min(ceiling, max(base, base * per_core))


def process_cores(env: dict[str, str] | None = None) -> float:
    """Returns the cores this process may count on: the machine's, shared among the class server's replicas."""
    env = os.environ if env is None else env
    try:
        replicas = max(1, int(env.get(REPLICAS_ENV, "1")))
    except ValueError:
        replicas = 1
    return auto_replicas() / replicas  # one replica per core: the cores this process may use
