"""The long-range memory task as a queue of jobs: a queue of (cell, delay) training jobs, each trained in bounded chunks
and scored when done, so a page can train several architectures without ever blocking for long."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.cells import SPECS
from rnnviz.gradients import memory_eval, memory_run
from rnnviz.train import TrainRun

CELLS = ("rnn_tanh", "gru", "lstm")  # the architectures compared, in legend order
STEPS = 300  # the same step budget for every architecture and delay


@dataclass
class MemoryLab:
    """Memory-task results and the jobs still to train, keyed by (series label, delay k)."""

    steps: int = STEPS
    results: dict[tuple[str, int], float] = field(default_factory=dict)  # held-out accuracy
    grads: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)  # ||dL/dh_t|| after training
    queue: list[tuple[str, int, float]] = field(default_factory=list)  # (cell, k, LSTM forget bias)
    job: TrainRun | None = None

    @property
    def busy(self) -> bool:
        """Returns True while a job is training or waiting."""
        return self.job is not None or bool(self.queue)


def series_label(cell: str, forget_bias: float) -> str:
    """Returns the name a memory-task result is filed under (the LSTM's forget-gate start is part of it)."""
    return f"LSTM, b_f = {forget_bias:g}" if cell == "lstm" else SPECS[cell].label


def enqueue(lab: MemoryLab, delays: tuple[int, ...], forget_bias: float) -> None:
    """Adds every architecture at every delay to the queue (skipping what is already done or queued)."""
    for k in delays:
        for cell in CELLS:
            job = (cell, k, forget_bias)
            if (series_label(cell, forget_bias), k) not in lab.results and job not in lab.queue:
                lab.queue.append(job)


def memory_tick(lab: MemoryLab, seconds: float) -> None:
    """Trains the current job for at most `seconds`; finished jobs are scored and the next one starts."""
    if lab.job is None:
        if not lab.queue:
            return
        cell, k, bias = lab.queue[0]
        lab.job = memory_run(cell, k, steps=lab.steps, forget_bias=bias)
    job = lab.job
    job.run(lab.steps - job.steps_done, seconds=seconds)
    if job.steps_done >= lab.steps or job.diverged:
        cell, k, bias = lab.queue.pop(0)
        key = (series_label(cell, bias), k)
        lab.results[key], lab.grads[key] = memory_eval(job.model, job.task)
        lab.job = None
