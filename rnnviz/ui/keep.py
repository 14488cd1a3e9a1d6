"""A learner's runs beyond one session: the token in every page's URL, saving to the run store, restoring.

The token (``?learner=...``, from ``secrets``) is created when the learner first trains, rides in the
URL of every page (so a reload, a bookmark or a lesson's link keeps it) and is shown only in the
sidebar's "Your link to come back". Share and class links are built from the settings alone, so they
never carry it. Saving is cheap and throttled: on start, pause, done, reset, and at most every
SAVE_EVERY_S seconds while a run trains. A store that cannot be written never breaks a page.
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
import torch

from rnnviz import runfile, runstore
from rnnviz.catalog import t
from rnnviz.errors import RnnvizError
from rnnviz.tasks import make_model, make_task
from rnnviz.train import Snapshot
from rnnviz.ui import cache

log = logging.getLogger(__name__)

LEARNER_PARAM = "learner"  # the URL parameter that carries the token
TOKEN_KEY = "rnnviz_learner"  # this session's token (None until the first run)
LOADED_KEY = "rnnviz_learner_loaded"  # the token whose stored runs this session has loaded
FAILED_KEY = "rnnviz_store_failed"  # the last save failed: the sidebar says runs are not being kept
NOTES_KEY = "rnnviz_store_notes"  # messages about restored runs, shown once in the sidebar
SAVE_EVERY_S = 20.0  # while training, a run is saved at most this often (a save takes ~10-45 ms: ~1 ms per refresh)
# A Pause press runs its callback while the live fragment may still be finishing a training chunk of the
# same run, in another thread: both save. Saves are serialised, and each reads the run when its turn comes.
SAVE_LOCK = threading.Lock()
CLASS_PARAM = "class"  # the URL parameter that carries a class board's code (see rnnviz.classcode)
CLASS_KEY = "rnnviz_class"  # this session's class code, once a valid one came by a link
NICK_KEY = "rnnviz_nickname"  # the nickname this learner gave the class board ("" for anonymous)
LAB_KEY = "lab_run"  # the lab's current run (rnnviz.ui.lab.LAB_KEY; not imported, to keep page setup light)


def token() -> str | None:
    """Returns this session's learner token, if it has one."""
    return st.session_state.get(TOKEN_KEY)


def ensure_token() -> str:
    """Returns this session's token, creating an unguessable one on first use (the URL follows on the next run)."""
    if token() is None:
        st.session_state[TOKEN_KEY] = runstore.new_token()
        st.session_state[LOADED_KEY] = st.session_state[TOKEN_KEY]  # nothing stored yet: nothing to load
    return st.session_state[TOKEN_KEY]


def sync() -> None:
    """Adopts a token from the URL (loading its runs) and keeps this session's token in the URL."""
    s = st.session_state
    raw, mine = st.query_params.get(LEARNER_PARAM), token()
    if raw is not None and raw != mine:
        if not runstore.valid_token(raw):
            _note("common.keep.bad_learner")
            if mine is None:
                del st.query_params[LEARNER_PARAM]
        elif mine is None:  # a new session (reload, bookmark, a lesson opened by its link): adopt it
            s[TOKEN_KEY], mine = raw, raw
        # else: this session already has its own code and runs; it keeps them (and its code in the URL)
    if mine is not None and s.get(LOADED_KEY) != mine:
        s[LOADED_KEY] = mine
        restore(mine)
    if mine is not None and st.query_params.get(LEARNER_PARAM) != mine:
        st.query_params[LEARNER_PARAM] = mine  # every page carries it: reloads, bookmarks, links between lessons
    _sync_class()


def _sync_class() -> None:
    """Adopts a class code from the URL (one gate: classcode.normal_code) and keeps it in the URL like the token."""
    from rnnviz.classcode import normal_code

    raw = st.query_params.get(CLASS_PARAM)
    if raw is not None and raw != st.session_state.get(CLASS_KEY):
        code = normal_code(raw)
        if code is None:
            _note("common.keep.bad_class")
            del st.query_params[CLASS_PARAM]
        else:
            st.session_state[CLASS_KEY] = code
    code = st.session_state.get(CLASS_KEY)
    if code is not None and st.query_params.get(CLASS_PARAM) != code:
        st.query_params[CLASS_PARAM] = code


