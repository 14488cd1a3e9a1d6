"""Univariate series: the d2l sine + noise, the bundled classics, uploaded CSVs, scaling, windows."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.config import SeriesConfig
from rnnviz.data.csv_table import (  # noqa: F401  (re-exported: uploads are read through this module)
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    NUMBER_STYLES,
    SHORTEN,
    numeric_columns,
    numeric_values,
    order_by_time,
    parse_numbers,
    read_csv_table,
    shorten,
)
from rnnviz.data.paths import DATA
from rnnviz.errors import DataError

MIN_ROWS = 20

# name -> (file, value column, label for the value axis)
BUNDLED = {
    "airline": ("airline-passengers.csv", "Passengers", "passengers (thousands)"),
    "temperatures": ("daily-min-temperatures.csv", "Temp", "daily minimum (°C)"),
    "sunspots": ("monthly-sunspots.csv", "Sunspots", "sunspot number"),
}
TITLES = {
    "sine": "sin(0.01 t) + noise (d2l)",
    "airline": "Airline passengers, 1949-1960",
    "temperatures": "Melbourne daily minimum temperature, 1981-1990",
    "sunspots": "Zurich monthly sunspots, 1749-1983",
    "upload": "Uploaded series",
}


@dataclass(frozen=True)
class Series:
    """A named univariate series: values as float32 and a label per point."""

    name: str
    values: np.ndarray  # (T,)
    labels: tuple[str, ...]  # (T,) time labels shown on hover
    unit: str
    notes: tuple[str, ...] = ()  # what was done to an uploaded file to read it (sorted, shortened, number style)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Scaler:
    """Standardises with the training part's mean and std (the test part never leaks in)."""

    mean: float
    std: float

    @staticmethod
    def fit(x: np.ndarray) -> Scaler:
        """Returns a scaler fitted on x."""
        std = float(np.std(x))
        return Scaler(float(np.mean(x)), std if std > 1e-12 else 1.0)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Returns (x - mean) / std."""
        return ((x - self.mean) / self.std).astype(np.float32)

    def inverse(self, x: np.ndarray) -> np.ndarray:
        """Returns values back in the series' own units."""
        return x * self.std + self.mean


def sine_series(T: int = 1000, noise: float = 0.2, seed: int = 0) -> Series:
    """Returns d2l's x_t = sin(0.01 t) + N(0, noise^2), t = 1..T, with its own seeded generator."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(1, T + 1, dtype=torch.float32)
    x = torch.sin(0.01 * t) + torch.randn(T, generator=g) * noise
    return Series("sine", x.numpy(), tuple(str(int(v)) for v in t), "x")


def parse_series_csv(
    data: bytes | str, value_col: str | None = None, date_col: str | None = None, name: str = "upload"
) -> Series:
    """Returns the series in one numeric column of a CSV (the last one if none is named); raises DataError."""
    frame = read_csv_table(data)
    if value_col is None:
        numeric = numeric_columns(frame)
        if not numeric:
            raise DataError("errors.csv.no_numeric", columns=", ".join(map(str, frame.columns)))
        value_col = numeric[-1]
    return series_from_table(frame, value_col, date_col, name)


def load_series(cfg: SeriesConfig) -> Series:
    """Returns the series a config names: the synthetic sine or one of the bundled CSVs."""
    if cfg.name == "sine":
        return sine_series(cfg.T, cfg.noise, cfg.data_seed)
    if cfg.name not in BUNDLED:
        raise DataError("errors.data.unknown_series", name=cfg.name, names=", ".join(BUNDLED))
    file, column, unit = BUNDLED[cfg.name]
    raw = (DATA / "timeseries" / file).read_bytes()
    frame = pd.read_csv(io.BytesIO(raw))  # CRLF and the missing final newline are handled by pandas
    return Series(cfg.name, frame[column].to_numpy(np.float32), tuple(frame.iloc[:, 0].astype(str)), unit)


def split_point(n: int, cfg: SeriesConfig) -> int:
    """Returns how many leading points are used for training."""
    n_train = cfg.n_train if (cfg.n_train is not None and cfg.name == "sine") else int(round(n * cfg.train_frac))
    return int(min(max(n_train, cfg.tau + 2), n - 2))


def windows(x: np.ndarray, tau: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns d2l's (features, labels): row t holds x[t:t+tau] and its label x[t+tau]."""
    x_t = torch.as_tensor(x, dtype=torch.float32)
    n = len(x_t) - tau
    features = torch.stack([x_t[i : i + n] for i in range(tau)], dim=1)  # (n, tau)
    return features, x_t[tau:].unsqueeze(1)  # (n, tau), (n, 1)


def series_from_table(frame: pd.DataFrame, value_col: str, date_col: str | None = None,
                      name: str = "upload", how: str = "last") -> Series:
    """Returns the series in one column of a table read by read_csv_table, in time order of date_col and at most
    MAX_ROWS long (shortened as `how` says); raises DataError for bad values or repeated dates."""
    if value_col not in frame.columns:
        raise DataError("errors.csv.no_column", column=str(value_col), columns=", ".join(map(str, frame.columns)))
    if not numeric_columns(frame):
        raise DataError("errors.csv.no_numeric_units", columns=", ".join(map(str, frame.columns)))
    sep = frame.attrs.get("sep", ",")
    column = frame[value_col].where(frame[value_col].str.strip() != "") if frame[value_col].dtype == object \
        else frame[value_col]
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing) and not parse_numbers(column, sep)[0].isna().drop(column.index[missing]).any():
        lines = ", ".join(str(i + 2) for i in column.index[missing[:5]]) + (", ..." if len(missing) > 5 else "")
        raise DataError("errors.csv.missing_lines", column=str(value_col), count=len(missing), lines=lines)
    parsed, style = numeric_values(column, value_col, sep)  # every row, so file lines name the bad ones
    notes: list[str] = []
    if date_col in frame.columns:
        frame, notes = order_by_time(frame, date_col)
    frame, cut = shorten(frame, how)
    values = np.array(pd.Series(parsed, index=column.index).loc[frame.index], dtype=np.float32)  # writable
    if len(values) < MIN_ROWS:
        raise DataError("errors.csv.one_row" if len(values) == 1 else "errors.csv.too_few_rows", rows=len(values),
                        needed=MIN_ROWS)
    labels = tuple(str(v) for v in frame[date_col]) if date_col in frame.columns else \
        tuple(str(i) for i in range(len(values)))
    return Series(name, values, labels, str(value_col), tuple(notes + cut + ([style] if style else [])))
