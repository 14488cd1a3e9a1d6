"""Refreshes docs/screenshots (English, and Chinese in docs/screenshots/zh) and the README's gallery.

    .venv/bin/python scripts/screenshots.py

It runs the browser suite's page tests with RNNVIZ_SCREENSHOTS pointing at docs/screenshots (the tests
themselves write only to a throwaway folder), then rewrites the README's section between its
<!-- screenshots:start --> and <!-- screenshots:end --> markers from the pictures that are there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
TESTS = [
    "tests/browser/test_pages.py::test_page_renders_clean_with_charts",
    "tests/browser/test_interactions.py",  # the lab paused mid-run, bad uploads
    "tests/browser/test_board_browser.py",  # the board with a class's runs
]


def main() -> int:
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RNNVIZ_SCREENSHOTS": str(SHOTS)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=ROOT, env=env)
    sys.path.insert(0, str(ROOT))
    from tests.browser.conftest import APP_PAGES, write_readme_gallery

    changed = write_readme_gallery(APP_PAGES)
    print(f"screenshots in {SHOTS.relative_to(ROOT)}; README gallery {'rewritten' if changed else 'unchanged'}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
