"""The checkpoint scrubber: a slider over a run's snapshots, giving a private copy of the model at that point."""

from __future__ import annotations

import copy

import streamlit as st
import torch

from rnnviz.ui import store

SCRATCH_KEY = "rnnviz_scrub_models"  # (model name, step) -> this session's copy at that step


def scrub(item: store.Inspectable, key: str) -> tuple[torch.nn.Module, str]:
    """Draws a 'training time' slider for the learner's own model and returns (model at that step, caption).

    A default model has no snapshots, so it is returned as is. The copy is this session's own:
    the live model keeps training undisturbed and nothing shared is mutated.
    """
    entry = store.models().get(item.label) if item.own else None
    snaps = entry.run.snapshots if entry is not None else []
    if len(snaps) < 2:
        return item.model, "final weights"
    steps = [s.step for s in snaps] + [entry.run.steps_done]
    chosen = st.select_slider("Training time (step)", options=steps, value=steps[-1], key=key,
                              help="Snapshots kept while the model trained; scrub to watch states and gates form.")
    if chosen == entry.run.steps_done:
        return item.model, f"step {chosen} (latest)"
    cache = st.session_state.setdefault(SCRATCH_KEY, {})
    if (item.label, chosen) not in cache:
        if len(cache) > 16:  # bounded: drop the oldest copies
            cache.pop(next(iter(cache)))
        model = copy.deepcopy(item.model).eval()
        model.load_state_dict(next(s.state for s in snaps if s.step == chosen))
        cache[(item.label, chosen)] = model.requires_grad_(False)
    return cache[(item.label, chosen)], f"step {chosen} of {entry.run.steps_done}"
