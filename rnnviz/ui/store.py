"""The learner's own models, kept per session and named, and the choice of which one to inspect.

They are also kept on the server's run store (rnnviz.runstore) under the learner's token, which every
page carries in its URL (?learner=...): a reload, a bookmark or a lesson opened by its link brings them
back. The persistence itself is in rnnviz/ui/keep.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
import torch

from rnnviz import runstore
from rnnviz.catalog import t
from rnnviz.config import CELLS, RunConfig
from rnnviz.train import TrainRun

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
            st.selectbox(t("hidden_states.sidebar.model"), names, key=SIDEBAR_KEY, on_change=_set_active)
        else:
            st.caption(t("hidden_states.sidebar.none"))
        keep.come_back_link()
        board.nickname_box()  # a learner who came by a class board's link picks the name it shows


def _set_active() -> None:
    st.session_state[ACTIVE_KEY] = st.session_state[SIDEBAR_KEY]


def pick_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> Inspectable:
    """Draws the lessons' model picker and returns the choice: see rnnviz.ui.model_choice.choose_model."""
    from rnnviz.ui.model_choice import choose_model  # model_choice builds on this module: a top import is a cycle

    return choose_model(task, key, cells)
