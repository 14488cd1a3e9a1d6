"""Analyses of what a recurrent cell did on one input: unit search, PCA, saturation, memory and reset units.

The inputs themselves are prepared in rnnviz.inputs; the formula check (shapes, parameter counts, the textbook
GRU) is in rnnviz.paramcheck.

Everything here takes numbers in (traces, (T, H) arrays, texts) and returns numbers or tables out,
so it runs the same in a notebook as behind the lesson pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.cells import SPECS
from rnnviz.config import CELL_LABELS
from rnnviz.errors import DataError
from rnnviz.tracing import Trace


def rank_units(states: np.ndarray, signal: np.ndarray) -> pd.DataFrame:
    """Returns units sorted by |Pearson r| between their activation (T, H) and a signal (T,)."""
    states, signal = np.asarray(states, float), np.asarray(signal, float)
    if states.shape[0] != signal.shape[0]:
        raise ValueError(f"states have {states.shape[0]} steps but the signal has {signal.shape[0]}")
    s = signal - signal.mean()
    if not np.any(s):
        raise DataError("hidden_states.errors.constant_pattern")
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
        raise DataError("hidden_states.errors.short_trajectory")
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
        raise DataError("gates.errors.no_boundaries")
    at, rest = keep[mask].mean(axis=0), keep[~mask].mean(axis=0)
    frame = pd.DataFrame({"unit": np.arange(keep.shape[1]), "at_mask": at, "elsewhere": rest, "drop": rest - at})
    return frame.sort_values("drop", ascending=False, ignore_index=True)


def keep_gate(trace: Trace, layer: int = 0) -> np.ndarray:
    """Returns the (T, H) gate that keeps the old state (GRU update z, LSTM forget f) of the first sequence."""
    if not SPECS[trace.cell].gated:
        raise DataError("gates.errors.no_gates")
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
