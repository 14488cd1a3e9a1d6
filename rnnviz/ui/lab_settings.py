"""The training lab's controls: presets, settings widgets, start / pause / resume / one step / reset, run files.

The links (shared, class, presets) are in lab_links.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rnnviz import history, runfile
from rnnviz.config import CELL_LABELS, CELLS, SENTIMENT_TRAIN_SOURCES, SERIES_NAMES, RunConfig
from rnnviz.errors import RnnvizError
from rnnviz.pace import LESSON_SECONDS, SLOW_SECONDS, SPEEDS
from rnnviz.plots.training import compare_figure
from rnnviz.presets import (
    CLIP_RANGE,
    LAB_DEFAULTS,
    LIMITS,
    LR_RANGE,
    OPTIMIZERS,
    PRESETS_BY_SLUG,
    SAMPLINGS,
    TASK_LABELS,
    TASKS,
    preset_for,
    validate,
)
from rnnviz.tasks import make_model, make_task
from rnnviz.ui import cache, keep, lab_step, store, uploads
from rnnviz.ui.affordances import control, hidden_controls
from rnnviz.ui.chart_fit import fitted
from rnnviz.ui.core import error_box
from rnnviz.ui.lab import LAB_KEY, LabRun, current, new_lab_run, private_run
from rnnviz.ui.lab_runs import MESSAGE_KEY, take_message
from rnnviz.ui.safe_text import plain, plotly_text

CUSTOM = "custom"
MAX_MODELS = 6  # per session: each keeps a model and its optimizer state in server memory
SETTING_KEYS = ("lab_task", "lab_cell", "lab_hidden", "lab_layers", "lab_opt", "lab_lr", "lab_clip_on", "lab_clip",
                "lab_steps", "lab_seed", "lab_seq", "lab_batch", "lab_sampling", "lab_series", "lab_source", "lab_preset")
REMEMBER_KEY = "lab_settings_kept"  # the settings at the last lab run: shown again when the learner comes back
COMPARE_SEEN_KEY = "lab_compare_seen"  # the runs the comparison knew at the last run: new ones are added
TASK_VALUES_KEY = "lab_settings_by_task"  # task -> the settings the learner last had for it
SERIES_LABELS = {"sine": "d2l sine + noise", "airline": "airline passengers", "temperatures": "Melbourne temperatures",
                 "sunspots": "sunspots"}
SPEED_KEY = "lab_speed"
SPEED_LABELS = {"slow": f"Slow (~{SLOW_SECONDS / 60:.2g} min)", "lesson": f"Lesson (~{LESSON_SECONDS:.0f} s)",
                "full": "Full speed"}
SPEED_HELP = ("How fast you see it train. Lesson spreads the whole run over about "
              f"{LESSON_SECONDS:.0f} s so a class can watch the loss, the gradient norm and the samples "
              "change; full speed trains as fast as the server can. You can change it while it trains.")
SOURCE_LABELS = {"imdb": "IMDb", "amazon": "Amazon", "yelp": "Yelp", "all": "All three"}


def widget_values(cfg: RunConfig) -> dict[str, object]:
    """Returns the settings widgets' session values (by key) that describe cfg."""
    preset = preset_for(cfg)
    return {
        "lab_task": cfg.task, "lab_cell": cfg.model.cell, "lab_hidden": cfg.model.hidden_size,
        "lab_layers": cfg.model.num_layers, "lab_opt": cfg.train.optimizer, "lab_lr": float(cfg.train.lr),
        "lab_clip_on": cfg.train.clip is not None, "lab_clip": float(cfg.train.clip if cfg.train.clip is not None else 1.0),
        "lab_steps": cfg.train.steps, "lab_seed": cfg.train.seed, "lab_seq": cfg.text.num_steps,
        "lab_batch": cfg.text.batch_size, "lab_sampling": cfg.text.sampling, "lab_series": cfg.series.name,
        "lab_source": cfg.sentiment.source, "lab_preset": preset.slug if preset else CUSTOM,
    }


def set_widgets(cfg: RunConfig) -> None:
    """Puts cfg into the settings widgets (call before they are drawn, or from a callback)."""
    st.session_state.update(widget_values(cfg))


def persist() -> None:
    """Keeps every setting in session state, even those whose widget this task hides.

    Streamlit forgets the value of a widget that was not drawn in a run; re-assigning the keys
    before the widgets are drawn keeps them, and a fresh session starts from the defaults.
    """
    s = st.session_state
    if "lab_task" not in s:  # a fresh session, or back from another page (Streamlit dropped the widgets' values)
        lab = current()
        if s.get(REMEMBER_KEY):
            s.update(s[REMEMBER_KEY])  # the settings the learner left the lab with
        else:
            set_widgets(lab.cfg if lab is not None else LAB_DEFAULTS["lm"])  # a restored run's, or the defaults
        return
    for key in SETTING_KEYS:
        s[key] = s[key]
    preset = preset_for(widgets_cfg())  # a learner who edits a preset's settings is on custom settings
    s.lab_preset = preset.slug if preset else CUSTOM


