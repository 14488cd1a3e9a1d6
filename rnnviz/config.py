"""Frozen settings for data, models, training and forecasts.

Every config is a frozen dataclass so it is hashable: Streamlit's caches key on
them, and variants are made with ``dataclasses.replace``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from rnnviz.cells import SPECS
from rnnviz.errors import ConfigError

Cell = Literal["rnn_tanh", "rnn_relu", "gru", "lstm"]
Task = Literal["lm", "forecast", "sentiment"]

CELLS: tuple[str, ...] = tuple(SPECS)
CELL_LABELS: dict[str, str] = {name: spec.label for name, spec in SPECS.items()}
SERIES_NAMES: tuple[str, ...] = ("sine", "airline", "temperatures", "sunspots")
SENTIMENT_SOURCES: tuple[str, ...] = ("imdb", "amazon", "yelp")
# What a classifier can train on: one source, or "all" (every source's training part; each keeps its held-out part).
SENTIMENT_TRAIN_SOURCES: tuple[str, ...] = (*SENTIMENT_SOURCES, "all")
CORPORA: tuple[str, ...] = ("timemachine", "timemachine_gutenberg", "tang", "tang_simplified")  # rnnviz.data.text loads each
OWN_CORPUS = "own"  # a learner's own text, kept (cleaned) in TextConfig.own_text; rnnviz.owntext gates it
OWN_TEXT_MAX_CHARS = 200_000
TASKS: tuple[str, ...] = ("lm", "forecast", "sentiment")
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
SAMPLINGS: tuple[str, ...] = ("sequential", "random")
TOKENS: tuple[str, ...] = ("char", "word")
SEED_RANGE = (0, 2**31 - 1)


def bounded(default: Any, low: float, high: float, optional: bool = False) -> Any:
    """Returns a dataclass field whose value must lie in [low, high] (or be None when optional)."""
    return field(default=default, metadata={"bounds": (low, high), "optional": optional})


def one_of(default: str, options: tuple[str, ...]) -> Any:
    """Returns a dataclass field whose value must be one of options."""
    return field(default=default, metadata={"options": options})


@dataclass(frozen=True)
class SeriesConfig:
    """Which univariate series, how it is split and windowed."""

    name: str = one_of("sine", SERIES_NAMES + ("upload",))  # "upload": a learner's CSV
    T: int = bounded(1000, 50, 10_000)  # length of the synthetic sine
    noise: float = bounded(0.2, 0.0, 10.0)  # std of the sine's Gaussian noise (d2l)
    tau: int = bounded(4, 1, 64)  # window of past values the AR MLP sees (d2l)
    n_train: int | None = bounded(600, 4, 10_000, optional=True)  # first n_train points train; None -> train_frac
    train_frac: float = bounded(0.6, 0.05, 0.95)
    window: int = bounded(32, 2, 256)  # sequence length for recurrent forecasters
    data_seed: int = bounded(0, *SEED_RANGE)


@dataclass(frozen=True)
class TextConfig:
    """Which corpus, how it is tokenized and cut into minibatches."""

    corpus: str = one_of("timemachine", CORPORA + (OWN_CORPUS,))
    token: Literal["char", "word"] = one_of("char", TOKENS)
    num_steps: int = bounded(35, 2, 200)  # length of each subsequence (d2l)
    batch_size: int = bounded(32, 1, 256)
    sampling: Literal["sequential", "random"] = one_of("sequential", SAMPLINGS)
    max_tokens: int | None = bounded(None, 100, 10_000_000, optional=True)  # keep only the first max_tokens tokens
    min_freq: int = bounded(1, 1, 100)  # tokens seen fewer times read as <unk> (d2l's Vocab min_freq)
    own_text: str | None = field(default=None, repr=False, metadata={"max_chars": OWN_TEXT_MAX_CHARS})  # cleaned


@dataclass(frozen=True)
class SentimentConfig:
    """Which review sentences and how they are split and padded."""

    source: str = one_of("imdb", SENTIMENT_TRAIN_SOURCES)
    max_len: int = bounded(40, 2, 200)  # words kept per sentence
    test_frac: float = bounded(0.2, 0.05, 0.5)
    min_freq: int = bounded(1, 1, 100)  # words seen fewer times map to <unk>
    batch_size: int = bounded(32, 1, 256)
    data_seed: int = bounded(0, *SEED_RANGE)


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent core: cell type, width and depth."""

    cell: str = one_of("gru", CELLS)
    hidden_size: int = bounded(64, 1, 256)
    num_layers: int = bounded(1, 1, 3)
    bias: bool = field(default=True, metadata={"options": (True, False)})
    embed_dim: int = bounded(32, 1, 128)  # sentiment word embedding size (LM uses one-hot, as d2l)


