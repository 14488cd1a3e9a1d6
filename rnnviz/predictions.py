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
from rnnviz.textstats import WordReading, biggest_swing


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
    code = _third(t, len(norms))
    # 'first': how many times the last step's gradient the largest is; else: the first step's share of the largest
    ratio = float(norms[t] / max(norms[-1], 1e-30)) if code == "first" else float(norms[0] / max(norms[t], 1e-30))
    return Answer(code, {"step": t, "steps": len(norms), "ratio": ratio})


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


# --- gradients, clipping and forecasting lessons ------------------------------------------------------


def truncation_first_step(truncated: float, full: float) -> Answer:
    """Does truncating backprop change the gradient the first step gets? truncated, full: ||dL/dh_0|| of one model
    with and without truncation (NaN or 0: the gradient never reaches the first step)."""
    got = 0.0 if not np.isfinite(truncated) else float(truncated)
    if got <= 0.0:
        code = "none"
    elif abs(got - full) <= 1e-6 * max(abs(full), 1e-30):
        code = "same"
    else:
        code = "smaller" if got < full else "larger"
    return Answer(code, {"truncated": got, "full": float(full), "share": got / max(float(full), 1e-30)})


def one_step_or_k_step(one_step: float, k_step: float, k: int) -> Answer:
    """Which error is larger at horizon k: the one-step forecast's or the k-step (fed-back) forecast's?"""
    ratio = float(k_step / max(one_step, 1e-30))
    code = "k_step" if ratio > 1.1 else "one_step" if ratio < 1 / 1.1 else "same"
    return Answer(code, {"k": int(k), "one": float(one_step), "kerr": float(k_step), "ratio": ratio})


def parameter_count(params: int, head: int) -> Answer:
    """How many numbers does this language model learn: under 10,000, 10,000 to 100,000, or more?

    params: every parameter of the model; head: those of its output layer (H x V + V).
    """
    code = "under_10k" if params < 10_000 else "10k_100k" if params <= 100_000 else "over_100k"
    return Answer(code, {"params": params, "head": head, "recurrent": params - head, "share": head / max(params, 1)})


def perplexity_nearer(perplexity: float, vocab: int) -> Answer:
    """After training, is the perplexity nearer 1 (sure of each next token) or V (guessing)? Halfway on a log scale
    is the square root of V: e.g. 28 characters -> 5.3."""
    middle = float(np.sqrt(vocab))
    return Answer("one" if perplexity < middle else "vocab", {"ppl": perplexity, "vocab": vocab, "middle": middle})


def tokens_for_half(counts: np.ndarray) -> Answer:
    """How many of the most frequent distinct tokens cover half of the corpus: under 10, 10 to 100, over 100?"""
    counts = np.sort(np.asarray(counts, dtype=float))[::-1]
    total = float(counts.sum())
    k = int(np.searchsorted(np.cumsum(counts), total / 2)) + 1
    code = "under_10" if k < 10 else "10_100" if k <= 100 else "over_100"
    return Answer(code, {"k": k, "distinct": int((counts > 0).sum()), "share": k / max(int((counts > 0).sum()), 1)})


def minibatches_continue(starts: list[list[int]], num_steps: int) -> Answer:
    """Does minibatch 2 continue minibatch 1: does every row start where the same row of minibatch 1 stopped?

    starts: the first position of each row, per minibatch (at least two minibatches).
    """
    first, second = starts[0], starts[1]
    joined = all(b == a + num_steps for a, b in zip(first, second, strict=True))
    return Answer("yes" if joined else "no", {"end": first[0] + num_steps - 1, "next": second[0]})


# ---- sentiment, deep and bidirectional, recurrent matrix --------------------------------------------------------


def negation_lowers(p_plain: float, p_negated: float) -> Answer:
    """Does the negated review read more negative than the plain one? P(positive) after each one's last word."""
    gap = p_negated - p_plain
    code = "lower" if gap < -0.02 else "higher" if gap > 0.02 else "same"
    return Answer(code, {"p_plain": p_plain, "p_negated": p_negated})


def swing_half(reading: WordReading) -> Answer:
    """Is the word that moved P(positive) most from the word before it in the review's first half or its second?"""
    step = biggest_swing(reading)
    if step is None:
        raise ValueError("a one-word review has no swing")
    p, count = reading.p_positive, len(reading.words)
    return Answer("first" if step + 1 <= count / 2 else "second",
                  {"number": step + 1, "words": count, "before": float(p[step - 1]), "after": float(p[step])})


def output_growth(off: int, on: int) -> Answer:
    """What does bidirectional do to the output's last dimension? off, on: its size without and with it."""
    code = "same" if on == off else "doubles" if on == 2 * off else "other"
    return Answer(code, {"off": off, "on": on})


def params_multiple(total: int, single: int) -> Answer:
    """About how many times N is the model's parameter count? N = single: one layer in one direction."""
    ratio = total / max(single, 1)
    code = "one" if ratio < 1.5 else "two" if ratio < 3 else "four" if ratio < 6 else "eight"
    return Answer(code, {"total": total, "single": single, "ratio": ratio})


def radius_change(after: float, before: float) -> Answer:
    """Did training make the spectral radius grow, shrink or stay (within 2 %)? after, before: max |λ|."""
    code = "grew" if after > before * 1.02 else "shrank" if after < before / 1.02 else "same"
    return Answer(code, {"after": after, "before": before})


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
    "predict.clipping.truncation": truncation_first_step,
    "predict.forecasting.horizon": one_step_or_k_step,
    "predict.training_lab.parameters": parameter_count,
    "predict.training_lab.perplexity": perplexity_nearer,
    "predict.text.half": tokens_for_half,
    "predict.text.continues": minibatches_continue,
    "predict.sentiment.swing": swing_half,
    "predict.sentiment.negation": negation_lowers,
    "predict.architectures.bidirectional": output_growth,
    "predict.architectures.params": params_multiple,
    "predict.recurrent_matrix.trained": radius_change,
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
