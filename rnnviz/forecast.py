"""One-step-ahead and recursive k-step-ahead forecasts, and their errors per horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from rnnviz.models import ARMLP, Forecaster
from rnnviz.trace import trace_model


def one_step(model: ARMLP | Forecaster, values: torch.Tensor) -> np.ndarray:
    """Returns (T,) predictions of x_t from the true x_0..x_{t-1}; NaN where the model cannot predict yet."""
    preds = np.full(len(values), np.nan, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        if isinstance(model, ARMLP):
            tau = model.tau
            feats = torch.stack([values[i : len(values) - tau + i] for i in range(tau)], dim=1)  # (T-tau, tau)
            preds[tau:] = model(feats).squeeze(1).numpy()
        else:
            out, _ = model(values[None, :-1])  # (1, T-1): step t predicts x_{t+1}
            preds[1:] = out[0].numpy()
    return preds


def k_step(model: ARMLP | Forecaster, values: torch.Tensor, starts: list[int] | np.ndarray, max_k: int) -> np.ndarray:
    """Returns P (len(starts), max_k): P[j, k-1] predicts x[s_j + k - 1] from x[:s_j] and the model's own outputs.

    Horizon 1 is the one-step forecast; from horizon 2 on the model reads its own predictions.
    """
    starts = np.asarray(starts, dtype=np.int64)
    model.eval()
    with torch.no_grad():
        if isinstance(model, ARMLP):
            return _k_step_ar(model, values, starts, max_k)
        return _k_step_recurrent(model, values, starts, max_k)


def _k_step_ar(model: ARMLP, values: torch.Tensor, starts: np.ndarray, max_k: int) -> np.ndarray:
    if starts.min() < model.tau:
        raise ValueError(f"the AR model needs tau={model.tau} true values before each start")
    idx = torch.as_tensor(starts)[:, None] + torch.arange(-model.tau, 0)  # (N, tau)
    window, out = values[idx], []
    for _ in range(max_k):
        pred = model(window)  # (N, 1)
        out.append(pred[:, 0])
        window = torch.cat([window[:, 1:], pred], dim=1)  # feed the prediction back
    return torch.stack(out, dim=1).numpy()


def _k_step_recurrent(model: Forecaster, values: torch.Tensor, starts: np.ndarray, max_k: int) -> np.ndarray:
    if starts.min() < 1:
        raise ValueError("the recurrent model needs at least one true value before each start")
    trace = trace_model(model, values[None, : int(starts.max())])  # every layer's state after every step
    at = torch.as_tensor(starts - 1)
    h = torch.stack([layer.h[0, at] for layer in trace.layers])  # (L, N, H): state after reading x[s-1]
    state = (h, torch.stack([layer.c[0, at] for layer in trace.layers])) if trace.cell == "lstm" else h
    pred = model.head(trace.output[0, at])  # (N,) prediction of x[s]
    out = [pred]
    for _ in range(max_k - 1):
        step_out, state = model(pred[:, None], state)  # read the model's own prediction
        pred = step_out[:, 0]
        out.append(pred)
    return torch.stack(out, dim=1).numpy()


def horizon_errors(P: np.ndarray, values: np.ndarray, starts: np.ndarray, horizons: list[int] | None = None) -> pd.DataFrame:
    """Returns MSE, MAE and MAPE (%) per horizon k over all starts whose target lies inside the series.

    MAPE skips targets within 1e-6 of zero, where a percentage error is undefined.
    """
    starts = np.asarray(starts)
    rows = []
    for k in horizons or range(1, P.shape[1] + 1):
        target_idx = starts + k - 1
        ok = target_idx < len(values)
        err = P[ok, k - 1] - values[target_idx[ok]]
        truth = values[target_idx[ok]]
        nz = np.abs(truth) > 1e-6
        rows.append({
            "k": k, "n": int(ok.sum()),
            "MSE": float(np.mean(err**2)) if ok.any() else np.nan,
            "MAE": float(np.mean(np.abs(err))) if ok.any() else np.nan,
            "MAPE": float(np.mean(np.abs(err[nz] / truth[nz])) * 100) if nz.any() else np.nan,
        })
    return pd.DataFrame(rows)