@dataclass(frozen=True)
class TrainConfig:
    """Optimizer, clipping, truncation and seed for one training run."""

    optimizer: Literal["sgd", "adam"] = one_of("adam", OPTIMIZERS)
    lr: float = bounded(0.01, 1e-5, 100.0)
    clip: float | None = bounded(1.0, 0.01, 1000.0, optional=True)  # global-norm threshold; None = no clipping
    steps: int = bounded(500, 1, 5000)
    bptt: int | None = bounded(None, 1, 200, optional=True)  # truncate backprop every bptt steps (LM); None = all
    seed: int = bounded(0, *SEED_RANGE)


@dataclass(frozen=True)
class ForecastConfig:
    """Horizons for the k-step-ahead comparison."""

    horizons: tuple[int, ...] = bounded((1, 4, 16, 64), 1, 256)  # each horizon in the bounds
    max_k: int = bounded(64, 1, 256)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run, so one hashable key reproduces it."""

    task: str = one_of("lm", TASKS)
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    text: TextConfig = TextConfig()
    series: SeriesConfig = SeriesConfig()
    sentiment: SentimentConfig = SentimentConfig()


def bounds(cls: type, name: str) -> tuple[Any, Any]:
    """Returns the (low, high) bounds declared for a numeric field of a config dataclass."""
    return next(f.metadata["bounds"] for f in fields(cls) if f.name == name)


def check_field(cls: type, name: str, value: Any, label: str | None = None) -> Any:
    """Returns value if it fits field `name` of config class cls (type, finite, bounds, options); raises ConfigError.

    Ints stay ints (a bool is not a number), a float field accepts a whole number, and NaN or infinity never passes.
    """
    spec = next((f for f in fields(cls) if f.name == name), None)
    label = label or name
    if spec is None:
        raise ConfigError("errors.config.no_setting", label=label)
    meta = spec.metadata
    if "options" in meta:
        if isinstance(value, bool) != isinstance(meta["options"][0], bool) or value not in meta["options"]:
            allowed = ", ".join(str(o) for o in meta["options"])
            raise ConfigError("errors.config.not_option", label=label, allowed=allowed, value=shown(value))
        return value
    if "max_chars" in meta:
        if value is None or isinstance(value, str) and len(value) <= meta["max_chars"]:
            return value
        raise ConfigError("own_text.errors.not_a_text", setting=label, limit=meta["max_chars"])
    if "bounds" not in meta:
        return value
    if value is None and meta["optional"]:
        return None
    if isinstance(value, tuple) and isinstance(spec.default, tuple):
        if not value:
            raise ConfigError("errors.config.empty", label=label)
        return tuple(check_field(cls, name, v, label) for v in value) if len(value) <= 64 else _too_many(label)
    return _number(label, value, meta["bounds"], whole=isinstance(meta["bounds"][0], int)
                   and not isinstance(spec.default, float))


def check(cfg: Any, prefix: str = "") -> Any:
    """Returns cfg if every field of it (and of its nested configs) passes check_field; raises ConfigError."""
    for spec in fields(cfg):
        value = getattr(cfg, spec.name)
        if is_dataclass(value):
            check(value, f"{prefix}{spec.name}.")
        else:
            check_field(type(cfg), spec.name, value, f"{prefix}{spec.name}")
    return cfg


def _number(label: str, value: Any, limits: tuple[Any, Any], whole: bool) -> float | int:
    low, high = limits
    ok_type = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError("errors.config.out_of_range_whole" if whole else "errors.config.out_of_range", label=label,
                          low=low, high=high, value=shown(value))
    return value if whole else float(value)


def _too_many(label: str) -> tuple:
    raise ConfigError("errors.config.too_many", label=label)


def shown(value: Any) -> str:
    """Returns a value as at most 40 characters without backticks or line breaks, to quote in a code span."""
    text = repr(value) if not isinstance(value, str) else value
    text = " ".join(text.replace("`", "'").split())
    return text if len(text) <= 40 else text[:37] + "..."
