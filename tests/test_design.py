"""Guards of the house's shape: one home per concept, thin pages, learner text in the catalogues.

They read the source (no app run), so they are fast and fail at the line that breaks the rule.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from rnnviz.cells import SPECS

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "rnnviz"
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
UI_MODULES = sorted((LIBRARY / "ui").glob("*.py"))
MAX_PAGE_LINES = 120
MAX_MODULE_LINES = 300
# Streamlit calls whose first argument or label/help/placeholder keyword a learner reads.
TEXT_CALLS = {
    "markdown", "caption", "write", "title", "header", "subheader", "info", "warning", "error", "success", "toast",
    "button", "selectbox", "radio", "slider", "select_slider", "toggle", "checkbox", "text_input", "text_area",
    "number_input", "expander", "metric", "download_button", "file_uploader", "segmented_control", "pills",
    "multiselect", "popover", "form_submit_button", "page_link", "progress", "status", "spinner", "link_button",
}
TEXT_KEYWORDS = {"label", "help", "placeholder", "body", "text", "caption"}
LOGGERS = {"log", "logger", "logging"}
WORD = re.compile(r"[A-Za-z]{3,}")
# Modules whose words are not in the catalogues yet: none. Page tests that set such words aside read this set, so a
# module that ever falls behind is listed here and counted apart (the prose test below still fails on it).
NOT_YET_IN_CATALOGUES: set[str] = set()



def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def literal_text(node: ast.AST) -> str:
    """Returns the literal words inside a string constant or an f-string (not what its placeholders hold)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp):
        return literal_text(node.left) + " " + literal_text(node.right)
    return ""


def prose_calls(path: Path) -> list[str]:
    """Returns 'file:line call "text"' for each Streamlit text call given an English literal."""
    found = []
    for node in ast.walk(parse(path)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_CALLS):
            continue
        if isinstance(node.func.value, ast.Name) and node.func.value.id in LOGGERS:
            continue  # log.info / log.warning: a line for the server's log, not for a learner
        args = node.args[1:] if node.func.attr == "page_link" else node.args[:1]
        args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for arg in args:
            text = literal_text(arg)
            if WORD.search(text):
                found.append(f"{rel(path)}:{node.lineno} {node.func.attr}({text[:50]!r})")
    return found


@pytest.mark.parametrize("path", [*PAGES, *UI_MODULES], ids=rel)
def test_no_literal_prose_in_streamlit_calls(path):
    found = prose_calls(path)
    assert not found, "learner text belongs in assets/i18n (catalog.t):\n" + "\n".join(found)


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_pages_are_layout_only(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_PAGE_LINES, f"{rel(path)} has {lines} lines (pages are layout: at most {MAX_PAGE_LINES})"
    heavy = [f"line {n.lineno}" for n in ast.walk(parse(path)) if isinstance(n, (ast.Import, ast.ImportFrom))
             for name in ([a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""])
             if name.split(".")[0] in ("torch", "numpy")]
    assert not heavy, f"{rel(path)} imports torch or numpy ({', '.join(heavy)}): array work belongs in rnnviz/"


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=rel)
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{rel(path)} has {lines} lines (split it: modules stay under {MAX_MODULE_LINES})"


def test_no_module_named_after_the_standard_library():
    clashes = [rel(p) for p in LIBRARY.rglob("*.py") if p.stem in sys.stdlib_module_names]
    assert not clashes, f"these shadow a standard-library module: {clashes}"


def test_per_cell_tables_live_in_cells_only():
    names = set(SPECS)
    offenders = []
    for path in [*sorted(LIBRARY.rglob("*.py")), *PAGES]:
        if rel(path) == "rnnviz/cells.py":
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                if len(keys & names) >= 2:
                    offenders.append(f"{rel(path)}:{node.lineno}")
    assert not offenders, "a table keyed by cell names belongs in cells.SPECS:\n" + "\n".join(offenders)


def test_lessons_registry_matches_the_pages_folder():
    from rnnviz import lessons

    files = {rel(p) for p in PAGES}
    assert {page.file for page in lessons.PAGES} == files
    assert len({page.url_path for page in lessons.PAGES}) == len(lessons.PAGES)
