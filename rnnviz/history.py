"""The story of a run: what the model did at a few milestone steps (0, 25, 50, 100, 200, 500, 1000, ...).

A language model's sample (with its prefix and temperature), a forecaster's one-step error on the
test part and its first test predictions, a classifier's held-out accuracy. Kept with the run
(``TrainRun.story``), bounded, written into run files and read back through one validating gate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import CheckpointError

MAX_MOMENTS = 16  # milestones up to the lab's 5000 steps are 9, plus the last step
MAX_SAMPLE_CHARS = 200  # a sample's text as kept (the live one is ~140)
MAX_PREFIX_CHARS = 60
FIRST_VALUES = 3  # forecast: the first test predictions kept
MAX_STEP = 10**7


@dataclass(frozen=True)
class Moment:
    """The model at one step: the fields of its task are set, the others are None or empty."""

    step: int
    sample: str | None = None  # lm: prefix + generated text
    prefix: str | None = None
    temperature: float | None = None
    error: float | None = None  # forecast: one-step RMSE on the test part, in the series' unit
    first: tuple[float, ...] = ()  # forecast: the first one-step predictions after the cut
    accuracy: float | None = None  # sentiment: accuracy on the held-out sentences


def milestones(upto: int) -> list[int]:
    """Returns the milestone steps 0, 25, 50, 100, 200, 500, 1000, 2000, 5000, ... up to and including upto."""
    out, scale = [0, 25], 10
    while True:
        for base in (1, 2, 5):
            if base * scale > 25:
                out.append(base * scale)
        if out[-1] > upto:
            return [m for m in out if m <= upto]
        scale *= 10


def is_milestone(step: int) -> bool:
    """Returns whether a step is one of the milestones."""
    return step in milestones(step)


def due(story: list[Moment], step: int, total: int) -> bool:
    """Returns whether the run at `step` (of `total`) has a moment to record: a milestone or the last step, not yet kept."""
    if story and story[-1].step >= step:
        return False
    last = story[-1].step if story else -1
    return step == total or any(m > last for m in milestones(step))


def record(story: list[Moment], moment: Moment) -> list[Moment]:
    """Returns story with moment appended (in step order, one per step), at most MAX_MOMENTS long (the first kept)."""
    kept = [m for m in story if m.step < moment.step] + [moment]
    if len(kept) > MAX_MOMENTS:
        kept = kept[:1] + kept[len(kept) - MAX_MOMENTS + 1:]
    return kept


def lm_moment(step: int, text: str, prefix: str, temperature: float) -> Moment:
    """Returns a language model's moment: its sample, cut to MAX_SAMPLE_CHARS."""
    return Moment(step, sample=text[:MAX_SAMPLE_CHARS], prefix=prefix[:MAX_PREFIX_CHARS], temperature=float(temperature))


def forecast_moment(step: int, values: np.ndarray, preds: np.ndarray, n_train: int) -> Moment:
    """Returns a forecaster's moment from the series and its one-step predictions (same unit)."""
    test_err = np.asarray(preds[n_train:], dtype=float) - np.asarray(values[n_train:], dtype=float)
    finite = test_err[np.isfinite(test_err)]
    rmse = float(np.sqrt(np.mean(finite**2))) if finite.size else None
    first = tuple(round(float(v), 4) for v in preds[n_train:n_train + FIRST_VALUES] if np.isfinite(v))
    return Moment(step, error=rmse, first=first)


def classifier_moment(step: int, logits: torch.Tensor, labels: torch.Tensor) -> Moment:
    """Returns a classifier's moment: accuracy of (N, 2) logits against (N,) labels."""
    return Moment(step, accuracy=float((logits.argmax(-1) == labels).float().mean()) if len(labels) else None)


def frame(story: list[Moment], task: str) -> pd.DataFrame:
    """Returns the story as a small table with the columns of its task (the lab shows it, the CSV holds it)."""
    if task == "lm":
        rows = [{"step": m.step, "temperature": m.temperature, "prefix": m.prefix, "sample": m.sample} for m in story]
        return pd.DataFrame(rows, columns=["step", "temperature", "prefix", "sample"])
    if task == "forecast":
        rows = [{"step": m.step, "test one-step RMSE": m.error,
                 "first test predictions": ", ".join(f"{v:.3g}" for v in m.first)} for m in story]
        return pd.DataFrame(rows, columns=["step", "test one-step RMSE", "first test predictions"])
    rows = [{"step": m.step, "held-out accuracy": m.accuracy} for m in story]
    return pd.DataFrame(rows, columns=["step", "held-out accuracy"])


def to_records(story: list[Moment]) -> list[dict]:
    """Returns the story as JSON-ready dicts."""
    return [{**asdict(m), "first": list(m.first)} for m in story]


def from_records(raw: object) -> list[Moment]:
    """Returns the validated story of a run file (absent: empty); raises CheckpointError for anything else."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_MOMENTS:
        raise CheckpointError("training_lab.errors.story_list", limit=MAX_MOMENTS)
    story: list[Moment] = []
    for item in raw:
        moment = _moment(item)
        if story and moment.step <= story[-1].step:
            raise CheckpointError("training_lab.errors.story_order")
        story.append(moment)
    return story


def _moment(item: object) -> Moment:
    bad = CheckpointError("training_lab.errors.story")
    if not isinstance(item, dict) or set(item) - {f for f in Moment.__dataclass_fields__}:
        raise bad
    step = item.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= MAX_STEP:
        raise bad
    texts = {k: item.get(k) for k in ("sample", "prefix")}
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        raise bad
    numbers = {k: item.get(k) for k in ("temperature", "error", "accuracy")}
    if any(v is not None and not _finite(v) for v in numbers.values()):
        raise bad
    first = item.get("first", [])
    if not isinstance(first, list) or len(first) > FIRST_VALUES or not all(_finite(v) for v in first):
        raise bad
    sample, prefix = texts["sample"], texts["prefix"]
    return Moment(step, sample=sample[:MAX_SAMPLE_CHARS] if sample is not None else None,
                  prefix=prefix[:MAX_PREFIX_CHARS] if prefix is not None else None,
                  temperature=_float(numbers["temperature"]), error=_float(numbers["error"]),
                  first=tuple(float(v) for v in first), accuracy=_float(numbers["accuracy"]))


def _float(v: object) -> float | None:
    return None if v is None else float(v)


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