def board() -> tuple[str, str] | None:
    """Returns (class code, nickname) when this session trains for a class board."""
    code = st.session_state.get(CLASS_KEY)
    return (code, st.session_state.get(NICK_KEY) or "") if code else None


def _note(key: str, **params: object) -> None:
    """Keeps a note's catalogue key and values: it is worded when shown, in the language of that moment."""
    st.session_state.setdefault(NOTES_KEY, []).append((key, params))


def notes() -> None:
    """Shows (once) what happened to the learner's stored runs on this page load."""
    for key, params in st.session_state.pop(NOTES_KEY, []):
        st.info(t(key, **params), icon=":material/history:")


def come_back_link() -> None:
    """Draws the learner's own link back to their runs (the only place the token is shown)."""
    tok = token()
    if tok is None:
        return
    if st.session_state.get(FAILED_KEY):
        st.warning(t("common.keep.not_kept"), icon=":material/warning:")
    with st.expander(t("common.keep.link_title")):
        base = (st.context.url or "").split("?")[0]
        st.code(f"{base}?{LEARNER_PARAM}={tok}", language=None, wrap_lines=True)
        st.caption(t("common.keep.link_help"))


# --- saving ---------------------------------------------------------------------------------------


def _current():
    return st.session_state.get(LAB_KEY)


def save_entry(entry, lab=None) -> int:
    """Saves one of the session's models (with its lab run's status and sample when given); returns the bytes."""
    tok = token()
    if tok is None:
        return 0
    with SAVE_LOCK:  # built and written under the lock: of two racing saves the last one holds the latest state
        return _save_locked(tok, entry, lab)


def _save_locked(tok: str, entry, lab) -> int:
    run = entry.run
    status = lab.status if lab is not None else ("paused" if entry.status == "running" else entry.status)
    entry.status = status
    sample = None
    if lab is not None and lab.sample is not None:
        (step, prefix, temp), text = lab.sample[0], lab.sample[1]
        sample = {"step": step, "prefix": prefix, "temperature": temp, "text": text}
    stored = runstore.StoredRun(
        entry.run_id, entry.name, entry.cfg, list(run.history),
        {k: v.detach() for k, v in run.model.state_dict().items()},
        [(s.step, s.state) for s in run.snapshots], run.snapshot_every, status,
        lab is not None and lab is _current(), sample, time.time(), run.diverged, run.optimizer.state_dict(),
        story=tuple(run.story), board=board())
    try:
        size = runstore.save(tok, stored, entry.encoded)
    except (OSError, RnnvizError) as err:
        log.warning("run store: could not save a run: %s", err)
        st.session_state[FAILED_KEY] = True
        return 0
    st.session_state.pop(FAILED_KEY, None)
    return size


def autosave(lab, force: bool = False) -> None:
    """Saves the lab's run if it changed: always when forced (pause, done, start), else at most every SAVE_EVERY_S."""
    from rnnviz.ui.store import models

    entry = models().get(lab.name) if lab is not None else None
    if entry is None or token() is None:
        return
    changed = (lab.steps_done, lab.status) != lab.saved_as
    if force or (changed and (lab.status != "running" or time.monotonic() - lab.saved_at >= SAVE_EVERY_S)):
        entry.run = lab.run  # a preset run that detached has a new TrainRun
        lab.saved_at, lab.saved_as = time.monotonic(), (lab.steps_done, lab.status)
        save_entry(entry, lab)


def forget(entry) -> None:
    """Removes a model from the run store (the learner reset it)."""
    tok = token()
    if tok is not None:
        try:
            runstore.delete(tok, entry.run_id)
        except OSError as err:
            log.warning("run store: could not delete a run: %s", err)


# --- restoring ------------------------------------------------------------------------------------


