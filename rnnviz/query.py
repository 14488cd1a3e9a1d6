"""The one parser for values read from a page's URL (?name=value): finite numbers, bounds, known options.

A link is untrusted text. ``parse`` turns it into a value of the default's type, or says in plain words
why it cannot be used, so every lesson falls back to its default with a message instead of crashing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rnnviz.config import shown
from rnnviz.errors import ConfigError

MAX_TEXT = 2000  # characters a link's text value may carry (a typed review, a passage)


@dataclass(frozen=True)
class Parsed:
    """A link value: the value to use, and why the link's own value was refused (None when it was used)."""

    value: Any
    error: ConfigError | None = None

    @property
    def problem(self) -> str | None:
        """Returns why the link's value was refused, in the learner's language (None when it was used)."""
        return None if self.error is None else self.error.words()


def parse(name: str, raw: object, default: Any, options: Sequence[Any] | None = None,
          bounds: tuple[float, float] | None = None) -> Parsed:
    """Returns the link's value converted like default, or default with a message saying why it was refused.

    Numbers must be finite (no nan, inf or 1e400) and, with bounds, within them; with options the value must be
    one of them. Text is kept as text (at most MAX_TEXT characters); it is never interpreted.
    """
    if raw is None:
        return Parsed(default)
    text = raw[-1] if isinstance(raw, list) and raw else raw
    if not isinstance(text, str):
        return _refused("errors.link.not_text", name, raw, default)
    numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
    value = number(text, whole=isinstance(default, int)) if numeric else text
    if value is None:
        code = "errors.link.not_whole" if isinstance(default, int) else "errors.link.not_number"
        return _refused(code, name, text, default)
    if not numeric and len(value) > MAX_TEXT:
        return _refused("errors.link.too_long", name, text, default, limit=MAX_TEXT)
    if bounds is not None and numeric and not bounds[0] <= value <= bounds[1]:
        return _refused("errors.link.out_of_bounds", name, text, default, low=bounds[0], high=bounds[1])
    if options is not None and value not in options:
        allowed = ", ".join(str(o) for o in list(options)[:12])
        return _refused("errors.link.not_option", name, text, default, allowed=allowed)
    return Parsed(value)


def number(text: str, whole: bool) -> int | float | None:
    """Returns text as an int (whole) or a finite float; None if it is neither (nan, inf, 1e400, junk)."""
    text = text.strip()
    if len(text) > 40:  # no real setting needs more digits; int() of a huge string is slow
        return None
    try:
        value = int(text) if whole else float(text)
    except (ValueError, OverflowError):
        return None
    return value if whole or math.isfinite(value) else None


def _refused(code: str, name: str, raw: object, default: Any, **params: object) -> Parsed:
    """Returns the default with the error `code` (the link's own text quoted in code spans)."""
    error = ConfigError(code, name=shown(name), value=shown(raw) or "(empty)",
                        default=shown(default), **params)
    return Parsed(default, error)
