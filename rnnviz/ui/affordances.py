"""Teaching affordances shared by every lesson: charts with PNG/SVG export, 'show the code',
guided steps, teacher links that preset and hide controls, and trace exports."""

from __future__ import annotations

import inspect
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from rnnviz import export, query
from rnnviz.catalog import has, items, t
from rnnviz.plots.fit import fitted
from rnnviz.plots.vega import to_vega
from rnnviz.tracing import Trace
from rnnviz.ui import lang

SVG_KEY = "rnnviz_svg_export"
HIDE_PARAM = "hide"  # ?hide=cell,lr hides those controls (a teacher's handout link)
GUIDE_PARAM = "guide"  # ?guide=1 opens the guided steps
REFUSED_KEY = "query_refused"  # (parameter, message) pairs already shown to this session


def chart(fig: go.Figure, key: str) -> None:
    """Draws a Plotly figure whose camera button downloads PNG, or SVG when the sidebar toggle says so."""
    fmt = "svg" if st.session_state.get(SVG_KEY) else "png"
    st.plotly_chart(fitted(fig), key=key, config={  # fitted: a long title wraps on a projector or a phone
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": f"rnnviz_{key}", "scale": 2},
    })


def live_chart(fig: go.Figure | Mapping, key: str) -> None:
    """Draws a figure that a fragment redraws while a run trains: updated in place, never blanked (plots.vega).

    fig is a Plotly figure built for this call (fitted in place, no copy) or the plain dict of one built fitted
    (plots.training's *_parts). A figure the translation cannot draw is drawn by Plotly as it is (redrawn, it
    blinks; nothing is lost)."""
    if isinstance(fig, go.Figure):
        fig = fitted(fig, in_place=True)
    with st.container(key=key):  # the page's CSS and tests find the chart by its key
        try:
            data, spec = to_vega(fig)
        except ValueError:
            st.plotly_chart(fig if isinstance(fig, go.Figure) else go.Figure(fig), key=f"{key}_plotly")
            return
        st.vega_lite_chart(data, dict(spec, name=key), width="stretch")


def export_format_toggle() -> None:
    """Draws the sidebar toggle that switches chart downloads between PNG and SVG."""
    st.sidebar.toggle(t("common.export.svg"), key=SVG_KEY, help=t("common.export.svg_help"))


def show_code(*functions: Callable[..., Any], key: str) -> None:
    """Draws a toggle that shows the source of the rnnviz functions that produced a view."""
    if st.toggle(t("common.show_code"), key=f"code_{key}"):
        for fn in functions:
            st.caption(f"`{fn.__module__}.{fn.__qualname__}`")
            st.code(inspect.getsource(fn), language="python")


