"""The three learning tasks (language model, forecaster, classifier) and d2l's AR baseline.

A task owns its data and knows how to draw a minibatch from a run's private generator and
how to score a model on it; the training loop in train.py is the same for all of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from rnnviz.config import ModelConfig, RunConfig, SeriesConfig, TextConfig
from rnnviz.data import Corpus, Scaler, SentimentData, Series, lm_batches, split_point, windows
from rnnviz.errors import ConfigError
from rnnviz.losses import linear_cross_entropy
from rnnviz.models import ARMLP, Forecaster, LanguageModel, SequenceClassifier, init_weights


@dataclass
class Score:
    """A minibatch's loss (with graph) and the metrics it yields."""

    loss: torch.Tensor
    perplexity: float | None = None
    accuracy: float | None = None


def _detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


# From this vocabulary size on, a language model's loss runs its output layer and cross-entropy in chunks
# (rnnviz.losses) instead of materialising the (B*T, V) logits. Measured in bench/bench_tang.py --loss (forward and
# backward, 560 and 1,120 rows): the plain layer is faster at V=128 and about even at 256; the chunked one is
# 1.1-1.3x faster at 512 and 1.35-1.5x at the Tang poems' 1,000-2,500 characters.
LARGE_VOCAB = 512


@dataclass
class LMTask:
    """d2l's language model: next-token cross-entropy, state carried across sequential minibatches."""

    corpus: Corpus
    text: TextConfig
    bptt: int | None = None
    _state: object = field(default=None, repr=False)

    def make_model(self, cfg: ModelConfig) -> nn.Module:
        return LanguageModel(len(self.corpus.vocab), cfg)

    def batches(self, g: torch.Generator) -> Iterator:
        while True:  # epochs: a new random offset each time, as d2l
            self._state = None
            yield from lm_batches(self.corpus.indices, self.text.batch_size, self.text.num_steps, self.text.sampling, g)

    def score(self, model: LanguageModel, batch) -> Score:
        X, Y = batch
        state = _detach(self._state) if self.text.sampling == "sequential" else None
        if model.vocab_size >= LARGE_VOCAB:  # the same loss, without the (B*T, V) logits
            out, state = truncated_forward(model.recurrent, X, state, self.bptt)  # (B, T, H)
            loss = linear_cross_entropy(out.reshape(-1, out.shape[-1]), model.out.weight, model.out.bias, Y.reshape(-1))
        else:
            logits, state = truncated_forward(model, X, state, self.bptt)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        self._state = state
        return Score(loss, perplexity=math.exp(min(loss.item(), 50.0)))


def truncated_forward(model, X: torch.Tensor, state, bptt: int | None):
    """Returns (outputs, state) with backprop cut every bptt steps (the fused module runs each chunk).

    model is anything called as model(x, state) -> (outputs (B, T, ...), state): a model or its ``recurrent``.
    """
    if not bptt or bptt >= X.shape[1]:
        return model(X, state)
    outs = []
    for chunk in X.split(bptt, dim=1):
        out, state = model(chunk, state)
        outs.append(out)
        state = _detach(state)  # the gradient stops here: truncated BPTT
    return torch.cat(outs, dim=1), state


@dataclass
class ForecastTask:
    """A recurrent forecaster on random training windows: predict x_{t+1} at every step (MSE)."""

    values: torch.Tensor  # (T,) scaled series
    n_train: int
    window: int
    batch_size: int = 32

    def make_model(self, cfg: ModelConfig) -> nn.Module:
        return Forecaster(cfg)

    def batches(self, g: torch.Generator) -> Iterator:
        high = max(self.n_train - self.window - 1, 1)
        span = torch.arange(self.window + 1)
        while True:
            idx = torch.randint(0, high, (self.batch_size, 1), generator=g) + span  # (B, W+1)
            idx = idx.clamp(max=self.n_train - 1)
            seq = self.values[idx]
            yield seq[:, :-1], seq[:, 1:]

    def score(self, model: Forecaster, batch) -> Score:
        X, Y = batch
        pred, _ = model(X)
        return Score(F.mse_loss(pred, Y))


@dataclass
class ARTask:
    """d2l's autoregressive MLP: the last tau values -> the next (MSE), minibatches of 16."""

    values: torch.Tensor
    n_train: int
    tau: int
    batch_size: int = 16

    def make_model(self, cfg: ModelConfig | None = None) -> nn.Module:
        return ARMLP(self.tau)

    def batches(self, g: torch.Generator) -> Iterator:
        features, labels = windows(self.values[: self.n_train].numpy(), self.tau)
        while True:
            for chunk in torch.randperm(len(features), generator=g).split(self.batch_size):
                yield features[chunk], labels[chunk]

    def score(self, model: ARMLP, batch) -> Score:
        X, Y = batch
        return Score(F.mse_loss(model(X), Y))


@dataclass
class SentimentTask:
    """Classify review sentences from the state at their last word (cross-entropy, accuracy)."""

    data: SentimentData
    batch_size: int = 32

    def make_model(self, cfg: ModelConfig) -> nn.Module:
        return SequenceClassifier(len(self.data.vocab), cfg)

    def batches(self, g: torch.Generator) -> Iterator:
        n = len(self.data.y_train)
        while True:
            for chunk in torch.randperm(n, generator=g).split(self.batch_size):
                yield self.data.x_train[chunk], self.data.len_train[chunk], self.data.y_train[chunk]

    def score(self, model: SequenceClassifier, batch) -> Score:
        X, lengths, y = batch
        logits = model.classify(X, lengths)
        return Score(F.cross_entropy(logits, y), accuracy=float((logits.argmax(-1) == y).float().mean()))


def scaled_series(series: Series, cfg: SeriesConfig) -> tuple[torch.Tensor, int, Scaler]:
    """Returns (series standardised by its training part, n_train, the scaler)."""
    n_train = split_point(len(series), cfg)
    scaler = Scaler.fit(series.values[:n_train])
    return torch.as_tensor(scaler.transform(series.values)), n_train, scaler


def make_task(cfg: RunConfig, data) -> LMTask | ForecastTask | SentimentTask:
    """Returns the task for a run config, given its already loaded data (Corpus, Series or SentimentData)."""
    if cfg.task == "lm":
        return LMTask(data, cfg.text, cfg.train.bptt)
    if cfg.task == "forecast":
        values, n_train, _ = scaled_series(data, cfg.series)
        return ForecastTask(values, n_train, cfg.series.window)
    if cfg.task == "sentiment":
        return SentimentTask(data, cfg.sentiment.batch_size)
    raise ConfigError("errors.train.unknown_task", task=cfg.task)


def make_model(task, cfg: ModelConfig, seed: int) -> nn.Module:
    """Returns the task's model, initialised from the run's own seed."""
    return init_weights(task.make_model(cfg), seed)
