"""The training lab's settings widgets, generated from the settings table (rnnviz.lab_table): the preset and task
choice, one widget per setting of the task, their session values, and the config they describe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rnnviz import lab_table
from rnnviz.catalog import has, t
from rnnviz.config import CELL_LABELS, OWN_CORPUS, RunConfig
from rnnviz.errors import RnnvizError
from rnnviz.lab_table import CORPUS, SETTINGS, TASK, Setting
from rnnviz.owntext import with_own_text
from rnnviz.presets import LAB_DEFAULTS, PRESETS_BY_SLUG, preset_for, validate
from rnnviz.ui.affordances import control, hidden_controls
from rnnviz.ui.core import error_box
from rnnviz.ui.lab import current
from rnnviz.ui.own_text import own_text_box

CUSTOM = "custom"
PRESET_KEY = "lab_preset"
SETTING_KEYS = (*(key for s in SETTINGS for key in s.keys), PRESET_KEY)  # every session key the settings keep
REMEMBER_KEY = "lab_settings_kept"  # the settings at the last lab run: shown again when the learner comes back
TASK_VALUES_KEY = "lab_settings_by_task"  # task -> the settings the learner last had for it
PINNED_KEY = "lab_link_values"  # the widget values of the last link applied: hidden controls stay at them
SPEED_KEY = "lab_speed"
OWN_KEY = "lab_own"  # the own-text box (rnnviz.ui.own_text): its paste area and the last good text it kept
OWN_PASTE, OWN_KEPT = f"{OWN_KEY}_paste", f"{OWN_KEY}_kept"
OWN_KEYS = (OWN_PASTE, OWN_KEPT)
COLUMNS = 4


def widget_values(cfg: RunConfig) -> dict[str, object]:
    """Returns the settings widgets' session values (by key) that describe cfg."""
    preset = preset_for(cfg)
    own = dict.fromkeys(OWN_KEYS, cfg.text.own_text) if cfg.text.own_text else {}  # a restored run's text, in its box
    return {**lab_table.to_widgets(cfg), PRESET_KEY: preset.slug if preset else CUSTOM, **own}


def set_widgets(cfg: RunConfig) -> None:
    """Puts cfg into the settings widgets (call before they are drawn, or from a callback)."""
    st.session_state.update(widget_values(cfg))


def widgets_cfg() -> RunConfig:
    """Returns the RunConfig the settings widgets describe (not yet validated)."""
    s = st.session_state
    cfg = lab_table.from_widgets(s, LAB_DEFAULTS[s[TASK.key]])
    if cfg.text.corpus != OWN_CORPUS:
        return cfg
    return replace(cfg, text=with_own_text(cfg.text, s.get(OWN_KEPT)))  # still no text: validate says it is missing


def persist() -> None:
    """Keeps every setting in session state, even those whose widget this task hides.

    Streamlit forgets the value of a widget that was not drawn in a run; re-assigning the keys
    before the widgets are drawn keeps them, and a fresh session starts from the defaults.
    """
    s = st.session_state
    if TASK.key not in s:  # a fresh session, or back from another page (Streamlit dropped the widgets' values)
        lab = current()
        if s.get(REMEMBER_KEY):
            s.update(s[REMEMBER_KEY])  # the settings the learner left the lab with
        else:
            set_widgets(lab.cfg if lab is not None else LAB_DEFAULTS["lm"])  # a restored run's, or the defaults
        return
    for key in (*SETTING_KEYS, *(k for k in OWN_KEYS if k in s)):  # the own text too, while another corpus shows
        s[key] = s[key]
    follow_preset()


def follow_preset() -> None:
    """Shows the preset the settings are, or custom: a learner who edits a preset's settings is on custom settings."""
    preset = preset_for(widgets_cfg())
    st.session_state[PRESET_KEY] = preset.slug if preset else CUSTOM


def _on_preset() -> None:
    slug = st.session_state[PRESET_KEY]
    if slug != CUSTOM:
        set_widgets(PRESETS_BY_SLUG[slug].cfg)
    st.session_state[SPEED_KEY] = "full" if slug == CUSTOM else "lesson"  # a preset is for watching together


def _remember() -> None:
    """Keeps the settings as they are now, outside the widgets: for the lab's next visit and per task."""
    s = st.session_state
    values = {key: s[key] for key in (*SETTING_KEYS, *(k for k in OWN_KEYS if k in s))}
    s[REMEMBER_KEY] = values
    s.setdefault(TASK_VALUES_KEY, {})[values[TASK.key]] = values


