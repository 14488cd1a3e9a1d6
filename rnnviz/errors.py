"""Errors that carry a message meant for the learner, not a traceback."""


class RnnvizError(Exception):
    """Base class: str(error) is a plain-language message safe to show in the page."""


class DataError(RnnvizError):
    """Input data (a CSV, a text, an upload) cannot be used; the message says why and what to do."""


class ConfigError(RnnvizError):
    """A setting is out of range; the message names the setting and the allowed range."""


class CheckpointError(RnnvizError):
    """An uploaded run file is not one rnnviz wrote, or is damaged."""
