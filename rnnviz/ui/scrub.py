"""The checkpoint scrubber: a slider over a run's snapshots, giving a read-only copy of the model at that point."""

from __future__ import annotations

import copy

import streamlit as st
import torch

from rnnviz.catalog import t
from rnnviz.config import RunConfig
from rnnviz.train import TrainRun
from rnnviz.ui import cache, store
from rnnviz.ui.affordances import control, hidden_controls, query_value

SCRATCH_KEY = "rnnviz_scrub_models"  # (model name, step) -> this session's copy at that step
STEP_PARAM = "step"  # a lesson link's preset training step (?step=80)


def _run_of(item: store.Inspectable) -> TrainRun | None:
    """Returns the run behind an inspectable: the learner's own, or the cached default (read-only)."""
    if item.own:
        entry = store.models().get(item.label)
        return entry.run if entry is not None else None
    return cache.trained_run(item.cfg)


def _copy_at(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    """Returns a frozen deep copy of model holding the snapshot's weights (the original is only read)."""
    clone = copy.deepcopy(model).eval()
    clone.load_state_dict(state)
    return clone.requires_grad_(False)


@st.cache_resource(show_spinner=False, max_entries=32)
def default_model_at(cfg: RunConfig, step: int) -> torch.nn.Module:
    """Returns the default model of cfg as it was after `step` training steps (shared, read-only copy)."""
    run = cache.trained_run(cfg)
    snap = next((s for s in run.snapshots if s.step == step), None)
    return run.model if snap is None or step == run.steps_done else _copy_at(run.model, snap.state)


def _own_model_at(item: store.Inspectable, run: TrainRun, step: int) -> torch.nn.Module:
    """Returns this session's copy of its own model at a snapshot (bounded cache; the live model keeps training)."""
    scratch = st.session_state.setdefault(SCRATCH_KEY, {})
    where = (item.label, id(run), step)  # id(run): a retrained model of the same name is a new run
    if where not in scratch:
        if len(scratch) > 16:  # bounded: drop the oldest copies
            scratch.pop(next(iter(scratch)))
        scratch[where] = _copy_at(item.model, next(s.state for s in run.snapshots if s.step == step))
    return scratch[where]


def scrub_at(item: store.Inspectable, key: str) -> tuple[torch.nn.Module, str, int | None]:
    """Draws the 'training time' slider; returns (model at that step, caption, step or None for the latest).

    Works for the learner's own run and, read-only, for a cached default run. Without snapshots the slider
    is absent and a caption says how to get one.
    """
    run = _run_of(item)
    snaps = run.snapshots if run is not None else []
    if len(snaps) < 2:
        st.caption(t("hidden_states.scrub.no_snapshots"))
        return item.model, t("hidden_states.scrub.final"), None
    latest = run.steps_done
    steps = sorted({s.step for s in snaps} | {latest})
    preset = query_value(STEP_PARAM, latest, steps)
    chosen = control("time", preset, lambda: st.select_slider(
        t("hidden_states.scrub.label"), options=steps, value=preset, key=key, help=t("hidden_states.scrub.help")))
    if "time" not in hidden_controls():
        st.caption(t("hidden_states.scrub.checkpoints", steps=", ".join(map(str, steps))))
    if chosen == latest:
        latest_words = t("hidden_states.scrub.latest", step=chosen) if item.own else \
            t("hidden_states.scrub.trained", step=chosen)
        return item.model, latest_words, None
    model = _own_model_at(item, run, chosen) if item.own else default_model_at(item.cfg, chosen)
    return model, t("hidden_states.scrub.at", step=chosen, last=latest), chosen


def scrub(item: store.Inspectable, key: str) -> tuple[torch.nn.Module, str]:
    """Draws a 'training time' slider and returns (model at that step, caption); see scrub_at."""
    model, when, _ = scrub_at(item, key)
    return model, when