def _on_task() -> None:
    """Switches task: the settings the learner last had for it (a link's included), else the task's defaults."""
    s = st.session_state
    task, pinned = s[TASK.key], s.get(PINNED_KEY)
    kept = s.get(TASK_VALUES_KEY, {}).get(task)
    if kept is not None:
        s.update(kept)
    elif pinned and pinned.get(TASK.key) == task:
        s.update(pinned)
    else:
        set_widgets(LAB_DEFAULTS[task])


def label(setting: Setting) -> str:
    """Returns a setting's widget label in the learner's language."""
    return t(f"training_lab.settings.{setting.name}")


def help_text(setting: Setting) -> str | None:
    """Returns a setting's help in the learner's language, if it has one."""
    key = f"training_lab.settings_help.{setting.name}"
    return t(key) if has(key, "en") else None


def option_label(setting: Setting) -> Callable[[str], str]:
    """Returns the format_func that names a choice's options (their values stay the link's codes)."""
    if setting.display == "cell":
        return lambda value: CELL_LABELS.get(value, value)
    if setting.display == "upper":
        return str.upper
    corpus = corpus_name(st.session_state.get(CORPUS.key, CORPUS.spec.default))  # the task's name says what it reads
    names = {value: t(f"training_lab.options.{setting.name}.{value}", corpus=corpus) for value in setting.options}
    return lambda value: names.get(value, value)


def corpus_name(corpus: str) -> str:
    """Returns a corpus's short name in the learner's language ('The Time Machine', '唐诗', 'your own text')."""
    return t(f"training_lab.corpus_short.{corpus}")


def draw(setting: Setting, where: DeltaGenerator, on_change: Callable[[], None] | None = None) -> object:
    """Draws the widget(s) of one setting into where; returns the main widget's value."""
    common = dict(key=setting.key, help=help_text(setting), on_change=on_change)
    if setting.widget == "select":
        return where.selectbox(label(setting), setting.options, format_func=option_label(setting), **common)
    if setting.widget == "radio":
        return where.radio(label(setting), setting.options, format_func=option_label(setting), horizontal=True,
                           **common)
    low, high = setting.bounds
    number = dict(format="%g") if setting.decimals else {}
    if setting.widget == "clip":
        where.checkbox(t("training_lab.settings.clip_on"), key=setting.keys[0],
                       help=t("training_lab.settings_help.clip_on"))
        return where.number_input(label(setting), float(low), float(high), **number, **common,
                                  disabled=not st.session_state[setting.keys[0]])
    if setting.step is not None:
        number["step"] = int(setting.step) if setting.whole else setting.step
    bounds = (int(low), int(high)) if setting.whole else (float(low), float(high))
    return where.number_input(label(setting), *bounds, **number, **common)


def settings() -> RunConfig | None:
    """Draws the preset choice and the settings; returns the validated config, or None (with a message) if bad.

    A class link can hide any of them (?hide=cell,lr): the hidden ones are not drawn, the others close up,
    and the values stay the link's (lab_links pins them in session state).
    """
    _remember()
    presets = {CUSTOM: t("training_lab.preset.custom"), **{slug: p.name for slug, p in PRESETS_BY_SLUG.items()}}
    control("preset", None, lambda: st.selectbox(
        t("training_lab.preset.label"), list(presets), key=PRESET_KEY, on_change=_on_preset,
        format_func=presets.get))
    preset = PRESETS_BY_SLUG.get(st.session_state[PRESET_KEY])
    if preset is not None:
        st.caption(t("training_lab.preset.look_for", look_for=preset.look_for))
    control(TASK.name, None, partial(draw, TASK, st, _on_task))
    hidden, task = hidden_controls(), st.session_state[TASK.key]
    shown = [s for s in SETTINGS if s is not TASK and s.applies(task) and s.name not in hidden]
    for row in range(0, len(shown), COLUMNS):
        for col, setting in zip(st.columns(COLUMNS), shown[row:row + COLUMNS]):
            draw(setting, col)
    if task == "lm" and st.session_state[CORPUS.key] == OWN_CORPUS and CORPUS.name not in hidden:
        own_text_box(OWN_KEY)  # under the settings, full width: a text area and an uploader
        if not st.session_state.get(OWN_KEPT):
            st.info(t("training_lab.own.empty"), icon=":material/edit_note:")
            return None
    try:
        return validate(widgets_cfg())
    except RnnvizError as err:
        error_box(err)
        return None
