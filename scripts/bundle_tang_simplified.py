"""Writes assets/data/chinese/tangshisanbaishou_simplified.json: the bundled Tang poems in simplified characters.

The traditional-character file is bundled unchanged. This script converts every string in it with OpenCC's
"t2s" configuration (traditional to simplified, character and phrase tables) and keeps the structure, so
the app never needs OpenCC at run time. Run it again only if the source file or the OpenCC release changes:

    python3.11 -m venv /tmp/opencc && /tmp/opencc/bin/pip install opencc==1.4.2
    /tmp/opencc/bin/python scripts/bundle_tang_simplified.py

and update the OpenCC release named in assets/SOURCES.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc  # PyPI "opencc" (the project's official Python binding), used only here

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assets" / "data" / "chinese" / "tangshisanbaishou.json"
TARGET = SOURCE.with_name("tangshisanbaishou_simplified.json")


def convert(value: object, to_simplified: opencc.OpenCC) -> object:
    """Returns the value with every string converted, lists and dicts walked, other values unchanged."""
    if isinstance(value, str):
        return to_simplified.convert(value)
    if isinstance(value, list):
        return [convert(v, to_simplified) for v in value]
    if isinstance(value, dict):
        return {k: convert(v, to_simplified) for k, v in value.items()}
    return value


def main() -> None:
    doc = json.loads(SOURCE.read_text(encoding="utf-8"))
    simplified = convert(doc, opencc.OpenCC("t2s"))
    TARGET.write_text(json.dumps(simplified, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
