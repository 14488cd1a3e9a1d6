"""Where the bundled data files live (inside the project, so a deployed copy is self-contained)."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DATA = ASSETS / "data"
