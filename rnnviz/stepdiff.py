"""One training step, recorded: what the loss, the gradient, the weights and the gates did in a single update.

``one_step(run)`` takes exactly one ``TrainRun.step()`` and returns a ``StepDiff``: the loss on that
step's minibatch before and after the update, the gradient norm before and after clipping, how far
each weight tensor moved, and the gates of a short fixed input replayed before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.tasks import ForecastTask, LMTask, SentimentTask
from rnnviz.tracing import Trace, trace_model
from rnnviz.train import StepMetrics, TrainRun

LM_CHARS = 40  # characters of the corpus's opening replayed before and after the step


@dataclass(frozen=True)
class StepDiff:
    """What one optimizer step changed, on the step's own minibatch and on a fixed inspected input."""

    metrics: StepMetrics  # the step as TrainRun recorded it
    loss_before: float  # on the step's minibatch, with the weights before the update
    loss_after: float  # the same minibatch (and carried state), with the updated weights
    weight_change: dict[str, float]  # parameter name -> ||theta_after - theta_before||
    weight_norm: dict[str, float]  # parameter name -> ||theta_before||, to read the change relative to it
    tokens: tuple[str, ...]  # the inspected input, one label per timestep
    before: Trace  # the inspected input replayed with the weights before the step
    after: Trace  # ... and after it

    @property
    def step(self) -> int:
        """Returns the step number this update produced (1-based)."""
        return self.metrics.step

    @property
    def grad_norm(self) -> float:
        """Returns the global gradient norm before clipping."""
        return self.metrics.grad_norm

    @property
    def applied_norm(self) -> float:
        """Returns the global norm of the gradient actually applied (after clipping)."""
        return self.metrics.applied_norm

    @property
    def clipped(self) -> bool:
        """Returns whether clipping rescaled this step's gradient."""
        return self.metrics.clipped

    @property
    def names(self) -> tuple[str, ...]:
        """Returns the quantities the cell records, e.g. ('r', 'z', 'n', 'h') for a GRU."""
        return self.before.names

    def gate(self, name: str, layer: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns (before, after, after - before) of one gate or state on the inspected input, each (T, H)."""
        b = self.before.layers[layer].get(name)[0].numpy()  # (T, H)
        a = self.after.layers[layer].get(name)[0].numpy()  # (T, H)
        return b, a, a - b

    def largest_change(self) -> tuple[str, float]:
        """Returns the parameter tensor that moved most (relative to its size) and its relative change."""
        rel = {k: v / max(self.weight_norm[k], 1e-12) for k, v in self.weight_change.items()}
        name = max(rel, key=rel.get)
        return name, rel[name]


def inspected_input(task: LMTask | ForecastTask | SentimentTask) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Returns a short fixed input (1, T) for the task and a label per step: text opening, first window, a review."""
    if isinstance(task, LMTask):
        ids = task.corpus.indices[:LM_CHARS]
        return ids[None], tuple(task.corpus.vocab.decode(ids.tolist()))
    if isinstance(task, ForecastTask):
        values = task.values[: task.window].float()
        return values[None], tuple(f"{v:.2f}" for v in values.tolist())
    if isinstance(task, SentimentTask):
        n = int(task.data.len_test[0])
        ids = task.data.x_test[0, :n]
        return ids[None], tuple(task.data.vocab.decode(ids.tolist()))
    raise TypeError(f"no inspected input for {type(task).__name__}")


class _Recorder:
    """Stands in for the run's task during one step and remembers the minibatch (and carried state) it scored."""

    def __init__(self, task):
        self.task = task
        self.batch, self.state = None, None

    def score(self, model, batch):
        self.batch = batch
        self.state = getattr(self.task, "_state", None)  # an LM's carried state going into this batch
        return self.task.score(model, batch)

    def __getattr__(self, name: str):
        return getattr(self.task, name)


def _loss_on(task, model: torch.nn.Module, batch, state) -> float:
    """Returns the task's loss on batch, starting from a given carried state, without disturbing the task."""
    carried = hasattr(task, "_state")  # only the language model carries state across minibatches
    saved = task._state if carried else None
    if carried:
        task._state = state
    try:
        with torch.no_grad():
            return task.score(model, batch).loss.item()
    finally:
        if carried:
            task._state = saved


def one_step(run: TrainRun, x: torch.Tensor | None = None, tokens: Sequence[str] | None = None) -> StepDiff:
    """Returns what exactly one run.step() changed; raises train.Diverged (weights restored) if it blew up.

    x (1, T) is the inspected input; by default the task's inspected_input().
    """
    if x is None:
        x, tokens = inspected_input(run.task)
    tokens = tuple(tokens) if tokens is not None else tuple(str(t) for t in range(x.shape[1]))
    model = run.model
    params = {k: p.detach().clone() for k, p in model.named_parameters()}
    before = trace_model(model, x)
    task, recorder = run.task, _Recorder(run.task)
    run.task = recorder  # the run's batches were drawn from the task already; only score() passes through
    try:
        metrics = run.step()
    finally:
        run.task = task
    after = trace_model(model, x)
    loss_after = _loss_on(task, model, recorder.batch, recorder.state)
    change = {k: float((p.detach() - params[k]).norm()) for k, p in model.named_parameters()}
    norms = {k: float(v.norm()) for k, v in params.items()}
    return StepDiff(metrics, metrics.loss, loss_after, change, norms, tokens, before, after)
