"""One-step-ahead and recursive k-step-ahead forecasts, and their errors per horizon."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from rnnviz.catalog import t
from rnnviz.config import ModelConfig, SeriesConfig, TrainConfig
from rnnviz.data import Scaler, Series
from rnnviz.errors import DataError
from rnnviz.models import ARMLP, Forecaster, init_weights
from rnnviz.tasks import ARTask, ForecastTask, scaled_series
from rnnviz.tracing import trace_model
from rnnviz.train import StepMetrics, TrainRun


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


# --- training and evaluating forecasters for the forecasting lesson -------------------------------

MLP = "mlp"  # d2l's autoregressive MLP; every other kind is a recurrent cell (CELLS)


@dataclass(frozen=True)
class ForecastSpec:
    """One forecaster to train on one series: a hashable cache key."""

    kind: str = MLP  # "mlp" or one of CELLS
    series: SeriesConfig = SeriesConfig(n_train=None)
    hidden_size: int = 32
    steps: int = 300  # recurrent models; the MLP trains `epochs` passes like d2l
    epochs: int = 5
    lr: float = 0.01  # Adam, as d2l
    seed: int = 0
    log: bool = False  # model log(x): a growing series' seasonal swings become additive


@dataclass(frozen=True)
class Fitted:
    """A trained, frozen forecaster with the scaling and split it was trained with."""

    spec: ForecastSpec
    model: ARMLP | Forecaster
    scaler: Scaler
    n_train: int
    losses: tuple[float, ...]  # training loss per step, in scaled units
    stopped_early: str | None = None  # the training loop's message if it diverged
    steps: int = 0  # the step budget: fewer losses than this means the time limit stopped training

    def to_model(self, values: np.ndarray) -> torch.Tensor:
        """Returns values in the units the model reads (log if asked, then standardised)."""
        return torch.as_tensor(self.scaler.transform(np.log(values) if self.spec.log else values))

    def to_units(self, pred: np.ndarray) -> np.ndarray:
        """Returns model outputs back in the series' own units."""
        y = self.scaler.inverse(pred)
        return np.exp(y) if self.spec.log else y

    @property
    def tau(self) -> int:
        """Returns how many true values must precede a forecast start (tau for the MLP, 1 for a recurrent model)."""
        return self.model.tau if isinstance(self.model, ARMLP) else 1


@dataclass(frozen=True)
class Evaluation:
    """A model's forecasts on one series, in the series' own units."""

    one_step: np.ndarray  # (T,) x_t predicted from the true x_<t (NaN before the model can start)
    starts: np.ndarray  # (N,) forecast start indices (the test region)
    P: np.ndarray  # (N, max_k) P[j, k-1] predicts x[starts[j] + k - 1] after k-1 fed-back steps
    errors: pd.DataFrame  # k, n, MSE, MAE, MAPE per horizon


