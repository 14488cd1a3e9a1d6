"""The training lab's settings, declared once: each one's query parameter, bounds, widget, words and config field.

Everything else is generated from SETTINGS: the lab's widgets and their session values (rnnviz.ui.lab_widgets),
the URL codec and the validation (rnnviz.presets), the hide labels and class links (rnnviz.ui.lab_links).
Bounds and options come from the config fields' own metadata (rnnviz.config), so a limit is written once.
A setting's words are catalogue entries: ``training_lab.settings.<name>`` (widget label),
``training_lab.settings_help.<name>`` (help, if any) and ``training_lab.controls.<name>`` (its name in a sentence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from rnnviz.config import OWN_CORPUS, SENTIMENT_TRAIN_SOURCES, SERIES_NAMES, RunConfig, shown
from rnnviz.errors import ConfigError
from rnnviz.query import number

OFF = ("off", "none", "")  # what a link may say for "no clipping"
# The corpora a language model in the lab reads: the bundled ones (rnnviz.data.text) and the learner's own text,
# which a link never carries (a link saying corpus=own opens the first one, with a message).
LAB_CORPORA: tuple[str, ...] = ("timemachine", "tang_simplified", "tang", OWN_CORPUS)


@dataclass(frozen=True)
class Setting:
    """One lab setting: where it lives in a RunConfig, how a link spells it and which widget draws it."""

    name: str  # its query parameter, its name in ?hide=, and its session key after "lab_"
    section: str | None  # the RunConfig attribute holding the field ("model", "train", ...); None: RunConfig itself
    field: str  # the field's name in that section
    widget: str  # "select", "radio", "number" or "clip" (a checkbox and a threshold)
    task: str | None = None  # the only task it applies to (None: every task)
    narrowed: tuple[str, ...] | None = None  # the lab's options when narrower than the field's
    display: str = "catalogue"  # option names: "catalogue" (training_lab.options.<name>), "cell", "upper", "raw"
    step: float | None = None  # a number widget's step
    decimals: bool = False  # a number widget shows %g (learning rate, threshold)

    @property
    def key(self) -> str:
        """Returns the session key of the setting's (main) widget."""
        return f"lab_{self.name}"

    @property
    def keys(self) -> tuple[str, ...]:
        """Returns the session keys of every widget of the setting (clipping has a checkbox too)."""
        return (f"{self.key}_on", self.key) if self.widget == "clip" else (self.key,)

    @property
    def spec(self) -> Any:
        """Returns the dataclass field the setting reads and writes."""
        owner = RunConfig if self.section is None else type(getattr(RunConfig(), self.section))
        return next(f for f in fields(owner) if f.name == self.field)

    @property
    def options(self) -> tuple[str, ...]:
        """Returns the allowed values of a choice (the lab's, else the field's declared options)."""
        return self.narrowed if self.narrowed is not None else tuple(self.spec.metadata.get("options", ()))

    @property
    def bounds(self) -> tuple[Any, Any]:
        """Returns the (low, high) bounds the config field declares."""
        return self.spec.metadata["bounds"]

    @property
    def whole(self) -> bool:
        """Returns whether the setting is a whole number."""
        return self.widget == "number" and isinstance(self.spec.default, int)

    def read(self, cfg: RunConfig) -> Any:
        """Returns the setting's value in cfg."""
        return getattr(cfg if self.section is None else getattr(cfg, self.section), self.field)

    def write(self, cfg: RunConfig, value: Any) -> RunConfig:
        """Returns cfg with the setting set to value."""
        if self.section is None:
            return replace(cfg, **{self.field: value})
        return replace(cfg, **{self.section: replace(getattr(cfg, self.section), **{self.field: value})})

    def applies(self, task: str) -> bool:
        """Returns whether the setting is one of task's."""
        return self.task in (None, task)

    def encode(self, value: Any) -> str:
        """Returns how a link spells value."""
        if self.widget == "clip":
            return "off" if value is None else f"{value:g}"
        if self.widget == "number":
            return str(value) if self.whole else f"{value:g}"
        return str(value)

    def decode(self, raw: str) -> Any:
        """Returns the value a link's text stands for (not yet range-checked); raises ConfigError if not a value."""
        if self.widget == "clip" and raw.strip().lower() in OFF:
            return None
        if self.widget in ("number", "clip"):
            value = number(raw, whole=self.whole)
            if value is None:
                self._refuse(raw)
            return value
        return raw

    def check(self, value: Any) -> None:
        """Raises ConfigError naming the setting and its range if value is not allowed."""
        if self.widget in ("select", "radio"):
            if value not in self.options:
                raise ConfigError("training_lab.errors.choice", name=self.name, allowed=", ".join(self.options),
                                  got=shown(value))
            return
        if value is None and self.widget == "clip":
            return
        low, high = self.bounds
        ok = isinstance(value, int) if self.whole else isinstance(value, (int, float)) and math.isfinite(value)
        if isinstance(value, bool) or not ok or not low <= value <= high:
            self._refuse(value)

    def _refuse(self, value: Any) -> None:
        low, high = self.bounds
        words = dict(name=self.name, low=f"{low:g}", high=f"{high:g}", got=shown(value))
        if self.whole:
            raise ConfigError("training_lab.errors.whole", **words)
        raise ConfigError("training_lab.errors.number", **words)

    def to_widgets(self, cfg: RunConfig) -> dict[str, Any]:
        """Returns the session values of the setting's widgets that show cfg's value."""
        value = self.read(cfg)
        if self.widget == "clip":
            return {self.keys[0]: value is not None, self.key: float(value if value is not None else 1.0)}
        if self.widget == "number":
            return {self.key: int(value) if self.whole else float(value)}
        return {self.key: value}

    def from_widgets(self, values: Mapping[str, Any]) -> Any:
        """Returns the setting's value the widgets' session values describe."""
        if self.widget == "clip":
            return float(values[self.key]) if values[self.keys[0]] else None
        if self.widget == "number":
            return int(values[self.key]) if self.whole else float(values[self.key])
        return values[self.key]


