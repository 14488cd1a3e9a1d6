"""Browser fixtures: the app served on a free port, headless Debian Chromium, Streamlit-aware waits.

Fixtures: `server` / `server_url` (session), `browser` (session), `page` (per test).
Helpers: `wait_for_app(page)`, `page_problems(page)`, `open_page(page, url, app_page)`,
`click_button(page, key)`, `save_screenshot(page, path)` (full length + `_top` thumbnail),
`APP_PAGES`, `find_page(...)`. Import them with
`from .conftest import wait_for_app` (tests/browser is a package so this file does not shadow
tests/conftest.py), or request `wait_for_app` / `page_problems` as fixtures of the same name.

Every test in this folder is marked `browser`. They are skipped (with the reason) when
/usr/bin/chromium or Playwright is missing, unless RNNVIZ_REQUIRE_BROWSER=1 (CI sets it):
then a missing browser is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium"))  # Debian's chromium
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Screenshots go to a throwaway folder: tests never write tracked files. `python scripts/screenshots.py` sets
# RNNVIZ_SCREENSHOTS to docs/screenshots to refresh the README's gallery on purpose.
SCREENSHOTS = Path(os.environ.get("RNNVIZ_SCREENSHOTS") or tempfile.mkdtemp(prefix="rnnviz-screenshots-"))
HEALTH_TIMEOUT_S = 90.0
FIRST_VISIT_MS = 120_000  # the first visit of a page may train its default models (once per server)
RERUN_MS = 60_000
REQUIRE_BROWSER = os.environ.get("RNNVIZ_REQUIRE_BROWSER") == "1"


@dataclass(frozen=True)
class AppPage:
    """One page of the app as the sidebar lists it: its file, URL path, screenshot name and registry slug."""

    file: str  # relative to the project root, e.g. "pages/3_Training_lab.py"
    url_path: str  # "" for the home page, else e.g. "Training_lab"
    name: str  # "Home" or the url path; used for test ids and screenshot files
    slug: str = ""  # the lesson registry's slug (rnnviz.lessons)
    kind: str = "lesson"

    @property
    def screenshot(self) -> Path:
        """Returns where this page's screenshot is written (SCREENSHOTS: a throwaway folder unless asked)."""
        return SCREENSHOTS / f"{self.name}.png"


def discover_pages() -> list[AppPage]:
    """Returns every page of the lesson registry (home first, in the sidebar's order)."""
    from rnnviz import lessons

    return [AppPage(p.file, p.url_path, p.url_path or "Home", p.slug, p.kind) for p in lessons.PAGES]


APP_PAGES = discover_pages()


def find_page(stem_contains: str) -> AppPage | None:
    """Returns the first discovered page whose file name contains the text (case-insensitive), if any."""
    needle = stem_contains.lower()
    return next((p for p in APP_PAGES if needle in Path(p.file).stem.lower()), None)


def browser_missing_reason() -> str | None:
    """Returns why the browser suite cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (pip install -r requirements-dev.txt)"
    return None


def _require_browser() -> None:
    reason = browser_missing_reason()
    if reason is None:
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"browser tests are required (RNNVIZ_REQUIRE_BROWSER=1) but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_collection_modifyitems(config, items):
    """Marks every test in this folder `browser`, and skips them up front when no browser is available."""
    here = Path(__file__).parent
    reason = browser_missing_reason()
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if reason is not None and not REQUIRE_BROWSER:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# --- the served app --------------------------------------------------------------------------------


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that is free right now (RNNVIZ_TEST_PORT overrides)."""
    if os.environ.get("RNNVIZ_TEST_PORT"):
        return int(os.environ["RNNVIZ_TEST_PORT"])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running `streamlit run app.py`: its base URL, process and log file."""

    url: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        """Returns the last lines of the server's output (tracebacks from pages land here)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(server: Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit was not healthy after {timeout_s:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """Stops the server's whole process group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def start_app(port: int, log: Path, env: dict[str, str] | None = None) -> Server:
    """Starts `streamlit run app.py` on 127.0.0.1:port (extra environment in env); returns it once healthy."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1"]
    with open(log, "wb") as out:
        # A new session makes the server its own process group, so stopping it stops all of it.
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(server, HEALTH_TIMEOUT_S)
    except BaseException:
        _stop(process)
        raise
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """Yields the app served by `streamlit run app.py` on a free 127.0.0.1 port; stopped at the end, always."""
    _require_browser()
    server = start_app(free_port(), tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture(scope="session")
def server_url(server: Server) -> str:
    """Returns the base URL of the served app, e.g. http://127.0.0.1:54321 (no trailing slash)."""
    return server.url


