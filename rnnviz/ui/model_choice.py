"""The one model picker of the lessons: the learner's own models of a task, then one default per cell type.

A choice's value is a code that a class link carries (?model=default GRU, ?model=mine: name) and that reads the
same in every language; the picker shows it translated. Defaults resolve one way: default_cfg.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from rnnviz.catalog import language, t
from rnnviz.config import CELL_LABELS, CELLS, RunConfig
from rnnviz.ui import cache, store
from rnnviz.ui import sentiment as sentiment_ui
from rnnviz.ui.affordances import control, query_value

MINE, DEFAULT = "mine: ", "default "  # the codes' prefixes: an own model by name, a default by cell label


def model_options(task: str, cells: tuple[str, ...]) -> list[str]:
    """Returns the model choices: the learner's own models of the task, then one default per cell."""
    own = [e for e in store.models().values() if e.cfg.task == task and e.cfg.model.cell in cells]
    return [f"{MINE}{e.name}" for e in own] + [f"{DEFAULT}{CELL_LABELS[c]}" for c in cells]


def model_label(choice: str, lang: str | None = None) -> str:
    """Returns how a model choice reads in the learner's (or lang's) language ("mine: ...", "default GRU")."""
    if choice.startswith(MINE):
        return t("hidden_states.model.mine", lang, name=choice.removeprefix(MINE))
    return t("hidden_states.model.default", lang, cell=choice.removeprefix(DEFAULT))


def default_cfg(task: str, cell: str) -> RunConfig:
    """Returns the default run of a task with a cell type (the sentiment lesson's small classifiers, shared)."""
    if task == "sentiment":
        return sentiment_ui.default_cfg(cell)
    base = cache.DEFAULT_RUNS[task]
    return replace(base, model=replace(base.model, cell=cell))


def resolve_model(task: str, choice: str, cells: tuple[str, ...]) -> store.Inspectable:
    """Returns the Inspectable of a model choice (an own model by name, or a cached default by cell label)."""
    if choice.startswith(MINE):
        entry = store.models()[choice.removeprefix(MINE)]
        return store.Inspectable(entry.name, entry.cfg, entry.run.model, True)
    cell = next(c for c in cells if choice == f"{DEFAULT}{CELL_LABELS[c]}")
    cfg = default_cfg(task, cell)
    return store.Inspectable(choice, cfg, cache.trained_run(cfg).model, False)


def choose_model(task: str, key: str, cells: tuple[str, ...] = CELLS) -> store.Inspectable:
    """Draws the model chooser (a link's ?model= wins, then the active own model); returns the choice."""
    options = model_options(task, cells)
    act = store.active()
    mine = f"{MINE}{act.name}" if act is not None else ""
    preset = query_value("model", mine if mine in options else options[0], options)
    seen = f"{key}_active_seen"  # the sidebar's choice at the last run: a new one (or a new run) moves this chooser
    if st.session_state.get(seen) != mine and mine in options and key in st.session_state:
        st.session_state[key] = mine
    st.session_state[seen] = mine
    lang = language()  # options are labelled in the language they were drawn in, whoever formats them later
    choice = control("model", preset, lambda: st.selectbox(
        t("hidden_states.model.label"), options, index=options.index(preset), key=key,
        format_func=lambda c: model_label(c, lang), help=t("hidden_states.model.help")))
    return resolve_model(task, choice, cells)
