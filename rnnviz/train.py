"""One training loop for every task: clipping, divergence detection, per-step metrics, stop at any step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from rnnviz.config import TrainConfig
from rnnviz.errors import ConfigError, RnnvizError

# Divergence, relative to the run's recent best loss. Minibatch losses are noisy and a clipped ReLU RNN can spike
# 8x for a step or two and recover (measured on the default character LM), so a run has blown up when PATIENCE
# steps in a row score JUMP_FACTOR times the best loss of the RECENT steps before them, and above it by more than
# the first loss (an untrained model's). A loss DIVERGE_FACTOR times the first, or non-finite, stops it at once.
RECENT = 20
PATIENCE = 3
JUMP_FACTOR = 4.0
DIVERGE_FACTOR = 100.0


@dataclass(frozen=True)
class StepMetrics:
    """What one optimizer step did."""

    step: int  # 1-based count of steps taken in this run
    loss: float
    grad_norm: float  # global norm before clipping
    applied_norm: float  # global norm of the update actually applied
    clipped: bool
    lr: float
    steps_per_s: float
    perplexity: float | None = None
    accuracy: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """The model's weights after `step` steps (step 0 = initialisation), a detached copy."""

    step: int
    state: dict[str, torch.Tensor]


class Diverged(Exception):
    """Training produced a non-finite or exploding loss or gradient; the best recent weights are restored."""


def blew_up(loss: float, history: list[StepMetrics]) -> bool:
    """Returns whether a step's loss means the run diverged: non-finite, or far above its recent best loss."""
    if not math.isfinite(loss):
        return True
    if not history:
        return False
    first = max(history[0].loss, 1e-3)
    if loss > DIVERGE_FACTOR * first:
        return True
    bar = far_above(history[: len(history) - (PATIENCE - 1)])
    streak = [m.loss for m in history[len(history) - (PATIENCE - 1):]] + [loss]
    return all(x > bar for x in streak)


