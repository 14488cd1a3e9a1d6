"""Analyses of what a recurrent cell did on one input: unit search, PCA, saturation, memory and reset units.

Everything here takes numbers in (traces, (T, H) arrays, texts) and returns numbers or tables out,
so it runs the same in a notebook as behind the lesson pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnviz.cells import SPECS, cell_name, layer_weights, project_inputs, textbook_gru_step
from rnnviz.config import CELL_LABELS
from rnnviz.data import Corpus, Vocab, clean_text
from rnnviz.errors import DataError
from rnnviz.models import param_count_formula
from rnnviz.tracing import Trace

MAX_CHARS = 400  # longer inputs make unreadable heatmaps and slow replays for a whole class
VOWELS = frozenset("aeiou")


# ---- inputs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedText:
    """A text ready for a character LM: its cleaned tokens, their indices and a note if it was changed."""

    tokens: tuple[str, ...]  # what the charts show at each step: a character, a word or a formatted value
    ids: torch.Tensor  # (1, T): int64 token indices, or float32 scaled values for a forecaster
    note: str | None = None
    kind: str = "text"  # "text" (characters), "review" (words) or "series" (values); see rnnviz.inputs
    values: tuple[float, ...] | None = None  # a series window's original values

    @property
    def text(self) -> str:
        """Returns the cleaned text the model read (words joined by spaces for a review)."""
        return " ".join(self.tokens) if self.kind == "review" else "".join(self.tokens)


def prepare_text(raw: str, vocab: Vocab, max_chars: int = MAX_CHARS, clean: bool = True) -> PreparedText:
    """Returns the text cleaned as the corpus was (lower-case letters and spaces), capped at max_chars.

    clean=False keeps an already clean corpus passage exactly, including a leading or trailing space.
    """
    text = clean_text(raw) if clean else raw
    if len(text) < 2:
        raise DataError("Type at least two letters: the model reads only letters and spaces "
                        "(punctuation and digits are removed, as in the training text).")
    notes = []
    if text != raw:
        notes.append("cleaned as the training text was: lower case, every run of non-letters became one space")
    if len(text) > max_chars:
        text = text[:max_chars]
        notes.append(f"cut to the first {max_chars} characters to keep the charts readable")
    tokens = tuple(text)
    ids = torch.tensor([vocab.encode(tokens)], dtype=torch.long)
    return PreparedText(tokens, ids, "; ".join(notes).capitalize() + "." if notes else None)


def corpus_passage(corpus: Corpus, start: int, length: int) -> str:
    """Returns `length` characters of the corpus from `start` (clamped inside the corpus)."""
    start = max(0, min(start, len(corpus.tokens) - length))
    return "".join(corpus.tokens[start:start + length])


# ---- patterns a unit may track (they must exist in the cleaned text: letters and spaces only) ---------

def _word_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for t, ch in enumerate(text + " "):
        if ch != " " and start is None:
            start = t
        elif ch == " " and start is not None:
            spans.append((start, t))
            start = None
    return spans


def _per_word(text: str, value: Callable[[int, int, int], float]) -> np.ndarray:
    out = np.zeros(len(text))
    for a, b in _word_spans(text):
        for t in range(a, b):
            out[t] = value(t, a, b)
    return out


PATTERNS: dict[str, tuple[str, Callable[[str], np.ndarray]]] = {
    "vowel": ("1 on a, e, i, o, u", lambda s: np.array([ch in VOWELS for ch in s], float)),
    "space": ("1 on a space (a word just ended)", lambda s: np.array([ch == " " for ch in s], float)),
    "after a space": ("1 on the first letter of a word",
                      lambda s: _per_word(s, lambda t, a, b: float(t == a))),
    "end of word": ("1 on the last letter of a word", lambda s: _per_word(s, lambda t, a, b: float(t == b - 1))),
    "position in word": ("0, 1, 2, ... counting letters since the word began",
                         lambda s: _per_word(s, lambda t, a, b: float(t - a))),
    "letters left in word": ("how many letters of the current word are still to come",
                             lambda s: _per_word(s, lambda t, a, b: float(b - 1 - t))),
    "long word (7+ letters)": ("1 inside words of 7 or more letters",
                               lambda s: _per_word(s, lambda t, a, b: float(b - a >= 7))),
    "letter e": ("1 on the letter e", lambda s: np.array([ch == "e" for ch in s], float)),
    "inside 'the'": ("1 on the letters of the word the",
                     lambda s: _per_word(s, lambda t, a, b: float(s[a:b] == "the"))),
}


def pattern_signal(text: str, name: str) -> np.ndarray:
    """Returns the named pattern as one number per character of a cleaned text."""
    if name not in PATTERNS:
        raise DataError(f"Unknown pattern '{name}'; choose one of: {', '.join(PATTERNS)}.")
    return PATTERNS[name][1](text)


def rank_units(states: np.ndarray, signal: np.ndarray) -> pd.DataFrame:
    """Returns units sorted by |Pearson r| between their activation (T, H) and a signal (T,)."""
    states, signal = np.asarray(states, float), np.asarray(signal, float)
    if states.shape[0] != signal.shape[0]:
        raise ValueError(f"states have {states.shape[0]} steps but the signal has {signal.shape[0]}")
    s = signal - signal.mean()
    if not np.any(s):
        raise DataError("This pattern never changes in this input (it is always or never there), so no unit "
                        "can be said to track it: use a longer input or another pattern.")
    x = states - states.mean(axis=0)  # (T, H)
    denom = np.sqrt((x ** 2).sum(axis=0) * (s ** 2).sum())
    r = np.divide(x.T @ s, denom, out=np.zeros(states.shape[1]), where=denom > 1e-12)  # constant units score 0
    frame = pd.DataFrame({"unit": np.arange(states.shape[1]), "r": r, "abs_r": np.abs(r)})
    return frame.sort_values(["abs_r", "unit"], ascending=[False, True], ignore_index=True)


# ---- geometry and saturation ------------------------------------------------------------------------

@dataclass(frozen=True)
class Projection:
    """States projected on their first two principal components."""

    coords: np.ndarray  # (T, 2)
    explained: np.ndarray  # (2,) fraction of the variance each component explains


def pca_2d(states: np.ndarray) -> Projection:
    """Returns the (T, H) states projected on their top two principal directions (SVD of the centred states)."""
    x = np.asarray(states, float)
    if x.shape[0] < 2:
        raise DataError("A trajectory needs at least two timesteps.")
    x = x - x.mean(axis=0)
    u, sv, vt = np.linalg.svd(x, full_matrices=False)
    k = min(2, len(sv))
    signs = np.sign(vt[:k][np.arange(k), np.abs(vt[:k]).argmax(axis=1)])  # fix SVD's arbitrary sign per axis
    coords = np.zeros((x.shape[0], 2))
    coords[:, :k] = u[:, :k] * sv[:k] * signs
    total = (sv ** 2).sum()
    explained = np.zeros(2)
    if total > 0:
        explained[:k] = sv[:k] ** 2 / total
    return Projection(coords, explained)


def saturation(values: np.ndarray, low: float = 0.1, high: float = 0.9) -> dict[str, float]:
    """Returns the fractions of |values| below low ('near 0'), above high ('near 1') and in between."""
    a = np.abs(np.asarray(values, float)).ravel()
    near0, near1 = float((a < low).mean()), float((a > high).mean())
    return {"near 0": near0, "between": 1.0 - near0 - near1, "near 1": near1}


def gate_saturation(values: np.ndarray, eps: float = 0.05) -> float:
    """Returns the fraction of sigmoid gate values within eps of 0 or of 1 (the gate acts as a switch)."""
    v = np.asarray(values, float).ravel()
    return float(((v < eps) | (v > 1 - eps)).mean())


# ---- memory and resets -------------------------------------------------------------------------------

def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for m in mask:
        run = run + 1 if m else 0
        best = max(best, run)
    return best


def memory_units(keep: np.ndarray, threshold: float = 0.9) -> pd.DataFrame:
    """Returns per unit of a keep gate (T, H): mean, fraction of steps above threshold, longest such stretch."""
    keep = np.asarray(keep, float)
    above = keep > threshold  # (T, H)
    frame = pd.DataFrame({
        "unit": np.arange(keep.shape[1]), "mean_keep": keep.mean(axis=0),
        "frac_kept": above.mean(axis=0), "longest_run": [_longest_run(above[:, u]) for u in range(keep.shape[1])],
    })
    return frame.sort_values(["longest_run", "mean_keep"], ascending=False, ignore_index=True)


def reset_units(keep: np.ndarray, mask: np.ndarray) -> pd.DataFrame:
    """Returns units sorted by how much their keep gate drops at the masked steps (e.g. spaces) versus elsewhere."""
    keep, mask = np.asarray(keep, float), np.asarray(mask, bool)
    if mask.all() or not mask.any():
        raise DataError("The text needs both spaces and letters to compare them.")
    at, rest = keep[mask].mean(axis=0), keep[~mask].mean(axis=0)
    frame = pd.DataFrame({"unit": np.arange(keep.shape[1]), "at_mask": at, "elsewhere": rest, "drop": rest - at})
    return frame.sort_values("drop", ascending=False, ignore_index=True)


def keep_gate(trace: Trace, layer: int = 0) -> np.ndarray:
    """Returns the (T, H) gate that keeps the old state (GRU update z, LSTM forget f) of the first sequence."""
    if not SPECS[trace.cell].gated:
        raise DataError("Only GRU and LSTM cells have gates; a plain RNN overwrites its state every step.")
    return states_of(trace, SPECS[trace.cell].keep, layer)


def states_of(trace: Trace, name: str, layer: int = 0) -> np.ndarray:
    """Returns one recorded quantity of the first sequence as a (T, H) numpy array."""
    return trace.layers[layer].get(name)[0].detach().numpy()


def gate_summary(trace: Trace, layer: int = 0, eps: float = 0.05) -> pd.DataFrame:
    """Returns per recorded quantity: mean, and the saturated fraction (sigmoid gates) or |v| > 0.9 fraction."""
    rows = []
    for name in SPECS[trace.cell].states:
        v = states_of(trace, name, layer)
        sigmoid = name in {"r", "z", "i", "f", "o"}
        rows.append({"quantity": name, "mean": float(v.mean()), "sigmoid": sigmoid,
                     "saturated": gate_saturation(v, eps) if sigmoid else saturation(v)["near 1"]})
    return pd.DataFrame(rows)


# ---- the formula that ran: shapes and parameter counts -------------------------------------------------


def weight_shapes(rnn: nn.RNNBase) -> pd.DataFrame:
    """Returns the per-gate blocks of every layer's fused weights, e.g. W_xz (H, D), with torch's names."""
    cell, rows = cell_name(rnn), []
    for k in range(rnn.num_layers):
        w = layer_weights(rnn, k)
        for j, gate in enumerate(SPECS[cell].blocks):
            H = rnn.hidden_size
            rows.append({"layer": k + 1, "gate": gate, "W_x": f"W_x{gate}: {H} x {w.W_ih.shape[1]}",
                         "W_h": f"W_h{gate}: {H} x {H}",
                         "b": f"b_{gate}: {H} (+{H})" if w.b_ih is not None else "none",
                         "torch rows": f"weight_ih_l{k}[{j * H}:{(j + 1) * H}]"})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ParamCheck:
    """The recurrent core's parameter count by formula and by torch, with the arithmetic written out."""

    formula: int
    torch_count: int
    expression: str

    @property
    def matches(self) -> bool:
        """Returns whether the formula agrees with torch's count."""
        return self.formula == self.torch_count


