"""Errors that carry a message meant for the learner, not a traceback.

An error is raised with a code and parameters, ``DataError("errors.upload.too_big", size=12.3, limit=10)``; the code
is the catalogue key of its words (``rnnviz.catalog``; a module's own errors may live in its area's file, e.g.
``gradients.errors.too_short``), so the page can show them in the learner's
language (``err.words()``) while ``str(err)`` stays English for logs and tests. An error raised with a sentence
instead of a code keeps that sentence in every language (older call sites; the catalogue test lists them).
Parameters may hold what a learner typed or uploaded: the page shows the message as plain text, never Markdown.
"""

from __future__ import annotations

import re

CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class RnnvizError(Exception):
    """Base class: str(error) is a plain-language message safe to show in the page (as text)."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.code = message if CODE.match(message) else None
        self.params = params
        super().__init__(self.words("en") if self.code else message)

    def words(self, lang: str | None = None) -> str:
        """Returns the message in lang (default: the current learner's language)."""
        if self.code is None:
            return str(self)
        from rnnviz.catalog import t

        # a parameter that is itself an error (a run file's refused setting) is worded in the same language
        params = {k: v.words(lang) if isinstance(v, RnnvizError) else v for k, v in self.params.items()}
        return t(self.code, lang, **params)


class DataError(RnnvizError):
    """Input data (a CSV, a text, an upload) cannot be used; the message says why and what to do."""


class ConfigError(RnnvizError):
    """A setting is out of range; the message names the setting and the allowed range."""


class CheckpointError(RnnvizError):
    """An uploaded run file is not one rnnviz wrote, or is damaged."""