def far_above(history: list[StepMetrics]) -> float:
    """Returns the loss above which a step is far above the best of the last RECENT steps of history."""
    if not history:
        return math.inf
    best = min(m.loss for m in history[-RECENT:])
    return max(JUMP_FACTOR * best, best + max(history[0].loss, 1e-3))


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Returns SGD or Adam for the config; raises ConfigError for a learning rate out of range."""
    if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
        raise ConfigError("errors.train.bad_lr")
    if cfg.clip is not None and not cfg.clip > 0:
        raise ConfigError("errors.train.bad_clip")
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr)
    if cfg.optimizer == "adam":
        # One fused kernel for every parameter (CPU supports it): ~10% faster steps on the Tang preset; the same
        # per-parameter state (step, exp_avg, exp_avg_sq) as plain Adam, so a stored non-fused state resumes here.
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=True)
    raise ConfigError("errors.train.unknown_optimizer", optimizer=cfg.optimizer)


class TrainRun:
    """A model, its optimizer, its private generator and its history: step it, stop anywhere, resume."""

    def __init__(self, model: nn.Module, task, cfg: TrainConfig, max_snapshots: int = 0, snapshot_every: int = 10):
        self.model, self.task, self.cfg = model, task, cfg
        self.optimizer = make_optimizer(model, cfg)
        self.generator = torch.Generator().manual_seed(cfg.seed + 1)  # batches; weights used cfg.seed
        self.history: list[StepMetrics] = []
        self.story: list = []  # rnnviz.history.Moment at milestone steps: what the model did as it learned
        self.diverged: str | None = None  # the English message, as run files keep it
        self.divergence: RnnvizError | None = None  # the same message with its code, to word in any language
        self._batches = task.batches(self.generator)
        self._params = [p for p in model.parameters() if p.requires_grad]
        # The best weights of the last RECENT steps (by the loss measured on them): what a blow-up restores.
        self._best = [p.detach().clone() for p in self._params]
        self._best_loss, self._best_step = math.inf, 0
        self._rate = 0.0
        # Bounded checkpoints for scrubbing through training: when full, every other one is
        # dropped and the interval doubles, so memory stays at max_snapshots copies.
        self.max_snapshots, self.snapshot_every = max_snapshots, snapshot_every
        self.snapshots: list[Snapshot] = []
        self._maybe_snapshot()

    @property
    def steps_done(self) -> int:
        """Returns how many optimizer steps this run has taken."""
        return len(self.history)

    def step(self) -> StepMetrics:
        """Runs one minibatch step and returns its metrics; raises Diverged (weights restored) on blow-up."""
        if self.diverged:
            raise Diverged(self.diverged)
        start = time.perf_counter()
        self.model.train()
        score = self.task.score(self.model, next(self._batches))
        loss = score.loss.item()
        if blew_up(loss, self.history):
            return self._fail("loss", loss)
        self._keep_if_best(loss)
        self.optimizer.zero_grad(set_to_none=True)
        score.loss.backward()
        max_norm = self.cfg.clip if self.cfg.clip is not None else math.inf
        norm = float(torch.nn.utils.clip_grad_norm_(self._params, max_norm))
        if not math.isfinite(norm):
            return self._fail("norm", norm)
        applied = norm * min(1.0, max_norm / (norm + 1e-6))  # the factor clip_grad_norm_ applied
        self.optimizer.step()
        elapsed = time.perf_counter() - start
        self._rate = 1.0 / elapsed if not self._rate else 0.9 * self._rate + 0.1 / elapsed
        metrics = StepMetrics(self.steps_done + 1, loss, norm, applied, applied < norm, self.cfg.lr,
                              self._rate, score.perplexity, score.accuracy)
        self.history.append(metrics)
        self._maybe_snapshot()
        return metrics

    def _maybe_snapshot(self) -> None:
        if not self.max_snapshots or self.steps_done % self.snapshot_every:
            return
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.snapshots.append(Snapshot(self.steps_done, state))
        if len(self.snapshots) > self.max_snapshots:
            self.snapshots = self.snapshots[::2]
            self.snapshot_every *= 2

    def _keep_if_best(self, loss: float) -> None:
        """Copies the weights that just scored `loss` if it is the best of the last RECENT steps.

        When the kept weights are older than that, the current ones replace them unless they are in a spike.
        """
        stale = self.steps_done - self._best_step >= RECENT and loss <= far_above(self.history)
        if loss <= self._best_loss or stale:
            with torch.no_grad():
                torch._foreach_copy_(self._best, self._params)  # one fused copy
            self._best_loss, self._best_step = loss, self.steps_done

    def _fail(self, what: str, value: float) -> StepMetrics:
        """Restores the best recent weights and raises Diverged; what is "loss" or "norm" (the value that blew up)."""
        with torch.no_grad():
            torch._foreach_copy_(self._params, self._best)
        step = self.steps_done + 1
        if math.isfinite(self._best_loss):
            code = "errors.train.diverged_loss" if what == "loss" else "errors.train.diverged_norm"
            self.divergence = RnnvizError(code, value=value, step=step, best_step=self._best_step,
                                          best_loss=self._best_loss)
        else:
            code = "errors.train.diverged_loss_initial" if what == "loss" else "errors.train.diverged_norm_initial"
            self.divergence = RnnvizError(code, value=value, step=step)
        self.diverged = str(self.divergence)
        raise Diverged(self.diverged)

    def divergence_words(self) -> str | None:
        """Returns why training stopped, in the learner's language (a run read from a file keeps its English)."""
        return self.divergence.words() if self.divergence is not None else self.diverged

    def steps(self, n: int) -> Iterator[StepMetrics]:
        """Yields up to n steps; stops early (without raising) if training diverges."""
        for _ in range(n):
            try:
                yield self.step()
            except Diverged:
                return

    def run(self, n: int, seconds: float | None = None,
            callback: Callable[[StepMetrics], None] | None = None,
            keep_going: Callable[[], bool] | None = None) -> list[StepMetrics]:
        """Runs up to n steps (and at most `seconds` of wall time); returns the metrics of those steps.

        `keep_going` is asked after every step: when it says no, the run stops there (a learner pressed Pause).
        """
        deadline = time.perf_counter() + seconds if seconds is not None else math.inf
        done = []
        for metrics in self.steps(n):
            done.append(metrics)
            if callback is not None:
                callback(metrics)
            if time.perf_counter() >= deadline or (keep_going is not None and not keep_going()):
                break
        return done
