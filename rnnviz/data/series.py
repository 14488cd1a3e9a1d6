"""Univariate series: the d2l sine + noise, the bundled classics, uploaded CSVs, scaling, windows."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.config import SeriesConfig
from rnnviz.data.paths import DATA
from rnnviz.errors import DataError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
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
            raise DataError(
                "The CSV has no numeric column; pick one of: " + ", ".join(map(str, frame.columns))
                + " and make sure its values are numbers."
            )
        value_col = numeric[-1]
    return series_from_table(frame, value_col, date_col, name)


def _decode(raw: bytes) -> str:
    """Returns the text of a CSV in UTF-8 (with or without BOM), else Latin-1 with a check."""
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
            if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return text
        except UnicodeDecodeError:
            continue
    text = raw.decode("latin-1")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        raise DataError("The file's encoding is not text we can read. Save it as UTF-8 CSV and upload again.")
    return text


def _numeric_values(column: pd.Series, name: str) -> np.ndarray:
    """Returns the column as float32, with a DataError naming bad or missing rows."""
    parsed = pd.to_numeric(column, errors="coerce")
    bad = parsed.isna() & column.notna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise DataError(
            f"Column '{name}' has text where numbers should be (file lines {rows}). Fix or remove those rows."
        )
    if parsed.isna().any():
        missing = int(parsed.isna().sum())
        raise DataError(
            f"Column '{name}' has {missing} missing value(s). Fill them (e.g. with the previous value) or remove them."
        )
    values = parsed.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > 1e15:
        raise DataError(f"Column '{name}' has infinite or absurdly large values. Check the units.")
    return values.astype(np.float32)


def load_series(cfg: SeriesConfig) -> Series:
    """Returns the series a config names: the synthetic sine or one of the bundled CSVs."""
    if cfg.name == "sine":
        return sine_series(cfg.T, cfg.noise, cfg.data_seed)
    if cfg.name not in BUNDLED:
        raise DataError(f"Unknown series '{cfg.name}'; choose one of: sine, {', '.join(BUNDLED)}.")
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


# --- uploads in two steps (read the table, then let the learner pick the columns) -------------------

_SEPARATORS = ",;\t|"


def read_csv_table(data: bytes | str) -> pd.DataFrame:
    """Returns an uploaded CSV as a table of strings; raises DataError saying what is wrong and what to do."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DataError(
            f"The file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB. "
            "Upload a shorter series (a few thousand rows is plenty for these models)."
        )
    if not raw.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and one value per row.")
    if b"\x00" in raw[:4096]:
        raise DataError("This looks like a binary file, not a CSV. Export the data as CSV text first.")
    text = _decode(raw)
    first = text.lstrip().splitlines()[0]
    # Only real separators count: a one-column file has none, so its header stays whole.
    sep = max(_SEPARATORS, key=first.count) if any(s in first for s in _SEPARATORS) else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"The file could not be read as a CSV ({err}). Check the separators.") from err
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("The CSV has a header but no data rows. Add one row per time step under the header.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Returns the columns whose filled cells are mostly numbers (blank cells do not count against them)."""
    out = []
    for col in frame.columns:
        cells = frame[col].dropna()
        cells = cells[cells.str.strip() != ""] if cells.dtype == object else cells
        if len(cells) and pd.to_numeric(cells, errors="coerce").notna().mean() >= 0.5:
            out.append(str(col))
    return out


def series_from_table(frame: pd.DataFrame, value_col: str, date_col: str | None = None,
                      name: str = "upload") -> Series:
    """Returns the series in one column of a table read by read_csv_table; raises DataError for bad values."""
    if value_col not in frame.columns:
        raise DataError(f"There is no column '{value_col}'; the columns are: {', '.join(map(str, frame.columns))}.")
    if not numeric_columns(frame):
        raise DataError(
            "The CSV has no numeric column; pick one of: " + ", ".join(map(str, frame.columns))
            + " and make sure its values are numbers (e.g. 12.5, not '12,5 kg')."
        )
    column = frame[value_col].where(frame[value_col].str.strip() != "") if frame[value_col].dtype == object \
        else frame[value_col]
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing) and not pd.to_numeric(column, errors="coerce").isna().drop(column.index[missing]).any():
        lines = ", ".join(str(i + 2) for i in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DataError(f"Column '{value_col}' has {len(missing)} missing value(s) (file lines {lines}). "
                        "Fill them (e.g. with the previous value) or remove those rows.")
    values = _numeric_values(column, value_col)
    if len(values) < MIN_ROWS:
        rows = "one row" if len(values) == 1 else f"{len(values)} rows"
        raise DataError(f"The series has {rows}; at least {MIN_ROWS} are needed to train and test. "
                        "Upload a longer series.")
    labels = tuple(str(v) for v in frame[date_col]) if date_col in frame.columns else \
        tuple(str(i) for i in range(len(values)))
    return Series(name, values, labels, str(value_col))
