"""Streamlit side of the clipping and truncation lesson: live side-by-side runs (same seed, same batches)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from rnnviz import gradients as grad
from rnnviz import lm_gradients as lmg
from rnnviz.catalog import t
from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.errors import ConfigError
from rnnviz.plots import gradients as plots
from rnnviz.plots.training import grad_norm_parts
from rnnviz.predictions import Answer, diverges, truncation_first_step
from rnnviz.tasks import make_model, make_task
from rnnviz.ui import cache
from rnnviz.ui.affordances import chart, live_chart
from rnnviz.ui.gradients import LOSS_MODES, REFRESH_SECONDS, TICK_SECONDS, grad_label, loss_label, passage_batch
from rnnviz.ui.predict import predict
from rnnviz.ui.safe_text import plain, plotly_text

# the page reads these through this module too
__all__ = ["LOSS_MODES", "grad_label", "loss_label"]

CLIP_KEY, TRUNC_KEY = "grad_clip_runs", "grad_trunc_runs"
CLIPPED, NOT_CLIPPED = "clipped", "not clipped"  # the clipping panel's run names (session values, not words)
TRUNC_LENGTH = 100  # the subsequence length of the truncation runs: "full" backprop covers all of it


def lm_cfg(cell: str, hidden: int, optimizer: str, lr: float, clip: float | None, steps: int,
           num_steps: int = 35, bptt: int | None = None, batch: int = 32) -> RunConfig:
    """Returns a language-model run config for the side-by-side experiments."""
    return RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=hidden),
                     train=TrainConfig(optimizer=optimizer, lr=lr, clip=clip, steps=steps, bptt=bptt),
                     text=TextConfig(num_steps=num_steps, batch_size=batch))


def clip_cfgs(cell: str, lr: float, theta: float, steps: int) -> dict[str, RunConfig]:
    """Returns the clipping panel's two runs: the same SGD language model with and without clipping at theta."""
    return {CLIPPED: lm_cfg(cell, 64, "sgd", lr, theta, steps), NOT_CLIPPED: lm_cfg(cell, 64, "sgd", lr, None, steps)}


def trunc_cfgs(cell: str, cuts: list[str], steps: int) -> dict[str, RunConfig]:
    """Returns one Adam run per truncation length ('5', ..., 'full'), named 'bptt <length>'."""
    return {f"bptt {k}": lm_cfg(cell, 64, "adam", 0.01, 1.0, steps, num_steps=TRUNC_LENGTH,
                                bptt=None if k == "full" else int(k), batch=16) for k in cuts}


def run_label(name: str) -> str:
    """Returns the learner's words for a run name ('clipped', 'not clipped', 'bptt 5', 'bptt full')."""
    if name in (CLIPPED, NOT_CLIPPED):
        return t(f"clipping.run.{name.replace(' ', '_')}")
    length = name.removeprefix("bptt ")
    return t("clipping.run.bptt_full") if length == "full" else t("clipping.run.bptt", length=length)


def new_runset(cfgs: dict[str, RunConfig]) -> grad.RunSet:
    """Returns fresh runs for the named configs, each with its own model from the same seed."""
    runs = {}
    for name, cfg in cfgs.items():
        task = make_task(cfg, cache.data_for(cfg))
        runs[name] = grad.TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    steps = {cfg.train.steps for cfg in cfgs.values()}
    if len(steps) != 1:
        raise ConfigError("clipping.errors.same_budget")
    return grad.RunSet(runs, steps.pop())


def start(key: str, cfgs: dict[str, RunConfig]) -> None:
    """Replaces the session's run set under `key` with fresh runs and marks it running."""
    st.session_state[key] = new_runset(cfgs)
    st.session_state[f"{key}_running"] = True
    asked = "predict.clipping.diverges" if key == CLIP_KEY else "predict.clipping.truncation"
    for part in ("choice", "shown"):  # new runs: ask again
        st.session_state.pop(f"{asked}.{part}", None)


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


def start_stop(key: str, cfgs: dict[str, RunConfig]) -> None:
    """Draws Start and Stop buttons for the run set under `key` (Start begins fresh runs of cfgs)."""
    a, b, _ = st.columns([1, 1, 4])
    if a.button(t("clipping.start"), key=f"{key}_start", type="primary", disabled=running(key)):
        try:
            start(key, cfgs)
        except ConfigError as err:
            st.error(plain(err.words()), icon="⚠️")
            return
        st.rerun()
    if b.button(t("clipping.stop"), key=f"{key}_stop", disabled=not running(key)):
        stop(key)
        st.rerun()


def live(key: str, body: Callable[[grad.RunSet | None], None]) -> None:
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
        rate = t("clipping.run.rate", rate=run.steps_done / secs) if secs > 0 else ""
        parts.append(t("clipping.run.step", name=run_label(name), done=run.steps_done, total=runs.steps) + rate
                     + (t("clipping.run.diverged") if run.diverged else ""))
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
    return lmg.reach_curves({name: (run.model, run.cfg.bptt) for name, run in runs.runs.items()}, ids, mode)