def param_check(rnn: nn.RNNBase) -> ParamCheck:
    """Returns gates x H x (H + D) (+ 2 x gates x H biases), per layer, checked against rnn's own tensors."""
    cell, H, D = cell_name(rnn), rnn.hidden_size, rnn.input_size
    gates = len(SPECS[cell].blocks)
    formula = param_count_formula(cell, D, H, rnn.num_layers, rnn.bias, rnn.bidirectional)
    torch_count = sum(p.numel() for p in rnn.parameters())  # counts frozen (shared) models too
    first = f"{gates} x {H} x ({H} + {D})" + (f" + 2 x {gates} x {H}" if rnn.bias else "")
    deeper = f" + {rnn.num_layers - 1} x [{gates} x {H} x ({H} + {H})" + (f" + 2 x {gates} x {H}]" if rnn.bias else "]")
    expression = first + (deeper if rnn.num_layers > 1 else "")
    return ParamCheck(formula, torch_count, expression)


def textbook_gru_gap(rnn: nn.GRU, inputs: torch.Tensor) -> np.ndarray:
    """Returns max over units of |h_torch - h_textbook| per step (T,) for the top layer, same weights, same input."""
    if cell_name(rnn) != "gru":
        raise DataError("The textbook/torch difference exists only for the GRU.")
    with torch.no_grad():
        torch_out, _ = rnn(inputs)  # (B, T, H)
        layer_input = inputs
        for k in range(rnn.num_layers):
            w = layer_weights(rnn, k)
            xp = project_inputs(layer_input, w)  # (B, T, 3H)
            h, hs = inputs.new_zeros(inputs.shape[0], rnn.hidden_size), []
            for t in range(inputs.shape[1]):
                h = textbook_gru_step(xp[:, t], h, w).h
                hs.append(h)
            layer_input = torch.stack(hs, dim=1)  # (B, T, H)
    return (torch_out - layer_input)[0].abs().max(dim=-1).values.numpy()


def compare_cells(traces: dict[str, Trace], layer: int = 0) -> pd.DataFrame:
    """Returns one row per cell on the same input: |h| saturation, longest memory stretch, saturated gates."""
    rows = []
    for cell, trace in traces.items():
        sat = saturation(states_of(trace, "h", layer))
        row = {"cell": CELL_LABELS.get(cell, cell), "|h| > 0.9": sat["near 1"], "|h| < 0.1": sat["near 0"],
               "longest keep stretch (steps)": None, "saturated gates": None}
        if SPECS[cell].gated:
            row["longest keep stretch (steps)"] = int(memory_units(keep_gate(trace, layer))["longest_run"].max())
            gates = gate_summary(trace, layer)
            row["saturated gates"] = float(gates.loc[gates["sigmoid"], "saturated"].mean())
        rows.append(row)
    return pd.DataFrame(rows)