def _on_preset() -> None:
    slug = st.session_state.lab_preset
    if slug != CUSTOM:
        set_widgets(PRESETS_BY_SLUG[slug].cfg)
    st.session_state[SPEED_KEY] = "full" if slug == CUSTOM else "lesson"  # a preset is for watching together


def _remember() -> None:
    """Keeps the settings as they are now, outside the widgets: for the lab's next visit and per task."""
    s = st.session_state
    values = {key: s[key] for key in SETTING_KEYS}
    s[REMEMBER_KEY] = values
    s.setdefault(TASK_VALUES_KEY, {})[values["lab_task"]] = values


def _on_task() -> None:
    """Switches task: the settings the learner last had for it (a link's included), else the task's defaults."""
    s = st.session_state
    task, pinned = s.lab_task, s.get("lab_link_values")
    kept = s.get(TASK_VALUES_KEY, {}).get(task)
    if kept is not None:
        s.update(kept)
    elif pinned and pinned.get("lab_task") == task:
        s.update(pinned)
    else:
        set_widgets(LAB_DEFAULTS[task])


def settings() -> RunConfig | None:
    """Draws the preset choice and the settings; returns the validated config, or None (with a message) if bad.

    A class link can hide any of them (?hide=cell,lr): the hidden ones are not drawn, the others close up,
    and the values stay the link's (lab_links pins them in session state).
    """
    _remember()
    control("preset", None, lambda: st.selectbox(
        "Preset for a class", [CUSTOM, *PRESETS_BY_SLUG], key="lab_preset", on_change=_on_preset,
        format_func=lambda s: "Custom settings" if s == CUSTOM else PRESETS_BY_SLUG[s].name))
    preset = PRESETS_BY_SLUG.get(st.session_state.lab_preset)
    if preset is not None:
        st.caption(f"**What to look for:** {preset.look_for}")
    control("task", None, lambda: st.radio("Task", TASKS, key="lab_task", format_func=TASK_LABELS.get,
                                           horizontal=True, on_change=_on_task))
    hidden = hidden_controls()
    shown = [draw for name, draw in _setting_widgets(st.session_state.lab_task) if name not in hidden]
    for row in range(0, len(shown), 4):
        for col, draw in zip(st.columns(4), shown[row:row + 4]):
            draw(col)
    try:
        return validate(widgets_cfg())
    except RnnvizError as err:
        error_box(err)
        return None


def _setting_widgets(task: str) -> list[tuple[str, Callable[[DeltaGenerator], object]]]:
    """Returns (control name, draw into a column) for every setting of the task, in reading order."""
    per_task = {
        "lm": ("seq", lambda c: c.number_input("Sequence length", *LIMITS["seq"], key="lab_seq",
                                               help="Characters per subsequence (d2l: 35)")),
        "forecast": ("series", lambda c: c.selectbox("Series", SERIES_NAMES, key="lab_series",
                                                     format_func=SERIES_LABELS.get)),
        "sentiment": ("source", lambda c: c.selectbox("Sentences", SENTIMENT_TRAIN_SOURCES, key="lab_source",
                                                      format_func=SOURCE_LABELS.get)),
    }
    widgets = [
        ("cell", lambda c: c.selectbox("Cell", CELLS, key="lab_cell", format_func=CELL_LABELS.get)),
        ("hidden", lambda c: c.number_input("Hidden size", *LIMITS["hidden"], key="lab_hidden", step=8)),
        ("layers", lambda c: c.number_input("Layers", *LIMITS["layers"], key="lab_layers")),
        per_task[task],
        ("opt", lambda c: c.radio("Optimizer", OPTIMIZERS, key="lab_opt", format_func=str.upper, horizontal=True)),
        ("lr", lambda c: c.number_input("Learning rate", *LR_RANGE, key="lab_lr", format="%g", step=0.001)),
        ("clip", _clip_widgets),
        ("steps", lambda c: c.number_input("Steps", *LIMITS["steps"], key="lab_steps", step=100)),
    ]
    if task == "lm":
        widgets += [
            ("batch", lambda c: c.number_input("Batch size", *LIMITS["batch"], key="lab_batch")),
            ("sampling", lambda c: c.radio("Sampling", SAMPLINGS, key="lab_sampling", horizontal=True,
                                           help="Sequential carries the state across minibatches; random starts "
                                                "each from zero (d2l 9.3)")),
        ]
    return widgets + [("seed", lambda c: c.number_input("Seed", *LIMITS["seed"], key="lab_seed",
                                                        help="Same settings + same seed = the same run"))]


