"""The training lab's links: a shared link fills in the settings, a class link also hides chosen controls and
keeps them at the link's values, and the preset links for a teacher's handout."""

from __future__ import annotations

import urllib.parse

import streamlit as st

from rnnviz.catalog import t
from rnnviz.config import OWN_CORPUS, RunConfig
from rnnviz.errors import RnnvizError
from rnnviz.lab_table import SETTINGS, own_text_dropped
from rnnviz.presets import PRESETS, decode_query, encode_query
from rnnviz.ui import lang
from rnnviz.ui.affordances import GUIDE_PARAM, HIDE_PARAM, class_link_form, hidden_controls
from rnnviz.ui.keep import CLASS_PARAM, LEARNER_PARAM
from rnnviz.ui.lab_runs import MESSAGE_KEY
from rnnviz.ui.lab_widgets import PINNED_KEY, PRESET_KEY, follow_preset, persist, widget_values
from rnnviz.ui.safe_text import plain

LINK_KEY = "lab_link_applied"  # the query params this session already applied (so our own URL sync is no news)
PAGE = "Training_lab"
# A control's name in ?hide=... (the same as its query parameter) -> the session keys of its widgets.
CONTROL_KEYS: dict[str, tuple[str, ...]] = {"preset": (PRESET_KEY,), **{s.name: s.keys for s in SETTINGS}}
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
        st.session_state[MESSAGE_KEY] = ("error", t("training_lab.links.bad", problem=plain(err.words())))
        return
    values = widget_values(cfg)
    st.session_state.update(values)
    st.session_state[PINNED_KEY] = values
    dropped = own_text_dropped(params)  # a run on its own text: the link opens the default corpus
    st.session_state[MESSAGE_KEY] = ("info", t("training_lab.own.link_dropped" if dropped else "training_lab.links.loaded"))


def _pin_hidden() -> None:
    """Keeps every control a class link hides at the link's value, whatever the visible ones do (e.g. a new task)."""
    pinned, s = st.session_state.get(PINNED_KEY), st.session_state
    names = fixed_controls()
    if not pinned or not names:
        return
    for name in names:
        for key in CONTROL_KEYS[name]:
            s[key] = pinned[key]
    follow_preset()


def fixed_controls() -> list[str]:
    """Returns the lab controls this page's link hides, in the settings' order."""
    hidden = hidden_controls()
    return [name for name in CONTROL_KEYS if name in hidden]


def fixed_note() -> None:
    """Says which settings a teacher's link fixed (their widgets are hidden), if any."""
    names = fixed_controls()
    if names:
        st.info(t("training_lab.links.fixed", names=t("training_lab.links.separator").join(map(control_label, names))),
                icon=":material/lock:")


def control_label(name: str) -> str:
    """Returns a control's name as a sentence says it ('hidden size'), in the learner's language."""
    return t(f"training_lab.controls.{name}")


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
    st.caption(t("training_lab.own.no_link" if cfg.text.corpus == OWN_CORPUS else "training_lab.links.share"))


def class_link(cfg: RunConfig) -> str:
    """Draws the 'Link for a class' form: the current settings, the controls to hide, the guided steps; returns it."""
    controls = {"preset": control_label("preset"),
                **{s.name: control_label(s.name) for s in SETTINGS if s.applies(cfg.task)}}
    return class_link_form(PAGE, controls, encode_query(cfg), key="lab_class_link", note=t("training_lab.links.note"))


def presets_table() -> list[dict[str, str]]:
    """Returns the presets as rows (name, link query, what to look for) for a teacher's handout."""
    heads = [t(f"training_lab.links.table.{column}") for column in ("preset", "link", "look_for")]
    return [dict(zip(heads, (p.name, "?" + urllib.parse.urlencode(encode_query(p.cfg)), p.look_for), strict=True))
            for p in PRESETS]