def trend(run: grad.TrainRun) -> str:
    """Returns how a run's loss went: diverged, got worse than at the start, or fell."""
    h = run.history
    if run.diverged:
        return t("clipping.trend.diverged", step=len(h) + 1)
    if not h:
        return t("clipping.trend.not_started")
    first, recent = lmg.loss_trend([m.loss for m in h])
    if recent > first:
        return t("clipping.trend.worse", first=first, recent=recent)
    return t("clipping.trend.fell", first=first, recent=recent)


def _histories(runs: grad.RunSet) -> dict:
    """Returns {displayed run name: history} (names safe for a Plotly legend)."""
    return {plotly_text(run_label(n)): r.history for n, r in runs.runs.items()}


def peak_norm(run: grad.TrainRun) -> float:
    """Returns the largest finite gradient norm (before clipping) a run met, inf if it met none finite."""
    norms = [m.grad_norm for m in run.history if np.isfinite(m.grad_norm)]
    return max(norms) if norms else float("inf")


def truncation_answer(runs: grad.RunSet, curves: dict[str, np.ndarray], mode: str) -> Answer | None:
    """Returns what the shortest truncation does to the first step's gradient, against full backprop of the same
    model (None when no run is truncated)."""
    cut = sorted((run.cfg.bptt, name) for name, run in runs.runs.items() if run.cfg.bptt is not None)
    if not cut:
        return None
    name = cut[0][1]
    ids = passage_batch(TextConfig(), TRUNC_LENGTH)[0]
    full = lmg.reach_curves({name: (runs.runs[name].model, None)}, ids, mode)[name]
    return truncation_first_step(float(curves[name][0]), float(full[0]))


def clip_panel(runs: grad.RunSet | None) -> None:
    """Draws the clipping runs: progress, loss of both, each run's gradient norms and a check on a fixed batch."""
    if runs is None:
        st.info(t("clipping.clip.press_start"))
        return
    st.markdown(progress_line(runs))
    clipped, unclipped = runs.runs[CLIPPED], runs.runs[NOT_CLIPPED]
    revealed = True  # the unclipped run's verdict waits for the learner's prediction once it is known
    if unclipped.diverged or unclipped.steps_done >= runs.steps:
        revealed = predict("predict.clipping.diverges", diverges(bool(unclipped.diverged), peak_norm(unclipped)))
    verdict = trend(unclipped) if revealed else t("clipping.clip.predict_first")
    st.markdown(t("clipping.clip.trends", clipped=trend(clipped), unclipped=verdict))
    if unclipped.diverged and revealed:
        st.error(t("clipping.clip.diverged", reason=unclipped.diverged), icon="💥")
    diverged = {plotly_text(run_label(n)): r.diverged for n, r in runs.runs.items()}
    live_chart(plots.losses_figure(_histories(runs), t("clipping.clip.loss_title"), diverged=diverged), key="clip_loss")
    left, right = st.columns(2)
    with left:
        live_chart(grad_norm_parts(clipped.history, clipped.cfg.clip), key="clip_norm_clipped")
        st.caption(t("clipping.clip.clipped_caption", clipped=sum(m.clipped for m in clipped.history),
                     steps=clipped.steps_done))
    with right:
        live_chart(grad_norm_parts(unclipped.history, None), key="clip_norm_plain")
        st.caption(t("clipping.clip.plain_caption"))
    ids = passage_batch(clipped.task.text, 35)[0]
    check = grad.clip_check(clipped.model, lmg.lm_batch_loss(ids), clipped.cfg.clip)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("clipping.clip.raw_norm"), f"{check.raw_norm:.3g}")
    m2.metric(t("clipping.clip.clipped_norm"), f"{check.clipped_norm:.3g}", help=t("clipping.clip.clipped_norm_help"))
    m3.metric(t("clipping.clip.cosine"), f"{check.cosine:.6f}", help=t("clipping.clip.cosine_help"))


def trunc_panel(runs: grad.RunSet | None, cfgs: dict[str, RunConfig], mode: str) -> None:
    """Draws how far back each truncation's gradient reaches, then (once trained) loss per step and per second."""
    if runs is None:
        runs = idle_runset(TRUNC_KEY, cfgs)  # fresh models: the gradient picture before any training
    if runs is None:
        return
    tokens = passage_batch(TextConfig(), TRUNC_LENGTH)[1]
    reached = reach_curves(runs, mode)
    if (answer := truncation_answer(runs, reached, mode)) is not None:
        predict("predict.clipping.truncation", answer)
    curves = {plotly_text(run_label(n)): c for n, c in reached.items()}
    cuts = {plotly_text(run_label(n)): run.cfg.bptt for n, run in runs.runs.items()}
    chart(plots.reach_figure(curves, tokens, t("clipping.trunc.reach_title"), cuts), key="trunc_reach")
    if not any(r.history for r in runs.runs.values()):
        st.info(t("clipping.trunc.press_start"))
        return
    st.markdown(progress_line(runs))
    left, right = st.columns(2)
    with left:
        live_chart(plots.losses_figure(_histories(runs), t("clipping.trunc.loss_steps")), key="trunc_loss_steps")
    with right:
        seconds = {plotly_text(run_label(n)): s for n, s in runs.seconds.items()}
        live_chart(plots.losses_figure(_histories(runs), t("clipping.trunc.loss_seconds"), seconds=seconds),
                   key="trunc_loss_time")