def restore(tok: str) -> int:
    """Replaces the session's models with the learner's stored runs; returns how many came back."""
    from rnnviz.ui.lab_runs import LabRun
    from rnnviz.ui.store import ACTIVE_KEY, ModelEntry, models

    start = time.perf_counter()
    stored = runstore.load_all(tok)[-runstore.MAX_RUNS:]
    own, lab, was_training, skipped = models(), None, None, 0
    own.clear()
    st.session_state.pop(LAB_KEY, None)
    shown = next((sr for sr in reversed(stored) if sr.current), stored[-1] if stored else None)  # the lab's run
    for sr in stored:
        try:
            run = _rebuild(sr)
        except RnnvizError as err:
            log.warning("run store: skipped a stored run that does not fit its model: %s", err)
            skipped += 1
            continue
        name = _unique(sr.name, own)
        status = "paused" if sr.status == "running" else sr.status
        own[name] = ModelEntry(name, sr.cfg, run, sr.run_id, status)
        if sr is shown or lab is None:
            lab = LabRun(name, sr.cfg, run, None, status)
            if sr.sample is not None:
                s = sr.sample
                lab.sample = ((s["step"], s["prefix"], s["temperature"]), s["text"], 0.0)
            lab.saved_as = (run.steps_done, status)
            was_training = (name, run.steps_done) if sr.status == "running" else None
    if lab is not None:
        st.session_state[LAB_KEY] = lab
        st.session_state[ACTIVE_KEY] = lab.name
    if own:
        if was_training is None:
            _note("common.keep.restored_many" if len(own) > 1 else "common.keep.restored_one", count=len(own))
        else:
            _note("common.keep.restored_many_paused" if len(own) > 1 else "common.keep.restored_one_paused",
                  count=len(own), step=was_training[1])
    if skipped:
        _note("common.keep.skipped", count=skipped)
    log.info("run store: restored %d runs in %.3f s", len(own), time.perf_counter() - start)
    return len(own)


def _rebuild(sr: runstore.StoredRun):
    """Returns a private TrainRun of a stored run: weights and snapshots checked by the run-file gate."""
    from rnnviz.ui.lab_runs import private_run

    task = make_task(sr.cfg, cache.data_for(sr.cfg))
    model = runfile.load_into(make_model(task, sr.cfg.model, sr.cfg.train.seed), sr.state)
    run = private_run(model, task, sr.cfg, sr.history)
    expected = model.state_dict()
    kept = []
    for step, state in sr.snapshots:
        runfile.check_weights(expected, state)  # names, shapes, finite values: checked, not copied anywhere
        if step < run.steps_done:
            kept.append(Snapshot(step, state))
    run.snapshots = kept + run.snapshots  # the stored checkpoints, then the weights it holds now
    run.snapshot_every = max(run.snapshot_every, sr.snapshot_every)
    run.diverged = sr.diverged
    run.story = list(sr.story)  # the sample history at milestone steps
    resume_optimizer(run, sr.optimizer)
    return run


def resume_optimizer(run, saved: dict | None) -> bool:
    """Puts a stored optimizer state into run's optimizer if it fits its parameters; returns whether it did."""
    if saved is None:
        return False
    params = [p for group in run.optimizer.param_groups for p in group["params"]]
    for index, values in saved["state"].items():
        if not 0 <= index < len(params):
            return False
        for value in values.values():
            if isinstance(value, torch.Tensor) and (not torch.isfinite(value).all() or (
                    value.ndim > 0 and (value.shape != params[index].shape or value.dtype != params[index].dtype))):
                return False
    current = run.optimizer.state_dict()
    try:
        run.optimizer.load_state_dict({**current, "state": saved["state"]})  # hyperparameters stay the config's
    except (ValueError, KeyError, TypeError, RuntimeError):
        return False
    return True


def _unique(name: str, taken) -> str:
    k, candidate = 2, name
    while candidate in taken:
        candidate, k = f"{name} ({k})", k + 1
    return candidate