def hidden_controls() -> frozenset[str]:
    """Returns the names of controls a lesson link asked to hide (?hide=a,b)."""
    raw = query_value(HIDE_PARAM, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def control(name: str, default: Any, widget: Callable[[], Any]) -> Any:
    """Returns widget() unless a lesson link hides `name`, in which case returns the default silently."""
    return default if name in hidden_controls() else widget()


def lesson_link(page: str, params: dict[str, str], hide: Sequence[str] = ()) -> str:
    """Returns a relative link to a page with preset query params and hidden controls."""
    query = dict(params)
    if hide:
        query[HIDE_PARAM] = ",".join(hide)
    return f"./{page}?{urllib.parse.urlencode(query)}" if query else f"./{page}"


def load_guide(page_id: str) -> list[str]:
    """Returns the guided steps of a lesson (the catalogue's <page_id>.guide), in the learner's language."""
    return items(f"{page_id}.guide") if has(f"{page_id}.guide", "en") else []


def guide(page_id: str) -> None:
    """Draws the lesson's guided sequence ('step 2 of 5: ...') with back/next buttons."""
    steps = load_guide(page_id)
    if not steps:
        return
    key = f"guide_step_{page_id}"
    opened = query_value(GUIDE_PARAM, "0") == "1"
    with st.expander(t("common.guide.title", count=len(steps)), expanded=opened):
        i = min(st.session_state.get(key, 0), len(steps) - 1)
        st.markdown(t("common.guide.step", number=i + 1, count=len(steps), text=steps[i]))
        back, nxt, _ = st.columns([1, 1, 6])
        if back.button(t("common.guide.back"), key=f"{key}_back", disabled=i == 0):
            st.session_state[key] = i - 1
            st.rerun()
        if nxt.button(t("common.guide.next"), key=f"{key}_next", disabled=i == len(steps) - 1):
            st.session_state[key] = i + 1
            st.rerun()


def export_trace(trace: Trace, tokens: Sequence[str], key: str) -> None:
    """Draws download buttons for a recorded trace: tidy CSV, Parquet and an LSTMVis zip.

    The files are built only when a button is clicked (deferred data), not on every rerun.
    """
    tokens = list(tokens)
    a, b, c = st.columns(3)
    a.download_button(t("common.export.trace_csv"), lambda: export.trace_csv(trace, tokens), f"{key}.csv", "text/csv",
                      key=f"{key}_csv")
    b.download_button(t("common.export.trace_parquet"), lambda: export.trace_parquet(trace, tokens), f"{key}.parquet",
                      "application/octet-stream", key=f"{key}_parquet")
    c.download_button(t("common.export.lstmvis"), lambda: export.lstmvis_zip(trace, tokens), f"{key}_lstmvis.zip",
                      "application/zip", key=f"{key}_lstmvis", help=t("common.export.lstmvis_help"))


def query_value(name: str, default: Any, options: Sequence[Any] | None = None,
                bounds: tuple[float, float] | None = None) -> Any:
    """Returns a lesson link's preset for a control (?name=value), converted like default; default if absent or bad.

    Every page reads its link through here (rnnviz.query.parse): numbers must be finite and within bounds, and
    with options the preset counts only when it is one of them. A refused value leaves a short note in the page
    (once per value and session) and the lesson goes on with its default.
    """
    parsed = query.parse(name, st.query_params.get(name), default, options, bounds)
    if parsed.problem is not None:
        _note_refused(name, parsed.problem)
    return parsed.value


def _note_refused(name: str, problem: str) -> None:
    """Shows why a link's value was not used, once per parameter, value and session (not on every rerun)."""
    seen = st.session_state.setdefault(REFUSED_KEY, set())
    if (name, problem) not in seen:
        seen.add((name, problem))
        st.warning(problem, icon=":material/link_off:")


def absolute_link(link: str) -> str:
    """Returns a relative lesson link ('./Page?...') as a full URL when the browser's address is known."""
    url = st.context.url
    if not url or not link.startswith("./"):
        return link
    return url.rsplit("/", 1)[0] + link[1:]


def _class_param() -> dict[str, str]:
    """Returns {'class': code} while this session has a class board, so the learners' runs show on it."""
    from rnnviz.ui.keep import CLASS_KEY, CLASS_PARAM

    code = st.session_state.get(CLASS_KEY)
    if code:
        st.caption(t("common.class_link.board", code=code))
    return {CLASS_PARAM: code} if code else {}


def class_link_form(page: str, controls: dict[str, str], values: dict[str, Any], key: str,
                    note: str = "") -> str:
    """Draws a 'Link for a class' expander: tick controls to hide and the guide; returns and shows the link.

    `controls` maps a control's name (as control() knows it) to its label; `values` are the settings the
    link presets, so it opens the page as the teacher sees it now.
    """
    with st.expander(t("common.class_link.title")):
        st.caption(t("common.class_link.intro"))
        hidden = hidden_controls()
        cols = st.columns(min(len(controls), 4) or 1)
        hide = [name for i, (name, label) in enumerate(controls.items())
                if cols[i % len(cols)].checkbox(t("common.class_link.hide", label=label), value=name in hidden,
                                                key=f"{key}_hide_{name}")]
        guided = st.checkbox(t("common.class_link.guide"), value=query_value(GUIDE_PARAM, "0") == "1",
                             key=f"{key}_guide")
        params = {name: str(value) for name, value in values.items() if value is not None}
        if guided:
            params[GUIDE_PARAM] = "1"
        params.update(_class_param())
        params.update(lang.link_params())  # the class reads the lesson in the teacher's language
        link = absolute_link(lesson_link(page, params, hide))
        st.code(link, language=None, wrap_lines=True)
        st.markdown(f"[{t('common.class_link.open')}]({link})" + (f"  \n{note}" if note else ""))
    return link
