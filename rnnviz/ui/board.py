"""The class board: a teacher starts one, students who train by its link show up live, the teacher can clear it.

It reads the run store's public summaries (rnnviz.runstore.summaries), so it sees every process of a class
server. A row carries a nickname (or "anonymous"), settings and results: never a learner code, never the
hashed learner key, never a run id.
"""

from __future__ import annotations

import math
import urllib.parse

import pandas as pd
import streamlit as st

from rnnviz import classcode, runstore
from rnnviz.catalog import t
from rnnviz.config import CELL_LABELS
from rnnviz.plots.board import SETTINGS, BoardPoint, board_figure, metric_label, setting_label
from rnnviz.ui.affordances import absolute_link, lesson_link, live_chart
from rnnviz.ui.keep import CLASS_KEY, CLASS_PARAM, NICK_KEY

TEACHER_PARAM = "teacher"  # the teacher key, only in the teacher's bookmark; taken off the URL once read
TEACHER_KEY = "rnnviz_teacher"  # (class code, teacher key) of the board this session started
REFRESH_S = 3.0  # the board redraws this often; the store is read at most every CACHE_S per process
CACHE_S = 2.0
NICK_WIDGET = "board_nickname"
LAB_PAGE = "Training_lab"


@st.cache_data(ttl=CACHE_S, max_entries=32, show_spinner=False)
def board_rows(code: str, since: float) -> list[dict]:
    """Returns the public rows of the runs saved for class code after since (newest first; no codes, no keys)."""
    rows = []
    for s in runstore.summaries():
        if s.class_code != code or s.saved_at <= since:
            continue
        lm = s.task == "lm" and s.loss is not None
        rows.append({"nickname": s.nickname, "task": s.task, "cell": s.cell,  # "" = anonymous, worded when shown
                     "hidden": s.hidden_size, "lr": s.lr, "clip": s.clip, "steps": s.steps_done,
                     "of": s.steps, "loss": s.loss,
                     "perplexity": math.exp(min(s.loss, 700.0)) if lm else None,
                     "status": s.status, "saved_at": s.saved_at})
    return sorted(rows, key=lambda r: -r["saved_at"])


def _adopt_url() -> str | None:
    """Returns the board's class code from the session or the URL (checked), taking the teacher key if it fits."""
    raw, key = st.query_params.get(CLASS_PARAM), st.query_params.get(TEACHER_PARAM)
    if raw is not None:
        code = classcode.normal_code(raw)
        if code is None:
            st.error(t("class_board.bad_code"), icon=":material/error:")
            return None
        if key is not None:
            if classcode.is_teacher(code, key):
                st.session_state[TEACHER_KEY] = (code, key)
            del st.query_params[TEACHER_PARAM]  # off the address bar: the board is projected
        return code
    mine = st.session_state.get(TEACHER_KEY)
    return mine[0] if mine else st.session_state.get(CLASS_KEY)


def _start() -> None:
    code, key = classcode.start_board()
    st.session_state[TEACHER_KEY] = (code, key)
    st.session_state[CLASS_KEY] = code  # the teacher's class links now carry the code
    st.query_params[CLASS_PARAM] = code


def teacher_of(code: str) -> str | None:
    """Returns this session's teacher key for code, if it started (or holds the teacher link of) that board."""
    mine = st.session_state.get(TEACHER_KEY)
    return mine[1] if mine and mine[0] == code else None


def page() -> None:
    """Draws the board page: start a board, or show the one in the URL or session, live."""
    code = _adopt_url()
    if code is None:
        st.markdown(t("class_board.start_note"))
        st.button(t("class_board.start"), key="board_start", on_click=_start, type="primary",
                  icon=":material/co_present:")
        return
    if not classcode.exists(code):
        st.warning(t("class_board.no_board", code=code), icon=":material/search_off:")
        return
    _header(code)
    st.fragment(_live, run_every=REFRESH_S)(code)


def _header(code: str) -> None:
    left, right = st.columns([1, 2])
    left.metric(t("class_board.class_code"), code)
    link = absolute_link(lesson_link(LAB_PAGE, {CLASS_PARAM: code}))
    with right:
        st.caption(t("class_board.students_link"))
        st.code(link, language=None, wrap_lines=True)
    key = teacher_of(code)
    if key is not None:
        base = (st.context.url or "").split("?")[0]
        with st.expander(t("class_board.teacher_link")):
            st.code(f"{base}?{urllib.parse.urlencode({CLASS_PARAM: code, TEACHER_PARAM: key})}", language=None,
                    wrap_lines=True)
        if st.button(t("class_board.clear"), key="board_clear", icon=":material/delete_sweep:"):
            classcode.clear(code, key)
            board_rows.clear()
            st.toast(t("class_board.cleared"))


def _live(code: str) -> None:
    rows = board_rows(code, classcode.cleared_at(code))
    if not rows:
        st.info(t("class_board.no_runs"), icon=":material/hourglass_empty:")
        return
    st.markdown(t("class_board.many_runs", count=len(rows)) if len(rows) > 1 else t("class_board.one_run"))
    setting = st.radio(t("class_board.compare"), SETTINGS, format_func=setting_label, horizontal=True,
                       key="board_setting")
    metric = "perplexity" if all(r["task"] == "lm" for r in rows) else "loss"
    anonymous = t("class_board.anonymous")
    points = [BoardPoint(r["nickname"] or anonymous, r["cell"], r["lr"], r["clip"], r["loss"]) for r in rows]
    live_chart(board_figure(points, setting, metric), key="board_chart")
    st.caption(t("class_board.each_dot", metric=metric_label(metric)))
    st.dataframe(_table(rows, anonymous), hide_index=True, key="board_table")


def _table(rows: list[dict], anonymous: str) -> pd.DataFrame:
    """Returns the board's table with headings and words in the learner's language (numbers and nicknames as they are)."""
    shown = [{"nickname": r["nickname"] or anonymous, "cell": CELL_LABELS.get(r["cell"], r["cell"]),
              "hidden": r["hidden"], "lr": r["lr"],
              # text in every row: a number beside the word "off" made Arrow log a traceback at every refresh
              "clip": f"{r['clip']:g}" if r["clip"] is not None else t("class_board.off"),
              "steps": f"{r['steps']} / {r['of']}", "loss": r["loss"], "perplexity": r["perplexity"],
              "status": t(f"class_board.status.{r['status']}")} for r in rows]
    return pd.DataFrame(shown).rename(columns=lambda name: t(f"class_board.columns.{name}"))


def nickname_box() -> None:
    """Draws, for a learner who came by a class link, the nickname the board shows (in the sidebar)."""
    code = st.session_state.get(CLASS_KEY)
    if code is None or teacher_of(code) is not None:  # the teacher projects the board, not a nickname
        return
    st.session_state.setdefault(NICK_WIDGET, st.session_state.get(NICK_KEY, ""))
    st.text_input(t("class_board.nickname.label", code=code), max_chars=classcode.MAX_NICKNAME, key=NICK_WIDGET,
                  placeholder=t("class_board.anonymous"), on_change=_set_nickname,
                  help=t("class_board.nickname.help"))
    if st.session_state.get("board_nick_refused"):
        st.error(t("class_board.nickname.refused"), icon=":material/error:")


def _set_nickname() -> None:
    nick = classcode.clean_nickname(st.session_state.get(NICK_WIDGET))
    st.session_state["board_nick_refused"] = nick is None
    if nick is not None:
        st.session_state[NICK_KEY] = nick