# --- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Yields a Playwright Chromium browser: Debian's /usr/bin/chromium, headless, shared by the session."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """Yields a fresh tab (its own context, so its own Streamlit session) with a 1400x1000 viewport."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


# --- helpers ---------------------------------------------------------------------------------------

# True once the app is connected, its script is not running, no spinner or skeleton is showing,
# and that has held for `idle` ms (a rerun can start a moment after a click, so one look is not enough).
_IDLE_JS = """
([idle]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = !app
    || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
    || app.getAttribute('data-test-script-state') !== 'notRunning'
    || document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSpinner"]') !== null
    || document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]') !== null;
  if (busy) { window.__rnnvizIdleSince = null; return false; }
  window.__rnnvizIdleSince = window.__rnnvizIdleSince || Date.now();
  return Date.now() - window.__rnnvizIdleSince >= idle;
}
"""


def wait_for_app(page, timeout_ms: float = RERUN_MS, idle_ms: int = 500) -> None:
    """Waits until Streamlit has finished running the page (connected, no 'Running…', no spinner)."""
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout_ms)
    page.wait_for_function(_IDLE_JS, arg=[idle_ms], timeout=timeout_ms, polling=100)


# A live chart (plots.vega, drawn by affordances.live_chart in a container keyed like the chart): Vega's SVG
# writes each point's values into the aria-label of its symbol ("x: 12; y: 2.3; ..."). Returns [points of the
# first trace, its last x], or [-1, -1] when the chart is not drawn.
LIVE_TRACE_JS = """key => {
  const marks = document.querySelector(`.st-key-${key} [data-testid="stVegaLiteChart"] g.mark-symbol.role-mark`);
  if (!marks) return [-1, -1];
  const points = marks.querySelectorAll('path');
  const last = points.length ? (points[points.length - 1].getAttribute('aria-label') || '').match(/^x: ([-\\d.,e]+)/) : null;
  return [points.length, last ? Number(last[1].replaceAll(',', '')) : -1];
}"""


def live_trace(page, key: str) -> tuple[int, float]:
    """Returns (points, last x) of the first trace of the keyed live chart; (-1, -1) when it is not drawn."""
    n, last = page.evaluate(LIVE_TRACE_JS, key)
    return n, last


def page_problems(page) -> list[str]:
    """Returns the text of every exception box and st.error alert on the page (empty when clean)."""
    found = []
    for selector, kind in (('[data-testid="stException"]', "exception"), ('[data-testid="stAlertContentError"]', "error")):
        for box in page.locator(selector).all():
            found.append(f"{kind}: {box.inner_text().strip()[:500]}")
    return found


def open_page(page, server_url: str, app_page: AppPage, timeout_ms: float = FIRST_VISIT_MS) -> None:
    """Opens one page of the app and waits until its script has finished."""
    page.goto(f"{server_url}/{app_page.url_path}", wait_until="domcontentloaded", timeout=timeout_ms)
    wait_for_app(page, timeout_ms=timeout_ms)


MAX_SHOT_HEIGHT = 5000  # px; a whole lesson, but not a 20k px strip
THUMB_HEIGHT = 900  # px of the README's first-screen view


