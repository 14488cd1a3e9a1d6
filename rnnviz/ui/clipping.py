"""Streamlit side of the clipping and truncation lesson: live side-by-side runs (same seed, same batches)."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from torch.nn import functional as F

from rnnviz import gradients as grad
from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.errors import ConfigError
from rnnviz.tasks import make_model, make_task
from rnnviz.ui import cache
from rnnviz.ui.gradients import LOSS_MODES, REFRESH_SECONDS, TICK_SECONDS, grad_label, lm_loss, passage_batch
from rnnviz.ui.safe_text import plain

# the page reads these through this module too
__all__ = ["LOSS_MODES", "TextConfig", "grad_label", "passage_batch"]

CLIP_KEY, TRUNC_KEY = "grad_clip_runs", "grad_trunc_runs"


def lm_cfg(cell: str, hidden: int, optimizer: str, lr: float, clip: float | None, steps: int,
           num_steps: int = 35, bptt: int | None = None, batch: int = 32) -> RunConfig:
    """Returns a language-model run config for the side-by-side experiments."""
    return RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=hidden),
                     train=TrainConfig(optimizer=optimizer, lr=lr, clip=clip, steps=steps, bptt=bptt),
                     text=TextConfig(num_steps=num_steps, batch_size=batch))


def new_runset(cfgs: dict[str, RunConfig]) -> grad.RunSet:
    """Returns fresh runs for the named configs, each with its own model from the same seed."""
    runs = {}
    for name, cfg in cfgs.items():
        task = make_task(cfg, cache.data_for(cfg))
        runs[name] = grad.TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    steps = {cfg.train.steps for cfg in cfgs.values()}
    if len(steps) != 1:
        raise ConfigError("Runs compared side by side need the same step budget.")
    return grad.RunSet(runs, steps.pop())


def start(key: str, cfgs: dict[str, RunConfig]) -> None:
    """Replaces the session's run set under `key` with fresh runs and marks it running."""
    st.session_state[key] = new_runset(cfgs)
    st.session_state[f"{key}_running"] = True


def running(key: str) -> bool:
    """Returns True while the run set under `key` is being trained."""
    return bool(st.session_state.get(f"{key}_running")) and st.session_state.get(key) is not None


def stop(key: str) -> None:
    """Pauses the run set under `key` (its runs and histories stay)."""
    st.session_state[f"{key}_running"] = False


def live_tick(key: str, seconds: float = TICK_SECONDS) -> grad.RunSet | None:
    """Trains the run set under `key` for one bounded chunk if it is running; returns it."""
    runs = st.session_state.get(key)
    if runs is not None and running(key):
        runs.tick(seconds)
        if runs.finished:
            stop(key)
    return runs




TRUNC_LENGTH = 100  # the subsequence length of the truncation runs: "full" backprop covers all of it


def lm_batch_loss(ids: np.ndarray):
    """Returns loss(model) = the language model's mean cross-entropy on a fixed batch ids (B, T + 1)."""
    x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
    return lambda model: F.cross_entropy(model(x)[0].reshape(-1, model.vocab_size), y.reshape(-1))


def start_stop(key: str, cfgs: dict[str, RunConfig]) -> None:
    """Draws Start and Stop buttons for the run set under `key` (Start begins fresh runs of cfgs)."""
    a, b, _ = st.columns([1, 1, 4])
    if a.button("Start", key=f"{key}_start", type="primary", disabled=running(key)):
        try:
            start(key, cfgs)
        except ConfigError as err:
            st.error(plain(err), icon="⚠️")
            return
        st.rerun()
    if b.button("Stop", key=f"{key}_stop", disabled=not running(key)):
        stop(key)
        st.rerun()


def live(key: str, body) -> None:
    """Draws body(run set or None) in a fragment that trains one bounded chunk per refresh while running."""
    def tick_and_draw() -> None:
        was = running(key)
        body(live_tick(key))
        if was and not running(key):
            st.rerun(scope="app")  # finished: a full rerun stops the timer and re-enables Start

    st.fragment(tick_and_draw, run_every=REFRESH_SECONDS if running(key) else None)()


def progress_line(runs: grad.RunSet) -> str:
    """Returns 'name: step n (steps/s)' for every run of a set."""
    parts = []
    for name, run in runs.runs.items():
        secs = runs.seconds[name][-1] if runs.seconds[name] else 0.0
        rate = f", {run.steps_done / secs:.0f} steps/s" if secs > 0 else ""
        parts.append(f"**{name}**: step {run.steps_done} / {runs.steps}{rate}" + (" · diverged" if run.diverged else ""))
    return " · ".join(parts)


def idle_runset(key: str, cfgs: dict[str, RunConfig]) -> grad.RunSet | None:
    """Returns the session's run set under `key`, creating untrained runs of cfgs if there is none yet."""
    if not cfgs:
        return None
    if st.session_state.get(key) is None or set(st.session_state[key].runs) != set(cfgs) and not running(key):
        st.session_state[key] = new_runset(cfgs)
    return st.session_state[key]


def reach_curves(runs: grad.RunSet, mode: str) -> dict[str, np.ndarray]:
    """Returns {run name: ||dL/dh_t|| (T,)} of each run's current model under its own truncation, on 8 passages."""
    ids = passage_batch(TextConfig(), TRUNC_LENGTH)[0]
    x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
    return {name: grad.truncated_hidden_grads(run.model, x, lm_loss(y, mode), run.cfg.bptt).norms[-1].numpy()
            for name, run in runs.runs.items()}


def trend(run: grad.TrainRun) -> str:
    """Returns how a run's loss went: diverged, got worse than at the start, or fell."""
    h = run.history
    if run.diverged:
        return f"diverged at step {len(h) + 1}"
    if not h:
        return "not started"
    recent = float(np.mean([m.loss for m in h[-10:]]))
    verdict = "got worse" if recent > h[0].loss else "fell"
    return f"loss {verdict}: {h[0].loss:.2f} → {recent:.2f} (mean of the last 10 steps)"
