"""The learner's own models, kept per session and named, and the choice of which one to inspect."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st
import torch

from rnnviz.config import CELL_LABELS, CELLS, RunConfig
from rnnviz.train import TrainRun
from rnnviz.ui import cache

MODELS_KEY = "rnnviz_models"  # name -> ModelEntry, this session only
ACTIVE_KEY = "rnnviz_active"  # name of the model the inspection pages open


@dataclass
class ModelEntry:
    """A named model in this session: its config and its run (model, optimizer, history)."""

    name: str
    cfg: RunConfig
    run: TrainRun


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
    """Draws the sidebar list of this session's models and the choice of the one to inspect."""
    own = models()
    with st.sidebar:
        if own:
            names = list(own)
            current = st.session_state.get(ACTIVE_KEY)
            st.selectbox("Model to inspect", names, index=names.index(current) if current in names else 0,
                         key="rnnviz_sidebar_active", on_change=_set_active)
        else:
            st.caption("No model trained yet: lessons use a ready-trained default. Train your own in the lab.")


def _set_active() -> None:
    st.session_state[ACTIVE_KEY] = st.session_state["rnnviz_sidebar_active"]


def pick_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> Inspectable:
    """Draws a model chooser (the learner's models of this task, then defaults per cell) and returns the choice."""
    own = [e for e in models().values() if e.cfg.task == task and e.cfg.model.cell in cells]
    options = [f"mine: {e.name}" for e in own] + [f"default {CELL_LABELS[c]}" for c in cells]
    act = active()
    index = options.index(f"mine: {act.name}") if act is not None and f"mine: {act.name}" in options else 0
    choice = st.selectbox("Model", options, index=index, key=key,
                          help="Your own models come from the training lab; defaults are trained once per server.")
    if choice.startswith("mine: "):
        entry = models()[choice.removeprefix("mine: ")]
        return Inspectable(entry.name, entry.cfg, entry.run.model, True)
    cell = cells[options.index(choice) - len(own)]
    run = cache.default_run(task, cell)
    cfg = replace(cache.DEFAULT_RUNS[task], model=replace(cache.DEFAULT_RUNS[task].model, cell=cell))
    return Inspectable(choice, cfg, run.model, False)
