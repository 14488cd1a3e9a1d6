"""Chinese text: Three Hundred Tang Poems (traditional and simplified), and what counts as a CJK character."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from rnnviz.data.paths import DATA
from rnnviz.errors import DataError

TANG_FILES = {"traditional": "tangshisanbaishou.json", "simplified": "tangshisanbaishou_simplified.json"}
# CJK Unified Ideographs with Extension A and the compatibility block; the supplementary planes' extensions.
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U000323af"
# Full-width punctuation a character model keeps: the comma and full stop carry a poem's rhythm.
CJK_PUNCTUATION = "，。！？；：、"


@dataclass(frozen=True)
class Poem:
    """One poem: its form (五言絕句 …), title, author and lines (punctuation included)."""

    form: str
    title: str
    author: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """Returns the poem's lines joined, as the language model reads it."""
        return "".join(self.lines)


@lru_cache(maxsize=2)
def load_tang(variant: str = "traditional") -> tuple[Poem, ...]:
    """Returns the 320 poems in traditional or simplified characters (bundled; read once, then cached)."""
    if variant not in TANG_FILES:
        raise DataError(f"Unknown variant '{variant}'; choose one of: {', '.join(TANG_FILES)}.")
    doc = json.loads((DATA / "chinese" / TANG_FILES[variant]).read_text(encoding="utf-8"))
    return tuple(Poem(section["type"], poem["chapter"], poem["author"], tuple(poem["paragraphs"]))
                 for section in doc["content"] for poem in section["content"])


def tang_text(variant: str = "traditional") -> str:
    """Returns every poem's text, one poem a line, in the book's order."""
    return "\n".join(poem.text for poem in load_tang(variant))
