"""Predict, then reveal: questions a lesson asks before it shows the answer, answered from the model in front of it.

Each prediction is a catalogue entry (``predict.<lesson>.<name>``: its question, its options by code, one line of
why per answer) and an answer function here that reads what the page computed (the gradient norms, the
forecast, the model) and returns the right option's code with the numbers its "why" line quotes. Never a fixed
string: tests/test_predictions.py feeds every answer function two inputs that must give different answers, and
real models of two seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rnnviz.cells import SPECS


@dataclass(frozen=True)
class Answer:
    """The right option's code and the numbers the explanation quotes."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


def _third(index: int, length: int) -> str:
    """Returns 'first', 'middle' or 'last': which third of a sequence of `length` steps `index` falls in."""
    return ("first", "middle", "last")[min(3 * index // max(length, 1), 2)]


def largest_gradient(norms: np.ndarray) -> Answer:
    """Which steps' states get the largest ||dL/dh_t||? norms: (T,) for one layer."""
    norms = np.asarray(norms, dtype=float)
    t = int(np.argmax(norms))
    ratio = float(norms[t] / max(norms[0], 1e-30))
    return Answer(_third(t, len(norms)), {"step": t, "steps": len(norms), "ratio": ratio})


def first_step_gradient(first: dict[str, float]) -> Answer:
    """Whose gradient reaches the first step more strongly? first: cell name -> ||dL/dh_0|| / ||dL/dh_T-1||."""
    best = max(first, key=lambda k: first[k])
    worst = min(first, key=lambda k: first[k])
    return Answer(best, {"best": SPECS[best].label, "worst": SPECS[worst].label, "best_ratio": first[best],
                         "worst_ratio": first[worst]})


def forecast_drift(truth: np.ndarray, kstep: np.ndarray) -> Answer:
    """Where does a long k-step forecast go: 'wave' (keeps the swing), 'flat' (dies out), 'up' or 'down'?"""
    truth, kstep = np.asarray(truth, dtype=float), np.asarray(kstep, dtype=float)
    tail = kstep[len(kstep) // 2:]
    swing, kept = float(np.std(truth)), float(np.std(tail))
    shift = float(np.mean(tail) - np.mean(truth))
    if abs(shift) > swing:
        code = "up" if shift > 0 else "down"
    elif kept < 0.35 * swing:
        code = "flat"
    else:
        code = "wave"
    return Answer(code, {"kept": kept / max(swing, 1e-12), "shift": shift})


def more_saturated(after: float, before: float) -> Answer:
    """Are more units (or gates) saturated after training than before? fractions in [0, 1]."""
    code = "more" if after > before + 0.02 else "fewer" if after < before - 0.02 else "same"
    return Answer(code, {"after": after, "before": before})


def radius_above_one(radius: float) -> Answer:
    """Is the spectral radius of W_hh above 1 (some direction grows through time) or below (all shrink)?"""
    return Answer("above" if radius > 1.0 else "below", {"radius": radius})


def diverges(diverged: bool, peak: float) -> Answer:
    """Did the run diverge? peak: the largest gradient norm it met."""
    return Answer("yes" if diverged else "no", {"peak": peak})


# The registry: catalogue key -> answer function. The page calls the function with what it computed and hands the
# Answer to rnnviz.ui.predict; tests/test_predictions.py checks every key has a catalogue entry and two inputs
# with different answers.
ANSWERS: dict[str, Callable[..., Answer]] = {
    "predict.gradients.largest": largest_gradient,
    "predict.gradients.first_step": first_step_gradient,
    "predict.forecasting.drift": forecast_drift,
    "predict.hidden_states.saturated": more_saturated,
    "predict.gates.saturated": more_saturated,
    "predict.recurrent_matrix.radius": radius_above_one,
    "predict.clipping.diverges": diverges,
}


# ---- hidden states and gates (the inspection lessons) --------------------------------------------------------


def follows_closely(r: float, unit: int) -> Answer:
    """Does the unit that best follows a pattern follow it closely (|r| > 0.5)? r: its Pearson correlation."""
    return Answer("yes" if abs(r) > 0.5 else "no", {"r": r, "unit": unit})


def keep_gate_busier(keep: float, others: float, gate: str) -> Answer:
    """Which is saturated more often: the keep gate (GRU z, LSTM f) or the other gates on average? fractions."""
    return Answer("keep" if keep >= others else "others", {"keep": keep, "others": others, "gate": gate})


ANSWERS.update({
    "predict.hidden_states.follows": follows_closely,
    "predict.gates.keep_saturated": keep_gate_busier,
})
