"""The training lab's links: a shared link fills in the settings, a class link also hides chosen controls and
keeps them at the link's values, and the preset links for a teacher's handout."""

from __future__ import annotations

import urllib.parse

import streamlit as st

from rnnviz.config import RunConfig
from rnnviz.errors import RnnvizError
from rnnviz.presets import PRESETS, decode_query, encode_query, preset_for
from rnnviz.ui import lang
from rnnviz.ui.affordances import GUIDE_PARAM, HIDE_PARAM, class_link_form, hidden_controls
from rnnviz.ui.keep import CLASS_PARAM, LEARNER_PARAM
from rnnviz.ui.lab_settings import CUSTOM, MESSAGE_KEY, persist, widget_values, widgets_cfg
from rnnviz.ui.safe_text import plain

LINK_KEY = "lab_link_applied"  # the query params this session already applied (so our own URL sync is no news)
PINNED_KEY = "lab_link_values"  # the widget values of the last link applied: hidden controls stay at them
PAGE = "Training_lab"
# A control's name in ?hide=... (the same as its query parameter) -> the session keys of its widgets.
CONTROL_KEYS: dict[str, tuple[str, ...]] = {
    "preset": ("lab_preset",), "task": ("lab_task",), "cell": ("lab_cell",), "hidden": ("lab_hidden",),
    "layers": ("lab_layers",), "seq": ("lab_seq",), "series": ("lab_series",), "source": ("lab_source",),
    "opt": ("lab_opt",), "lr": ("lab_lr",), "clip": ("lab_clip_on", "lab_clip"), "steps": ("lab_steps",),
    "batch": ("lab_batch",), "sampling": ("lab_sampling",), "seed": ("lab_seed",),
}
CONTROL_LABELS = {"preset": "preset", "task": "task", "cell": "cell", "hidden": "hidden size", "layers": "layers",
                  "seq": "sequence length", "series": "series", "source": "sentences", "opt": "optimizer",
                  "lr": "learning rate", "clip": "clipping", "steps": "steps", "batch": "batch size",
                  "sampling": "sampling", "seed": "seed"}
TASK_ONLY = {"seq": "lm", "batch": "lm", "sampling": "lm", "series": "forecast", "source": "sentiment"}
KEPT_PARAMS = (HIDE_PARAM, GUIDE_PARAM, lang.PARAM)  # kept while the URL follows the settings
NOT_SETTINGS = (LEARNER_PARAM, CLASS_PARAM, lang.PARAM)  # in the URL, but not the run's settings


def _link_params() -> dict[str, str]:
    """Returns the page's URL parameters without the learner's token and the language (which are not settings)."""
    return {k: v for k, v in st.query_params.to_dict().items() if k not in NOT_SETTINGS}


def apply_link() -> None:
    """Applies the settings encoded in the page's URL once per new link, then holds hidden controls at its values."""
    params = _link_params()
    persist()
    if params and params != st.session_state.get(LINK_KEY):
        st.session_state[LINK_KEY] = params
        _apply(params)
    _pin_hidden()


def _apply(params: dict[str, str]) -> None:
    """Puts a link's settings into the widgets; a bad link leaves a plain message and the defaults."""
    try:
        cfg = decode_query(params)
    except RnnvizError as err:
        st.session_state[MESSAGE_KEY] = ("error", f"This link's settings cannot be used: {plain(err)} The lab's "
                                                  "defaults are shown instead.")
        return
    values = widget_values(cfg)
    st.session_state.update(values)
    st.session_state[PINNED_KEY] = values
    st.session_state[MESSAGE_KEY] = ("info", "Settings loaded from the link. Press **Start** to train them, or "
                                              "**One step** to walk through a single update.")


def _pin_hidden() -> None:
    """Keeps every control a class link hides at the link's value, whatever the visible ones do (e.g. a new task)."""
    pinned, s = st.session_state.get(PINNED_KEY), st.session_state
    names = fixed_controls()
    if not pinned or not names:
        return
    for name in names:
        for key in CONTROL_KEYS[name]:
            s[key] = pinned[key]
    preset = preset_for(widgets_cfg())
    s.lab_preset = preset.slug if preset else CUSTOM


def fixed_controls() -> list[str]:
    """Returns the lab controls this page's link hides, in the settings' order."""
    hidden = hidden_controls()
    return [name for name in CONTROL_KEYS if name in hidden]


def fixed_note() -> None:
    """Says which settings a teacher's link fixed (their widgets are hidden), if any."""
    names = fixed_controls()
    if names:
        st.info(f"Some settings are fixed by your teacher's link ({', '.join(CONTROL_LABELS[n] for n in names)}): "
                "they are hidden and keep the link's values.", icon=":material/lock:")


def _url_params(cfg: RunConfig) -> dict[str, str]:
    """Returns the URL parameters for cfg, keeping a class link's hide/guide parameters."""
    current = st.query_params.to_dict()
    return {**encode_query(cfg), **{k: current[k] for k in (*KEPT_PARAMS, LEARNER_PARAM, CLASS_PARAM) if k in current}}


def share_link(cfg: RunConfig) -> None:
    """Keeps the URL in step with the settings and shows the link that reproduces this run."""
    params = _url_params(cfg)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[LINK_KEY] = {k: v for k, v in params.items() if k not in NOT_SETTINGS}
    base = (st.context.url or "").split("?")[0] or f"/{PAGE}"
    st.code(f"{base}?{urllib.parse.urlencode({**encode_query(cfg), **lang.link_params()})}", language=None)
    st.caption("Share this link: it opens the lab with exactly these settings (same seed, same run).")


def class_link(cfg: RunConfig) -> str:
    """Draws the 'Link for a class' form: the current settings, the controls to hide, the guided steps; returns it."""
    controls = {name: label for name, label in CONTROL_LABELS.items() if TASK_ONLY.get(name, cfg.task) == cfg.task}
    return class_link_form(PAGE, controls, encode_query(cfg), key="lab_class_link",
                           note="Hidden settings keep these values even if a learner changes the task or preset.")


def presets_table() -> list[dict[str, str]]:
    """Returns the presets as rows (name, link query, what to look for) for a teacher's handout."""
    return [{"preset": p.name, "link": "?" + urllib.parse.urlencode(encode_query(p.cfg)), "look for": p.look_for}
            for p in PRESETS]
