"""Page setup shared by every page: config, torch threads, the sidebar with the model store."""

from __future__ import annotations

import streamlit as st
import torch

from rnnviz.data.paths import ASSETS
from rnnviz.errors import RnnvizError
from rnnviz.ui.safe_text import plain

LESSONS = ASSETS / "lessons"


def setup_page(title: str, icon: str = "🔁") -> None:
    """Sets the page config, one torch thread, and draws the shared sidebar; call first on every page."""
    st.set_page_config(page_title=f"{title} · rnnviz", page_icon=icon, layout="wide")
    # One thread per session: with several students on 2 cores, 2 threads each were ~40% slower.
    torch.set_num_threads(1)
    from rnnviz.ui.store import sidebar_models

    sidebar_models()


def lesson_text(name: str) -> str:
    """Returns a lesson's markdown from assets/lessons/<name>.md (lesson text is data, not code)."""
    return (LESSONS / f"{name}.md").read_text(encoding="utf-8")


def try_this(*prompts: str) -> None:
    """Draws a 'Try this' box of prompts that each lead to a visible effect."""
    st.markdown("**Try this**\n" + "\n".join(f"- {p}" for p in prompts))


def error_box(err: Exception) -> None:
    """Shows a learner-facing message for an RnnvizError (as plain text: it may quote a link, a file or a text box),
    and a short generic one for anything else."""
    if isinstance(err, RnnvizError):
        st.error(plain(err), icon="⚠️")
    else:
        st.error(f"Something went wrong ({type(err).__name__}). Your previous results are kept; "
                 "try other settings.", icon="⚠️")
