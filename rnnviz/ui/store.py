"""The learner's own models, kept per session and named, and the choice of which one to inspect.

They are also kept on the server's run store (rnnviz.runstore) under the learner's token, which every
page carries in its URL (?learner=...): a reload, a bookmark or a lesson opened by its link brings them
back. The persistence itself is in rnnviz/ui/keep.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import streamlit as st
import torch

from rnnviz import runstore
from rnnviz.config import CELL_LABELS, CELLS, RunConfig
from rnnviz.train import TrainRun
from rnnviz.ui import cache

MODELS_KEY = "rnnviz_models"  # name -> ModelEntry, this session (and the run store) only
ACTIVE_KEY = "rnnviz_active"  # name of the model the inspection pages open
SIDEBAR_KEY = "rnnviz_sidebar_active"


@dataclass
class ModelEntry:
    """A named model in this session: its config, its run (model, optimizer, history), its id in the run store."""

    name: str
    cfg: RunConfig
    run: TrainRun
    run_id: str = field(default_factory=runstore.new_run_id)
    status: str = "paused"  # as last saved: running | paused | done | diverged
    encoded: dict = field(default_factory=dict, repr=False)  # snapshots already serialised for the run store


@dataclass(frozen=True)
class Inspectable:
    """What an inspection page looks at: a label, the config, the model and whether it is the learner's own."""

    label: str
    cfg: RunConfig
    model: torch.nn.Module
    own: bool


def models() -> dict[str, ModelEntry]:
    """Returns this session's named models (created empty on first use, so every page runs alone)."""
    return st.session_state.setdefault(MODELS_KEY, {})


def add_model(entry: ModelEntry) -> None:
    """Stores a model under its name and makes it the one the inspection pages open."""
    models()[entry.name] = entry
    st.session_state[ACTIVE_KEY] = entry.name


def active() -> ModelEntry | None:
    """Returns the model chosen for inspection, if the learner has one."""
    return models().get(st.session_state.get(ACTIVE_KEY, ""))


def sidebar_models() -> None:
    """Brings back the learner's stored runs, then draws the sidebar list of models and the choice to inspect."""
    from rnnviz.ui import board, keep

    keep.sync()
    own = models()
    with st.sidebar:
        keep.notes()
        if own:
            names = list(own)
            current = st.session_state.get(ACTIVE_KEY)
            # The widget keeps its own value across runs: follow the active model (a new run makes itself active).
            st.session_state[SIDEBAR_KEY] = current if current in names else names[-1]
            st.selectbox("Model to inspect", names, key=SIDEBAR_KEY, on_change=_set_active)
        else:
            st.caption("No model trained yet: lessons use a ready-trained default. Train your own in the lab.")
        keep.come_back_link()
        board.nickname_box()  # a learner who came by a class board's link picks the name it shows


def _set_active() -> None:
    st.session_state[ACTIVE_KEY] = st.session_state[SIDEBAR_KEY]


def pick_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> Inspectable:
    """Draws a model chooser (the learner's models of this task, then defaults per cell) and returns the choice."""
    own = [e for e in models().values() if e.cfg.task == task and e.cfg.model.cell in cells]
    options = [f"mine: {e.name}" for e in own] + [f"default {CELL_LABELS[c]}" for c in cells]
    act = active()
    index = options.index(f"mine: {act.name}") if act is not None and f"mine: {act.name}" in options else 0
    seen = f"{key}_active_seen"  # a new active model (a new run, the sidebar) moves this chooser to it
    if act is not None and st.session_state.get(seen) != act.name and key in st.session_state:
        st.session_state[key] = options[index]
    st.session_state[seen] = act.name if act is not None else None
    choice = st.selectbox("Model", options, index=index, key=key,
                          help="Your own models come from the training lab; defaults are trained once per server.")
    if choice.startswith("mine: "):
        entry = models()[choice.removeprefix("mine: ")]
        return Inspectable(entry.name, entry.cfg, entry.run.model, True)
    cell = cells[options.index(choice) - len(own)]
    run = cache.default_run(task, cell)
    cfg = replace(cache.DEFAULT_RUNS[task], model=replace(cache.DEFAULT_RUNS[task].model, cell=cell))
    return Inspectable(choice, cfg, run.model, False)