def _clip_widgets(c: DeltaGenerator) -> None:
    c.checkbox("Clip gradients", key="lab_clip_on", help="Rescale the gradient when its global norm exceeds θ")
    c.number_input("Threshold θ", *CLIP_RANGE, key="lab_clip", format="%g", disabled=not st.session_state.lab_clip_on)


def widgets_cfg() -> RunConfig:
    """Returns the RunConfig the settings widgets describe (not yet validated)."""
    s = st.session_state
    base = LAB_DEFAULTS[s.lab_task]
    return replace(
        base, model=replace(base.model, cell=s.lab_cell, hidden_size=int(s.lab_hidden), num_layers=int(s.lab_layers)),
        train=replace(base.train, optimizer=s.lab_opt, lr=float(s.lab_lr), steps=int(s.lab_steps), seed=int(s.lab_seed),
                      clip=float(s.lab_clip) if s.lab_clip_on else None),
        text=replace(base.text, num_steps=int(s.lab_seq), batch_size=int(s.lab_batch), sampling=s.lab_sampling),
        series=replace(base.series, name=s.lab_series), sentiment=replace(base.sentiment, source=s.lab_source))


def controls(cfg: RunConfig | None) -> None:
    """Draws the run name and the Start / Pause / Resume / Reset buttons (by key, for tests and the browser)."""
    message = take_message()
    if message is not None:
        (st.error if message[0] == "error" else st.info)(message[1])
    lab = current()
    if SPEED_KEY not in st.session_state:  # presets start at lesson speed, custom settings at full speed
        st.session_state[SPEED_KEY] = "lesson" if cfg is not None and preset_for(cfg) is not None else "full"
    # A wrapping row, not columns: no label is cut at 1024 px, and on a phone the buttons stay side by side.
    with st.container(horizontal=True, vertical_alignment="bottom", key="lab_controls"):
        st.text_input("Name this run (optional)", key="lab_name", placeholder=auto_name(cfg) if cfg else "",
                      max_chars=40, width=240,
                      help="Runs are kept under their names, to compare and to inspect in other lessons")
        st.segmented_control("Speed", SPEEDS, key=SPEED_KEY, required=True, format_func=SPEED_LABELS.get,
                             on_change=_on_speed, help=SPEED_HELP)
        with st.container(horizontal=True, gap="small", width="content", key="lab_buttons"):
            st.button("Start", key="lab_start", type="primary", on_click=_start, disabled=cfg is None)
            if lab is not None and lab.status == "running":
                st.button("Pause", key="lab_pause", on_click=_set_status, args=("paused",))
            else:
                st.button("Resume", key="lab_resume", on_click=_set_status, args=("running",),
                          disabled=lab is None or lab.status != "paused")
            st.button("One step", key="lab_one_step", on_click=_one_step, help=lab_step.why_not(lab),
                      disabled=not lab_step.can_press(lab) or (cfg is None and not lab_step.can_step(lab)),
                      icon=":material/skip_next:")
            st.button("Reset", key="lab_reset", on_click=_reset, disabled=lab is None)
    if lab is not None and cfg is not None and lab.cfg != cfg:
        st.caption(f"Training **{plain(lab.name)}** with its own settings; press Start to train the settings above "
                   "as a new run.")


def _on_speed() -> None:
    lab = current()
    if lab is not None:
        lab.set_speed(st.session_state[SPEED_KEY])


def auto_name(cfg: RunConfig) -> str:
    """Returns a default run name that says what the run is."""
    what = {"lm": "char LM", "forecast": cfg.series.name, "sentiment": cfg.sentiment.source}[cfg.task]
    return f"{CELL_LABELS[cfg.model.cell]} {cfg.model.hidden_size} · {what} · lr {cfg.train.lr:g}"


def _unique(name: str) -> str:
    taken, k, candidate = store.models(), 2, name
    while candidate in taken:
        candidate, k = f"{name} ({k})", k + 1
    return candidate


def _keep(lab: LabRun) -> None:
    """Stores the run in the session's named models (dropping the oldest beyond MAX_MODELS)."""
    previous = current()
    st.session_state[LAB_KEY] = lab
    keep.ensure_token()  # the first run gives the learner a link to come back to
    lab.set_speed(st.session_state.get(SPEED_KEY, "full"))
    store.add_model(store.ModelEntry(lab.name, lab.cfg, lab.run))
    for old in list(store.models())[:-MAX_MODELS]:
        keep.forget(store.models().pop(old))
    if previous is not None and previous.name in store.models():
        if previous.status == "running":
            previous.status = "paused"  # nothing trains it any more
        keep.autosave(previous, force=True)
    keep.autosave(lab, force=True)