SETTINGS: tuple[Setting, ...] = (  # in reading order: the widgets and the hide boxes follow it
    Setting("task", None, "task", "radio"),
    Setting("cell", "model", "cell", "select", display="cell"),
    Setting("hidden", "model", "hidden_size", "number", step=8),
    Setting("layers", "model", "num_layers", "number"),
    Setting("corpus", "text", "corpus", "select", task="lm", narrowed=LAB_CORPORA),
    Setting("minfreq", "text", "min_freq", "number", task="lm"),
    Setting("seq", "text", "num_steps", "number", task="lm"),
    Setting("series", "series", "name", "select", task="forecast", narrowed=SERIES_NAMES),
    Setting("source", "sentiment", "source", "select", task="sentiment", narrowed=SENTIMENT_TRAIN_SOURCES),
    Setting("opt", "train", "optimizer", "radio", display="upper"),
    Setting("lr", "train", "lr", "number", step=0.001, decimals=True),
    Setting("clip", "train", "clip", "clip", decimals=True),
    Setting("steps", "train", "steps", "number", step=100),
    Setting("batch", "text", "batch_size", "number", task="lm"),
    Setting("sampling", "text", "sampling", "radio", task="lm"),
    Setting("seed", "train", "seed", "number"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
TASK = BY_NAME["task"]
CORPUS = BY_NAME["corpus"]
LINK_ORDER = sorted(SETTINGS, key=lambda s: s.task is not None)  # a link spells its task's own settings last


def to_widgets(cfg: RunConfig) -> dict[str, Any]:
    """Returns every setting's widget values (by session key) that show cfg."""
    return {key: value for s in SETTINGS for key, value in s.to_widgets(cfg).items()}


def from_widgets(values: Mapping[str, Any], base: RunConfig) -> RunConfig:
    """Returns base with every setting read from the widgets' values (not yet validated)."""
    cfg = base
    for s in SETTINGS:
        cfg = s.write(cfg, s.from_widgets(values))
    return cfg


def check_all(cfg: RunConfig) -> None:
    """Raises ConfigError naming the first setting of cfg the lab does not allow."""
    for s in SETTINGS:
        s.check(s.read(cfg))


def encode(cfg: RunConfig) -> dict[str, str]:
    """Returns the link parameters of cfg's settings that apply to its task: every task's first, as links always had."""
    return {s.name: s.encode(s.read(cfg)) for s in LINK_ORDER if s.applies(cfg.task)}


def decode(params: Mapping[str, str], base: RunConfig) -> RunConfig:
    """Returns base with every setting a link gives (not yet range-checked); raises ConfigError for non-values."""
    cfg = base
    for s in SETTINGS:
        if s.name in params and s is not TASK and not (s is CORPUS and params[s.name] == OWN_CORPUS):
            cfg = s.write(cfg, s.decode(params[s.name]))
    return cfg


def own_text_dropped(params: Mapping[str, str]) -> bool:
    """Returns whether a link names a run on the learner's own text, which links do not carry (decode skips it)."""
    return params.get(CORPUS.name) == OWN_CORPUS
