"""The training lab's controls: start / pause / resume / one step / reset, run files and the comparison of runs.

The settings widgets are in lab_widgets.py (generated from the settings table), the links in lab_links.py."""

from __future__ import annotations

import streamlit as st

from rnnviz import history, runfile, runsize
from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS, RunConfig
from rnnviz.errors import RnnvizError
from rnnviz.pace import LESSON_SECONDS, SLOW_SECONDS, SPEEDS
from rnnviz.plots.fit import fitted
from rnnviz.plots.training import compare_figure
from rnnviz.presets import LAB_DEFAULTS, preset_for, validate  # noqa: F401  (LAB_DEFAULTS: re-exported for tests)
from rnnviz.tasks import make_model, make_task
from rnnviz.ui import cache, keep, lab_step, store, uploads
from rnnviz.ui.lab import LAB_KEY, LabRun, current, new_lab_run, private_run
from rnnviz.ui.lab_runs import MESSAGE_KEY, take_message
from rnnviz.ui.lab_widgets import SPEED_KEY, corpus_name, set_widgets, widgets_cfg
from rnnviz.ui.safe_text import plain, plotly_text

MAX_MODELS = 6  # per session: each keeps a model and its optimizer state in server memory
COMPARE_SEEN_KEY = "lab_compare_seen"  # the runs the comparison knew at the last run: new ones are added


def speed_label(speed: str) -> str:
    """Returns a teaching speed's name with its duration, in the learner's language."""
    return t(f"training_lab.speed.{speed}", minutes=f"{SLOW_SECONDS / 60:.2g}", seconds=f"{LESSON_SECONDS:.0f}")


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
        st.text_input(t("training_lab.run.name"), key="lab_name",
                      placeholder=auto_name(cfg) if cfg else "", max_chars=40, width=240,
                      help=t("training_lab.run.name_help"))
        st.segmented_control(t("training_lab.speed.label"), SPEEDS, key=SPEED_KEY, required=True,
                             format_func=speed_label, on_change=_on_speed,
                             help=t("training_lab.speed.help", seconds=f"{LESSON_SECONDS:.0f}"))
        with st.container(horizontal=True, gap="small", width="content", key="lab_buttons"):
            st.button(t("training_lab.buttons.start"), key="lab_start", type="primary", on_click=_start,
                      disabled=cfg is None)
            if lab is not None and lab.status == "running":
                st.button(t("training_lab.buttons.pause"), key="lab_pause", on_click=_set_status, args=("paused",))
            else:
                st.button(t("training_lab.buttons.resume"), key="lab_resume", on_click=_set_status, args=("running",),
                          disabled=lab is None or lab.status != "paused")
            st.button(t("training_lab.buttons.one_step"), key="lab_one_step", on_click=_one_step, help=lab_step.why_not(lab),
                      disabled=not lab_step.can_press(lab) or (cfg is None and not lab_step.can_step(lab)),
                      icon=":material/skip_next:")
            st.button(t("training_lab.buttons.reset"), key="lab_reset", on_click=_reset, disabled=lab is None)
    if lab is not None and cfg is not None and lab.cfg != cfg:
        st.caption(t("training_lab.run.other_run", name=plain(lab.name)))


def _on_speed() -> None:
    lab = current()
    if lab is not None:
        lab.set_speed(st.session_state[SPEED_KEY])


def auto_name(cfg: RunConfig) -> str:
    """Returns a default run name that says what the run is."""
    lm = f"char LM · {corpus_name(cfg.text.corpus)}"  # the corpus in the learner's language, as the list shows it
    what = {"lm": lm, "forecast": cfg.series.name, "sentiment": cfg.sentiment.source}[cfg.task]  # a name: stays
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
        previous.pause()  # nothing trains it any more
        keep.autosave(previous, force=True)
    keep.autosave(lab, force=True)


def _start(status: str = "running") -> None:
    try:
        cfg = validate(widgets_cfg())  # read now: a setting changed in the same click is already in session state
        if cfg.task == "lm":  # refused before anything is replaced: the current run and the settings stay
            corpus = cache.corpus(cfg.text)
            runsize.check_text_fills_a_batch(runsize.check_fits(cfg, len(corpus.vocab)), len(corpus.tokens))
        name = _unique((st.session_state.get("lab_name") or "").strip() or auto_name(cfg))
        _keep(new_lab_run(name, cfg, status))
        lab_step.forget()
    except RnnvizError as err:
        st.session_state[MESSAGE_KEY] = ("error", plain(err.words()))


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
        if status == "paused":
            lab.pause()
        else:
            lab.status = status
        lab.last_tick = None
        keep.autosave(lab, force=True)


