"""Guards that keep the project honest: import boundaries, server settings, safe loading, lint."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "rnnviz"
UI = LIBRARY / "ui"
IN_CI = os.environ.get("RNNVIZ_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".ruff_cache", ".pytest_cache", "build", "dist"}
MAX_UPLOAD_MB = 25  # uploads are CSV series and run files of a few MB


def project_files() -> list[Path]:
    """Returns every Python file of the project (library, pages, app, tests, bench), not virtualenvs."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            found.append(path)
    return found


def page_files() -> list[Path]:
    """Returns app.py and every page file."""
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module) -> list[tuple[int, str]]:
    """Returns (line, module) for every import in a module, including ones inside functions."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- import boundary -------------------------------------------------------------------------------


def test_only_rnnviz_ui_imports_streamlit():
    offenders = [
        f"{rel(path)}:{line} imports {module}"
        for path in sorted(LIBRARY.rglob("*.py"))
        if UI not in path.parents
        for line, module in imported_modules(parse(path))
        if module == "streamlit" or module.startswith("streamlit.")
    ]
    assert not offenders, "only rnnviz/ui/ may import streamlit (the rest must work in a notebook):\n" + "\n".join(offenders)


def test_library_imports_without_streamlit():
    # The static check misses indirect imports (rnnviz.x importing rnnviz.ui); this imports every
    # non-ui module in a fresh interpreter where `import streamlit` fails.
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in LIBRARY.rglob("*.py")
        if UI not in path.parents and path.parent != UI
    )
    code = (
        "import sys; sys.modules['streamlit'] = None\n"
        f"import importlib\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, "a non-ui rnnviz module needs streamlit:\n" + result.stderr[-2000:]


def test_pages_start_with_setup_page_and_never_navigate():
    problems = []
    for path in page_files():
        if not path.exists():
            continue
        tree = parse(path)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        names = [ast.unparse(c.func) for c in calls]
        if "setup_page" not in {n.rsplit(".", 1)[-1] for n in names}:
            problems.append(f"{rel(path)} never calls setup_page (page config, threads, sidebar)")
        if any(n.endswith("navigation") for n in names):
            problems.append(f"{rel(path)} calls st.navigation (breaks deep links with a pages/ folder)")
        first_st = next((c for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset))
                         if ast.unparse(c.func).startswith(("st.", "setup_page"))), None)
        if first_st is not None and not ast.unparse(first_st.func).startswith("setup_page"):
            problems.append(f"{rel(path)}:{first_st.lineno} calls {ast.unparse(first_st.func)} before setup_page")
    assert not problems, "\n".join(problems)


def test_no_tracebacks_drawn_on_purpose():
    # st.exception draws a traceback for the learner; pages show rnnviz.ui.error_box(err) instead.
    offenders = [
        f"{rel(path)}:{node.lineno}"
        for path in [*page_files(), *sorted(UI.rglob("*.py"))]
        if path.exists()
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("st.exception", "streamlit.exception")
    ]
    assert not offenders, "st.exception shows a traceback to learners; use error_box: " + ", ".join(offenders)


# --- server settings -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def streamlit_config() -> dict:
    path = ROOT / ".streamlit" / "config.toml"
    assert path.exists(), ".streamlit/config.toml is missing"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_config_options_exist_in_this_streamlit(streamlit_config):
    # A misspelt option (postScriptGc) is silently ignored by Streamlit; check every one is real.
    from streamlit import config

    known = config._config_options_template
    unknown = [f"{section}.{key}" for section, table in streamlit_config.items() for key in table
               if f"{section}.{key}" not in known]
    assert not unknown, f"unknown Streamlit options in config.toml: {unknown}"


def test_config_post_script_gc_off(streamlit_config):
    assert streamlit_config.get("runner", {}).get("postScriptGC") is False, (
        "[runner] postScriptGC = false: the default full gc after every run serialises a class on 2 cores"
    )


def test_config_small_upload_limit(streamlit_config):
    limit = streamlit_config.get("server", {}).get("maxUploadSize")
    assert isinstance(limit, int) and 1 <= limit <= MAX_UPLOAD_MB, (
        f"[server] maxUploadSize should be a small number of MB (1..{MAX_UPLOAD_MB}), got {limit!r}"
    )


def test_config_no_tracebacks_for_learners(streamlit_config):
    shown = streamlit_config.get("client", {}).get("showErrorDetails")
    assert shown in ("none", "type", False), (
        f"[client] showErrorDetails = {shown!r} would show tracebacks in the page; use \"none\""
    )


def test_config_no_file_watcher(streamlit_config):
    assert streamlit_config.get("server", {}).get("fileWatcherType") == "none", (
        "[server] fileWatcherType = \"none\": a classroom server should not poll the source tree"
    )


# --- safe loading ----------------------------------------------------------------------------------


def _is_torch_load(call: ast.Call, load_aliases: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "load":
        return ast.unparse(func.value) == "torch"
    return isinstance(func, ast.Name) and func.id in load_aliases


def _weights_only_true(call: ast.Call) -> bool:
    return any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def test_torch_load_always_weights_only():
    offenders = []
    for path in project_files():
        tree = parse(path)
        # `from torch import load [as x]` makes a bare load(...) call a torch.load
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "torch"
                   for a in n.names if a.name == "load"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_torch_load(node, aliases) and not _weights_only_true(node):
                offenders.append(f"{rel(path)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not offenders, "torch.load without weights_only=True can run code from an upload:\n" + "\n".join(offenders)


def test_no_pickle_loads_in_library():
    # pickle.load(s) on a learner's upload runs arbitrary code; run files go through torch.load(weights_only=True).
    offenders = [
        f"{rel(path)}:{node.lineno}"
        for path in [*sorted(LIBRARY.rglob("*.py")), *page_files()]
        if path.exists()
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("pickle.load", "pickle.loads", "pickle.Unpickler")
    ]
    assert not offenders, "pickle loading found: " + ", ".join(offenders)


# --- lint ------------------------------------------------------------------------------------------


def test_ruff_passes():
    have_ruff = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode == 0
    if not have_ruff and shutil.which("ruff") is None:
        if IN_CI:
            pytest.fail("ruff is not installed (pip install -r requirements-dev.txt)")
        pytest.skip("ruff is not installed")
    cmd = [sys.executable, "-m", "ruff"] if have_ruff else ["ruff"]
    result = subprocess.run([*cmd, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, "ruff check failed:\n" + (result.stdout + result.stderr)[-4000:]


# --- README screenshots ----------------------------------------------------------------------------


def test_readme_shows_a_current_screenshot_of_every_page():
    # scripts/screenshots.py refreshes docs/screenshots/<page>.png; the README must link each page's, and only
    # pictures that are there (the tests themselves never write into docs/).
    from browser.conftest import discover_pages

    shots = ROOT / "docs" / "screenshots"

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- screenshots:start -->", "<!-- screenshots:end -->"
    assert start in readme and end in readme, "README.md lost its screenshots markers"
    section = readme[readme.index(start):readme.index(end)]
    linked = set(re.findall(r"docs/screenshots/([\w.-]+\.png)", section))
    missing = [f"{p.name}.png" for p in discover_pages() if f"{p.name}.png" not in linked]
    assert not missing, f"README's Screenshots section does not show: {missing}"
    absent = sorted(name for name in linked if not (shots / name).exists())
    assert not absent, f"README links screenshots that do not exist (run scripts/screenshots.py): {absent}"
