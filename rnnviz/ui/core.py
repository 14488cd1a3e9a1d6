"""Page setup shared by every page: config, torch threads, the sidebar with the model store."""

from __future__ import annotations

import gc
import threading

import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError

from rnnviz import lessons
from rnnviz.catalog import t
from rnnviz.data.paths import ASSETS
from rnnviz.errors import RnnvizError
from rnnviz.ui import lang
from rnnviz.ui.safe_text import plain

LESSONS = ASSETS / "lessons"

# The app's only page-wide CSS (a constant: nothing a user typed ever goes into it). It makes every
# page work on a 1024x768 projector and read on a 390 px phone, whatever Streamlit's defaults are:
# - labels of buttons and widgets wrap instead of ending in "…";
# - a formula wider than the page scrolls sideways inside itself instead of being cut;
# - a chart narrower than its title gets a smaller title (container queries: the chart's own width);
# - a chart with one column per character (a container keyed wide_chart_*) keeps ~8 px per character
#   and scrolls sideways inside its box on a narrower screen;
# - on a phone, Plotly's toolbar stays hidden (it covered the titles), the lab's four numbers stay in one
#   row and its settings scroll inside their box, so Start and the live chart fit on one screen.
LAYOUT_CSS = """
<style>
[data-testid="stMain"] .stMarkdownEllipsis, [data-testid="stMain"] .stMarkdownEllipsis p,
[data-testid="stMain"] button p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: break-word;
}
.katex-display { overflow-x: auto; overflow-y: hidden; max-width: 100%; padding: 0.2rem 0;
  scrollbar-width: thin; scrollbar-color: #bbb transparent; }
[data-testid="stPlotlyChart"] { container-type: inline-size; }
[class*="st-key-wide_chart"] { overflow-x: auto; }
[class*="st-key-wide_chart"] [data-testid="stElementContainer"] { min-width: 960px; }
@container (max-width: 640px) { .js-plotly-plot .gtitle { font-size: 15px !important; } }
@container (max-width: 440px) { .js-plotly-plot .gtitle { font-size: 13px !important; } }
@container (max-width: 330px) { .js-plotly-plot .gtitle { font-size: 11.5px !important; } }
@media (max-width: 640px) {
  .js-plotly-plot .modebar-container { display: none !important; }
  [data-testid="stElementToolbar"] { display: none !important; }
  .st-key-lab_metrics [data-testid="stHorizontalBlock"] { flex-wrap: nowrap !important; gap: 0.5rem; }
  .st-key-lab_metrics [data-testid="stColumn"] { min-width: 0 !important; flex: 1 1 0 !important; width: auto !important; }
  .st-key-lab_metrics [data-testid="stMetricValue"] { font-size: 1.1rem !important; }
  .st-key-lab_settings_box { max-height: 42vh; overflow-y: auto; }
}
</style>
"""


def setup_page(slug: str) -> None:
    """Sets the page config, the language, one torch thread, and draws the shared sidebar; call first on every page.

    slug names the page in the registry (rnnviz.lessons): its title, in the learner's language, is the tab's.
    """
    page = lessons.BY_SLUG[slug]
    lang.choose()
    st.set_page_config(page_title=f"{t(page.title_key)} · rnnviz", page_icon="🔁", layout="wide")
    # One thread per session: with several students on 2 cores, 2 threads each were ~40% slower.
    torch.set_num_threads(1)
    _freeze_startup_heap()
    st.html(LAYOUT_CSS)  # st.html with only a <style> block adds no visible element
    navigation(page)
    from rnnviz.ui.store import sidebar_models

    sidebar_models()


_frozen = threading.Lock()


def _freeze_startup_heap() -> None:
    """Moves what the process holds after its first page's imports (modules, Streamlit, torch, plotly) out of
    the garbage collector's sight, once. A full collection otherwise scans it all: ~0.2 s holding the GIL on
    a busy class server, every 10-15 s, during which no student's refresh moves."""
    if _frozen.acquire(blocking=False):  # never released: the first page of the process does it
        gc.freeze()


def navigation(here: lessons.Lesson) -> None:
    """Draws the sidebar: Home, the lessons in the class's order, the teacher's tools, then the language switch.

    Every link carries the language. Streamlit's own page list is hidden (client.showSidebarNavigation), so the
    names are the catalogue's; a deep link to any page still opens it with this sidebar on a fresh server.
    """
    params = lang.link_params()
    with st.sidebar:
        for page in lessons.PAGES:
            if page.kind == "teacher" and page is lessons.TEACHER_TOOLS[0]:
                st.caption(t("common.nav_teacher"))
            page_link(page, params)
        lang.switch(st)


def page_link(page: lessons.Lesson, params: dict[str, str], label: str | None = None, where=st) -> None:
    """Draws st.page_link to a registry page, or a plain link when Streamlit does not know the page.

    A page run on its own (AppTest.from_file on a page) is its own entrypoint, so the other pages are unknown to
    it; a learner on the served app always gets the real page link.
    """
    label = label or t(page.title_key)
    try:
        where.page_link(page.file, label=label, icon=page.icon, query_params=params)
    except StreamlitPageNotFoundError:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        where.markdown(f"[{plain(label)}](/{page.url_path}?{query})")


def lesson_text(name: str) -> str:
    """Returns a lesson's markdown from assets/lessons/<name>.md (lesson text is data, not code)."""
    return (LESSONS / f"{name}.md").read_text(encoding="utf-8")


def try_this(*prompts: str) -> None:
    """Draws a 'Try this' box of prompts that each lead to a visible effect."""
    st.markdown(f"**{t('common.try_this')}**\n" + "\n".join(f"- {p}" for p in prompts))


def error_box(err: Exception) -> None:
    """Shows a learner-facing message for an RnnvizError (as plain text: it may quote a link, a file or a text box),
    and a short generic one for anything else."""
    if isinstance(err, RnnvizError):
        st.error(plain(err.words()), icon="⚠️")
    else:
        st.error(t("common.error.generic", kind=type(err).__name__), icon="⚠️")