def save_screenshot(page, path: Path, max_height: int = MAX_SHOT_HEIGHT, thumb_from: str | None = None) -> Path:
    """Writes a full-length screenshot, and <name>_top.png: one screen from the top (or from `thumb_from`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"], [data-testid=\"stAppViewContainer\"]')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    viewport = page.viewport_size
    full = int(min(max(height, viewport["height"]), max_height))
    # Streamlit scrolls inside its main block, not the body: grow the viewport to the content instead.
    page.set_viewport_size({"width": viewport["width"], "height": full})
    try:
        page.wait_for_timeout(400)  # plotly redraws on resize
        page.screenshot(path=str(path), full_page=True)
        top = 0.0
        anchor = page.locator(thumb_from).first if thumb_from else None
        if anchor is not None and anchor.count():
            box = anchor.bounding_box()
            top = max(0.0, min(box["y"] - 24, full - THUMB_HEIGHT)) if box else 0.0
        clip = {"x": 0, "y": top, "width": viewport["width"], "height": min(THUMB_HEIGHT, full - top)}
        page.screenshot(path=str(path.with_name(f"{path.stem}_top.png")), clip=clip)
    finally:
        page.set_viewport_size(viewport)
    return path


def click_button(page, key: str, timeout_ms: float = RERUN_MS) -> None:
    """Clicks the st.button with this key (by key: Streamlit's own 'Stop' shares labels) and waits."""
    page.locator(f".st-key-{key} button").first.click()
    wait_for_app(page, timeout_ms=timeout_ms)


@pytest.fixture(name="wait_for_app")
def _wait_for_app_fixture():
    """Returns the wait_for_app helper, for tests that prefer fixtures to imports."""
    return wait_for_app


@pytest.fixture(name="page_problems")
def _page_problems_fixture():
    """Returns the page_problems helper, for tests that prefer fixtures to imports."""
    return page_problems


# --- the README's gallery --------------------------------------------------------------------------

README = ROOT / "README.md"
GALLERY_START, GALLERY_END = "<!-- screenshots:start -->", "<!-- screenshots:end -->"
SHOWN_INSTEAD = {"Training_lab": "Training_lab_paused",  # the lab is more telling mid-run than empty
                 "Class_board": "Class_board_live"}  # and the board with a class's runs


def _gallery_cell(app_page: AppPage) -> str:
    shown = SHOWN_INSTEAD.get(app_page.name, app_page.name)
    if not (SCREENSHOTS / f"{shown}_top.png").exists():
        shown = app_page.name
    label = app_page.name.replace("_", " ")
    extra = f' · <a href="docs/screenshots/{app_page.name}.png">at rest</a>' if shown != app_page.name else ""
    return (f'<td width="50%" valign="top"><a href="docs/screenshots/{shown}.png">'
            f'<img src="docs/screenshots/{shown}_top.png" alt="{label}"></a><br>'
            f'<b>{label}</b> · <a href="docs/screenshots/{shown}.png">full page</a>{extra}</td>')


def gallery_markdown(pages: list[AppPage]) -> str:
    """Returns the README's Screenshots section (markers included) for these pages, two per row."""
    rows = []
    for i in range(0, len(pages), 2):
        pair = pages[i : i + 2]
        rows.append("<tr>" + "".join(_gallery_cell(p) for p in pair) + ("<td></td>" if len(pair) == 1 else "") + "</tr>")
    bad_upload = sorted(SCREENSHOTS.glob("*_bad_upload.png"))
    upload_line = ("A bad upload, as a learner sees it: "
                   + ", ".join(f"[{p.stem.removesuffix('_bad_upload').replace('_', ' ')}](docs/screenshots/{p.name})"
                               for p in bad_upload) + ".\n") if bad_upload else ""
    return (f"{GALLERY_START}\n## Screenshots\n\n"
            "Taken in real headless Chromium by `python scripts/screenshots.py` (the browser suite's page tests,\n"
            "writing into docs/screenshots on purpose). Each picture is the first screen of a page; click it for the\n"
            f"whole page; the Chinese interface is in docs/screenshots/zh. {upload_line}\n<table>\n"
            + "\n".join(rows) + f"\n</table>\n{GALLERY_END}")


def write_readme_gallery(pages: list[AppPage]) -> bool:
    """Rewrites only the README's Screenshots section (between its markers); returns whether it changed."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(GALLERY_START), text.index(GALLERY_END) + len(GALLERY_END)
    new = text[:start] + gallery_markdown(pages) + text[end:]
    if new != text:
        README.write_text(new, encoding="utf-8")
    return new != text