def mlp_steps(spec: ForecastSpec, n_train: int) -> int:
    """Returns the MLP's optimizer steps: `epochs` passes over the training windows in batches of 16 (d2l)."""
    return spec.epochs * -(-(n_train - spec.series.tau) // 16)


def fit_forecaster(spec: ForecastSpec, series: Series, seconds: float | None = None,
                   callback: Callable[[StepMetrics], None] | None = None) -> Fitted:
    """Returns the spec's model trained on the series' training part (frozen, read-only)."""
    if spec.log:
        if series.values.min() <= 0:
            raise DataError("forecasting.errors.log_needs_positive")
        series = replace(series, values=np.log(series.values))
    values, n_train, scaler = scaled_series(series, spec.series)
    if spec.kind == MLP:
        task = ARTask(values, n_train, spec.series.tau)
        train_cfg, steps = TrainConfig(optimizer="adam", lr=spec.lr, clip=None, seed=spec.seed), mlp_steps(spec, n_train)
        model = init_weights(task.make_model(), spec.seed)
    else:
        task = ForecastTask(values, n_train, min(spec.series.window, max(n_train - 2, 2)))
        train_cfg, steps = TrainConfig(optimizer="adam", lr=spec.lr, clip=1.0, seed=spec.seed), spec.steps
        model = init_weights(task.make_model(ModelConfig(cell=spec.kind, hidden_size=spec.hidden_size)), spec.seed)
    run = TrainRun(model, task, train_cfg)
    run.run(steps, seconds=seconds, callback=callback)
    model.eval().requires_grad_(False)  # shared read-only between sessions from here on
    return Fitted(spec, model, scaler, n_train, tuple(m.loss for m in run.history), run.diverged, steps)


def max_horizon(T: int, n_train: int, cap: int = 64) -> int:
    """Returns the longest horizon that still leaves at least half of the test region as forecast starts."""
    return int(max(1, min(cap, (T - n_train) // 2)))


def evaluate(fitted: Fitted, values: np.ndarray, starts: np.ndarray, max_k: int) -> Evaluation:
    """Returns one-step and recursive k-step forecasts from every start, with errors per horizon."""
    scaled = fitted.to_model(values)
    starts = np.asarray(starts)[np.asarray(starts) >= fitted.tau]
    one = fitted.to_units(one_step(fitted.model, scaled))
    P = fitted.to_units(k_step(fitted.model, scaled, starts, max_k))
    return Evaluation(one, starts, P, horizon_errors(P, values, starts))


def rollout(fitted: Fitted, values: np.ndarray, start: int, k: int) -> np.ndarray:
    """Returns (k,) forecasts of x[start:start+k] from the true x[:start], each fed back as the next input."""
    return fitted.to_units(k_step(fitted.model, fitted.to_model(values), [start], k)[0])


def k_ahead_curve(ev: Evaluation, k: int, T: int) -> np.ndarray:
    """Returns (T,) the k-step-ahead forecast of each x_t (made k-1 fed-back steps earlier); NaN elsewhere."""
    curve = np.full(T, np.nan, dtype=np.float64)
    targets = ev.starts + k - 1
    ok = targets < T
    curve[targets[ok]] = ev.P[ok, k - 1]
    return curve


def hidden_states(fitted: Fitted, values: np.ndarray) -> np.ndarray:
    """Returns (T, H) the last layer's hidden state h_t of a recurrent forecaster reading the whole series."""
    if isinstance(fitted.model, ARMLP):
        raise ValueError("an autoregressive MLP has no hidden state")
    return trace_model(fitted.model, fitted.to_model(values)[None]).layers[-1].h[0].numpy()


def memory_probe(fitted: Fitted, values: np.ndarray, tau: int, ks: list[int] | tuple[int, ...]) -> pd.DataFrame:
    """Returns test R^2 of linear readouts of x_{t+k} from the last tau values and from the hidden state at t.

    Both readouts are fitted on the training part (ridge) and scored on the test part, so a high
    R^2 at long k means the source carries what the future depends on.
    """
    if isinstance(fitted.model, ARMLP):
        raise ValueError("the memory probe needs a recurrent model")
    x = fitted.to_model(values)
    states = trace_model(fitted.model, x[None])
    H = torch.cat([layer.h[0] for layer in states.layers]
                  + ([layer.c[0] for layer in states.layers] if states.cell == "lstm" else []), dim=1).numpy()  # (T, L*H)
    x = x.numpy()
    rows = []
    for k in ks:
        t = np.arange(tau - 1, len(x) - k)  # both sources have read x_0..x_t
        window = np.stack([x[t - tau + 1 + i] for i in range(tau)], axis=1)  # (N, tau)
        train, test = t + k < fitted.n_train, t >= fitted.n_train
        if train.sum() < 2 or test.sum() < 2:
            continue
        for source, feats in (("window", window), ("hidden", H[t])):
            rows.append({"k": k, "source": source, "R2": _ridge_r2(feats[train], x[t + k][train],
                                                                    feats[test], x[t + k][test])})
    return pd.DataFrame(rows, columns=["k", "source", "R2"])


def _ridge_r2(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, lam: float = 1e-2) -> float:
    mu, sd = X.mean(0), X.std(0) + 1e-8  # standardise with the training rows only
    A = np.c_[(X - mu) / sd, np.ones(len(X))]
    B = np.c_[(X_test - mu) / sd, np.ones(len(X_test))]
    w = np.linalg.solve(A.T @ A + lam * len(X) * np.eye(A.shape[1]), A.T @ y)
    resid = y_test - B @ w
    return float(1.0 - (resid**2).sum() / max(((y_test - y_test.mean()) ** 2).sum(), 1e-12))


def horizon_table(errors: dict[str, pd.DataFrame], metric: str, ks: list[int]) -> pd.DataFrame:
    """Returns one row per model: the metric at each horizon in ks and how many times the 1-step error the last is."""
    rows = []
    for label, table in errors.items():
        by_k = table.set_index("k")[metric]
        row = {t("forecasting.status.model"): label, **{f"k={k}": round(float(by_k.get(k, np.nan)), 4) for k in ks}}
        row[f"k={ks[-1]} ÷ k=1"] = round(float(by_k.get(ks[-1], np.nan) / by_k.get(1, np.nan)), 1)
        rows.append(row)
    return pd.DataFrame(rows)