def _start(status: str = "running") -> None:
    try:
        cfg = validate(widgets_cfg())  # read now: a setting changed in the same click is already in session state
        name = _unique((st.session_state.get("lab_name") or "").strip() or auto_name(cfg))
        _keep(new_lab_run(name, cfg, status))
        lab_step.forget()
    except RnnvizError as err:
        st.session_state[MESSAGE_KEY] = ("error", plain(err))


def _one_step() -> None:
    """Takes one update of the paused run, or of a new (paused) run of the settings when none can go on."""
    if not lab_step.can_press(current()):
        return  # it began training in the meantime: the button was stale
    if not lab_step.can_step(current()):
        _start(status="paused")
    lab = current()
    if lab is not None:
        lab_step.take(lab)


def _set_status(status: str) -> None:
    lab = current()
    if lab is not None and lab.status in ("running", "paused"):
        lab.status, lab.last_tick = status, None
        keep.autosave(lab, force=True)


def _reset() -> None:
    """Forgets the current run: its model leaves the session's list and the lab is empty again."""
    lab = st.session_state.pop(LAB_KEY, None)
    lab_step.forget()
    if lab is not None:
        entry = store.models().pop(lab.name, None)
        if entry is not None:
            keep.forget(entry)


def run_files() -> None:
    """Draws downloads of the current run and the upload that restores one."""
    lab = current()
    if lab is not None and lab.run.history:
        stem = "".join(ch if ch.isalnum() else "_" for ch in lab.name)[:40]
        c = st.columns(4)
        c[0].download_button("Config + metrics (JSON)", lambda: runfile.run_json(lab.name, lab.cfg, lab.run.history,
                             lab.run.diverged, lab.run.story), f"{stem}.json", "application/json", key="lab_dl_json",
                             on_click="ignore")
        c[1].download_button("Metrics (CSV)", lambda: runfile.metrics_csv(lab.run.history), f"{stem}.csv", "text/csv",
                             key="lab_dl_csv", on_click="ignore")
        c[2].download_button("Sample history (CSV)", lambda: history.frame(lab.run.story, lab.cfg.task).to_csv(
                             index=False).encode("utf-8"), f"{stem}_history.csv", "text/csv", key="lab_dl_story",
                             on_click="ignore")
        c[3].download_button("Weights (.pt)", lambda: runfile.weights_bytes(lab.name, lab.cfg, lab.run.model,
                             lab.run.history, lab.run.story), f"{stem}.pt", "application/octet-stream",
                             key="lab_dl_pt", on_click="ignore")
    uploads.uploader("Restore a run: a .pt weights file from this lab, or a .json to load its settings", "lab_upload",
             ["pt", "json"], on_change=_on_upload)


def _on_upload() -> None:
    file = st.session_state.get("lab_upload")
    if file is None:
        return
    try:
        data = file.getvalue()
        if file.name.lower().endswith(".json"):
            rf = runfile.read_run_json(data)
            set_widgets(rf.cfg)
            st.session_state[MESSAGE_KEY] = ("info", f"Loaded the settings of '{plain(rf.name)}'. Press **Start** to "
                                                     "retrain it.")
            return
        rf = runfile.read_weights(data)
        task = make_task(rf.cfg, cache.data_for(rf.cfg))
        model = runfile.load_into(make_model(task, rf.cfg.model, rf.cfg.train.seed), rf.state_dict)
        run = private_run(model, task, rf.cfg, rf.history)  # snapshots from the restored step on
        run.story = list(rf.story)
        status = "done" if run.steps_done >= rf.cfg.train.steps else "paused"
        _keep(LabRun(_unique(rf.name), rf.cfg, run, None, status))
        set_widgets(rf.cfg)
        st.session_state[MESSAGE_KEY] = ("info", f"Restored '{plain(rf.name)}' at step {run.steps_done}. The inspection "
                                                 "lessons now show it; Resume continues training (with a fresh optimizer).")
    except RnnvizError as err:
        st.session_state[MESSAGE_KEY] = ("error", plain(err))


def compare() -> None:
    """Draws the session's models and a loss chart comparing the ones picked."""
    own = store.models()
    if not own:
        st.caption("Runs you train are kept here (up to 6), named, so you can compare them and inspect them in the "
                   "other lessons.")
        return
    names, s = list(own), st.session_state
    seen = s.get(COMPARE_SEEN_KEY)
    if "lab_compare" not in s or seen is None:
        s.lab_compare = names
    elif names != seen:  # a new run joins the comparison; a reset one leaves it
        s.lab_compare = [n for n in s.lab_compare if n in names] + [n for n in names if n not in seen]
    s[COMPARE_SEEN_KEY] = names
    picked = st.multiselect("Compare", names, key="lab_compare")
    st.plotly_chart(fitted(compare_figure({plotly_text(n): own[n].run.history for n in picked}), in_place=True),
                    key="lab_compare_chart")