def _reset() -> None:
    """Forgets the current run: its model leaves the session's list and the lab is empty again."""
    lab = st.session_state.pop(LAB_KEY, None)
    lab_step.forget()
    if lab is not None:
        lab.pause()  # a refresh still training it would save it again after it is forgotten
        entry = store.models().pop(lab.name, None)
        if entry is not None:
            keep.forget(entry)


def run_files() -> None:
    """Draws downloads of the current run and the upload that restores one."""
    lab = current()
    if lab is not None and lab.run.history:
        stem = "".join(ch if ch.isalnum() else "_" for ch in lab.name)[:40]
        c = st.columns(4)
        c[0].download_button(t("training_lab.files.json"), lambda: runfile.run_json(lab.name, lab.cfg, lab.run.history,
                             lab.run.diverged, lab.run.story), f"{stem}.json", "application/json", key="lab_dl_json",
                             on_click="ignore")
        c[1].download_button(t("training_lab.files.csv"), lambda: runfile.metrics_csv(lab.run.history),
                             f"{stem}.csv", "text/csv", key="lab_dl_csv", on_click="ignore")
        c[2].download_button(t("training_lab.files.story"), lambda: history.frame(lab.run.story, lab.cfg.task).to_csv(
                             index=False).encode("utf-8"), f"{stem}_history.csv", "text/csv", key="lab_dl_story",
                             on_click="ignore")
        c[3].download_button(t("training_lab.files.weights"), lambda: runfile.weights_bytes(lab.name, lab.cfg, lab.run.model,
                             lab.run.history, lab.run.story), f"{stem}.pt", "application/octet-stream",
                             key="lab_dl_pt", on_click="ignore")
    uploads.uploader(t("training_lab.files.upload"), "lab_upload", ["pt", "json"], on_change=_on_upload)


def _on_upload() -> None:
    file = st.session_state.get("lab_upload")
    if file is None:
        return
    try:
        data = file.getvalue()
        if file.name.lower().endswith(".json"):
            rf = runfile.read_run_json(data)
            set_widgets(rf.cfg)
            st.session_state[MESSAGE_KEY] = ("info", t("training_lab.files.loaded", name=plain(rf.name)))
            return
        rf = runfile.read_weights(data)
        task = make_task(rf.cfg, cache.data_for(rf.cfg))
        model = runfile.load_into(make_model(task, rf.cfg.model, rf.cfg.train.seed), rf.state_dict)
        run = private_run(model, task, rf.cfg, rf.history)  # snapshots from the restored step on
        run.story = list(rf.story)
        status = "done" if run.steps_done >= rf.cfg.train.steps else "paused"
        _keep(LabRun(_unique(rf.name), rf.cfg, run, None, status))
        set_widgets(rf.cfg)
        st.session_state[MESSAGE_KEY] = ("info", t("training_lab.files.restored", name=plain(rf.name),
                                                   step=run.steps_done))
    except RnnvizError as err:
        st.session_state[MESSAGE_KEY] = ("error", plain(err.words()))


def compare() -> None:
    """Draws the session's models and a loss chart comparing the ones picked."""
    own = store.models()
    if not own:
        st.caption(t("training_lab.compare.empty", limit=MAX_MODELS))
        return
    names, s = list(own), st.session_state
    seen = s.get(COMPARE_SEEN_KEY)
    if "lab_compare" not in s or seen is None:
        s.lab_compare = names
    elif names != seen:  # a new run joins the comparison; a reset one leaves it
        s.lab_compare = [n for n in s.lab_compare if n in names] + [n for n in names if n not in seen]
    s[COMPARE_SEEN_KEY] = names
    picked = st.multiselect(t("training_lab.compare.label"), names, key="lab_compare")
    st.plotly_chart(fitted(compare_figure({plotly_text(n): own[n].run.history for n in picked}), in_place=True),
                    key="lab_compare_chart")
