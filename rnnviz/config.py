"""Frozen settings for data, models, training and forecasts.

Every config is a frozen dataclass so it is hashable: Streamlit's caches key on
them, and variants are made with ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cell = Literal["rnn_tanh", "rnn_relu", "gru", "lstm"]
Task = Literal["lm", "forecast", "sentiment"]

CELLS: tuple[str, ...] = ("rnn_tanh", "rnn_relu", "gru", "lstm")
CELL_LABELS: dict[str, str] = {
    "rnn_tanh": "RNN (tanh)",
    "rnn_relu": "RNN (ReLU)",
    "gru": "GRU",
    "lstm": "LSTM",
}
SERIES_NAMES: tuple[str, ...] = ("sine", "airline", "temperatures", "sunspots")
SENTIMENT_SOURCES: tuple[str, ...] = ("imdb", "amazon", "yelp")
CORPORA: tuple[str, ...] = ("timemachine", "timemachine_gutenberg")


@dataclass(frozen=True)
class SeriesConfig:
    """Which univariate series, how it is split and windowed."""

    name: str = "sine"  # one of SERIES_NAMES, or "upload"
    T: int = 1000  # length of the synthetic sine
    noise: float = 0.2  # std of the sine's Gaussian noise (d2l)
    tau: int = 4  # window of past values the AR MLP sees (d2l)
    n_train: int | None = 600  # first n_train points train; None -> train_frac
    train_frac: float = 0.6
    window: int = 32  # sequence length for recurrent forecasters
    data_seed: int = 0


@dataclass(frozen=True)
class TextConfig:
    """Which corpus, how it is tokenized and cut into minibatches."""

    corpus: str = "timemachine"
    token: Literal["char", "word"] = "char"
    num_steps: int = 35  # length of each subsequence (d2l)
    batch_size: int = 32
    sampling: Literal["sequential", "random"] = "sequential"
    max_tokens: int | None = None  # keep only the first max_tokens tokens


@dataclass(frozen=True)
class SentimentConfig:
    """Which review sentences and how they are split and padded."""

    source: str = "imdb"
    max_len: int = 40  # words kept per sentence
    test_frac: float = 0.2
    min_freq: int = 1  # words seen fewer times map to <unk>
    batch_size: int = 32
    data_seed: int = 0


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent core: cell type, width and depth."""

    cell: str = "gru"  # one of CELLS
    hidden_size: int = 64
    num_layers: int = 1
    bias: bool = True
    embed_dim: int = 32  # sentiment word embedding size (LM uses one-hot, as d2l)


@dataclass(frozen=True)
class TrainConfig:
    """Optimizer, clipping, truncation and seed for one training run."""

    optimizer: Literal["sgd", "adam"] = "adam"
    lr: float = 0.01
    clip: float | None = 1.0  # global-norm threshold; None = no clipping
    steps: int = 500
    bptt: int | None = None  # truncate backprop every bptt steps (LM); None = whole subsequence
    seed: int = 0


@dataclass(frozen=True)
class ForecastConfig:
    """Horizons for the k-step-ahead comparison."""

    horizons: tuple[int, ...] = (1, 4, 16, 64)
    max_k: int = 64


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run, so one hashable key reproduces it."""

    task: str = "lm"  # one of "lm", "forecast", "sentiment"
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    text: TextConfig = TextConfig()
    series: SeriesConfig = SeriesConfig()
    sentiment: SentimentConfig = SentimentConfig()
