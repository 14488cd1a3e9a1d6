"""Univariate series: the d2l sine + noise, the bundled classics, uploaded CSVs, scaling, windows."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.config import SeriesConfig
from rnnviz.data.paths import DATA
from rnnviz.errors import DataError

MAX_UPLOAD_MB = 10  # the uploaders' labels say this; the server's own limit (config.toml) is set a little above it
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1000 * 1000  # so that a larger file still reaches the app and gets its message
# (decimal megabytes, as the uploader shows a file's size)
MIN_ROWS = 20
MAX_ROWS = 5000  # longer than every bundled series; more points make every chart and forecast slow for the class
MAX_COLUMNS = 200
SHORTEN = ("last", "every")  # how a series above MAX_ROWS is shortened: its latest rows, or every k-th row

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
            raise DataError(
                "The CSV has no numeric column; pick one of: " + ", ".join(map(str, frame.columns))
                + f" and make sure its values are numbers, written {NUMBER_STYLES}."
            )
        value_col = numeric[-1]
    return series_from_table(frame, value_col, date_col, name)


_BOMS = (  # longest first: a UTF-32 LE mark starts like a UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)


def _utf16_without_bom(sample: bytes) -> str | None:
    """Returns 'utf-16-le' or 'utf-16-be' when every other byte is zero (plain text saved as UTF-16), else None."""
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return None
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(raw: bytes) -> str:
    """Returns the text of a CSV: UTF-8, UTF-16 or UTF-32 as its byte-order mark says, UTF-16 without one,
    UTF-8, else Latin-1 with a check; raises DataError for a binary file."""
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), None)
    if encoding is None and b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw[:4096])
        if encoding is None:  # NUL bytes in text that is not UTF-16: a spreadsheet, an image, an archive
            raise DataError("This looks like a binary file, not a CSV. Export the data as CSV text first "
                            "(in a spreadsheet: Save as, CSV).")
    if encoding is not None:
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as err:
            raise DataError(f"The file says it is {encoding.upper().removesuffix('-SIG')} text but is damaged "
                            f"at byte {err.start:,}. Save it again as UTF-8 CSV and upload it.") from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("latin-1")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        raise DataError("The file's encoding is not text we can read. Save it as UTF-8 CSV and upload again.")
    return text


# Number styles a spreadsheet writes: 1234.5, 1,234.5 (comma thousands), 1.234,5 or 1234,5 (decimal comma).
_THOUSANDS_COMMA = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
NUMBER_STYLES = "12.5, 1,234.5 (comma between thousands) or 12,5 (decimal comma, in a ';'-separated file)"


def parse_numbers(cells: pd.Series, sep: str = ",") -> tuple[pd.Series, str | None]:
    """Returns the cells as floats (NaN where a cell is not a number) and a note naming the number style used
    when it was not the plain one: comma thousands (1,234.5) or decimal comma (1.234,5; preferred when the
    file's separator is not a comma, as spreadsheets in those locales write it)."""
    text = cells.astype("string").str.strip().replace("", pd.NA)
    plain = pd.to_numeric(text, errors="coerce")
    filled = text.notna()
    if plain[filled].notna().all() or not text[filled].str.contains(",", regex=False).any():
        return plain, None

    def styled(pattern: re.Pattern, keep: str, drop: str) -> pd.Series:
        ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
        cleaned = text.where(ok).str.replace(drop, "", regex=False).str.replace(keep, ".", regex=False)
        return pd.to_numeric(cleaned, errors="coerce").fillna(plain.where(~ok))

    thousands = styled(_THOUSANDS_COMMA, ".", ",")
    decimal = styled(_DECIMAL_COMMA, ",", ".")
    counts = {"thousands": int(thousands.notna().sum()), "decimal": int(decimal.notna().sum())}
    prefer = ["decimal", "thousands"] if sep != "," else ["thousands", "decimal"]
    best = max(prefer, key=lambda k: counts[k])  # max keeps the first of equals: the separator's convention wins
    if counts[best] <= int(plain.notna().sum()):
        return plain, None
    chosen = thousands if best == "thousands" else decimal
    example = text[filled & text.str.contains(",", regex=False).fillna(False) & chosen.notna()].iloc[0]
    read = f"'{example}' was read as {float(chosen[text == example].iloc[0]):g}"
    if best == "thousands":
        return chosen, f"Numbers were read with the comma as a thousands separator: {read}."
    return chosen, f"Numbers were read with a decimal comma (a dot, if any, between thousands): {read}."


def _numeric_values(column: pd.Series, name: str, sep: str = ",") -> tuple[np.ndarray, str | None]:
    """Returns the column as float32 and a note on its number style, with a DataError naming bad or missing rows."""
    parsed, note = parse_numbers(column, sep)
    filled = column.astype("string").str.strip().replace("", pd.NA).notna()
    bad = parsed.isna() & filled
    if bad.any():
        where = bad[bad].index  # the table keeps the file's row numbers through sorting and shortening
        rows = ", ".join(str(i + 2) for i in where[:5])
        example = str(column.loc[where[0]])[:40]
        raise DataError(
            f"Column '{name}' has text where numbers should be (file lines {rows}, e.g. '{example}'). "
            f"Numbers can be written {NUMBER_STYLES}; fix or remove those rows."
        )
    if parsed.isna().any():
        missing = int(parsed.isna().sum())
        raise DataError(
            f"Column '{name}' has {missing} missing value(s). Fill them (e.g. with the previous value) or remove them."
        )
    values = parsed.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > 1e15:
        raise DataError(f"Column '{name}' has infinite or absurdly large values. Check the units.")
    return values.astype(np.float32), note


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
    """Returns an uploaded CSV as a table of strings (its separator in .attrs["sep"]); raises DataError saying what
    is wrong and what to do."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DataError(
            f"The file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_MB} MB. "
            "Upload a shorter series (a few thousand rows is plenty for these models)."
        )
    if not raw.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and one value per row.")
    text = _decode(raw)
    if not text.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and one value per row.")
    first = text.lstrip().splitlines()[0]
    # Only real separators count.
    # A one-column file has none: nothing splits its rows, so '1234,5' stays one cell (a decimal comma).
    sep = max(_SEPARATORS, key=first.count) if any(s in first for s in _SEPARATORS) else "\x1f"
    if first.count(sep) >= MAX_COLUMNS:
        raise DataError(f"The header has more than {MAX_COLUMNS} columns. Upload a CSV with one row per time step "
                        "and a column per quantity (a date column and a value column are enough).")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"The file could not be read as a CSV ({err}). Check the separators.") from err
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("The CSV has a header but no data rows. Add one row per time step under the header.")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["sep"] = sep
    return frame


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Returns the columns whose filled cells are mostly numbers, in any style parse_numbers reads (blank cells do
    not count against them)."""
    out = []
    sep = frame.attrs.get("sep", ",")
    for col in frame.columns:
        cells = frame[col].astype("string").str.strip().replace("", pd.NA).dropna()
        if len(cells) and parse_numbers(cells.head(2000), sep)[0].notna().mean() >= 0.5:
            out.append(str(col))
    return out


def _time_keys(cells: pd.Series) -> pd.Series | None:
    """Returns a date column as sortable keys: numbers (a time index) or dates; None when it is neither."""
    text = cells.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return numbers
    for dayfirst in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it falls back to parsing cell by cell
            dates = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)
        if dates.notna().all():
            return dates
    return None


def order_by_time(frame: pd.DataFrame, date_col: str) -> tuple[pd.DataFrame, list[str]]:
    """Returns the table in time order of its date column, with a note when rows were moved; raises DataError for
    repeated dates (a series has one value per time step). A column of neither dates nor numbers is left as it is."""
    keys = _time_keys(frame[date_col])
    if keys is None:
        return frame, [f"Column '{date_col}' is not dates or numbers: it only labels the points, in file order."]
    repeated = keys.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = keys[repeated].iloc[0]
        lines = ", ".join(str(i + 2) for i in keys.index[(keys == first).to_numpy()][:5])
        n = int(keys[repeated].nunique())
        raise DataError(
            f"Column '{date_col}' repeats {n} date(s), e.g. '{frame[date_col].iloc[np.flatnonzero(repeated)[0]]}' on "
            f"file lines {lines}. A series has one value per time step: keep one row per date (or average them), "
            "or choose no date column to read the rows in file order."
        )
    if keys.is_monotonic_increasing:
        return frame, []
    order = np.argsort(keys.to_numpy(), kind="stable")
    if keys.is_monotonic_decreasing:
        note = f"The rows ran from newest to oldest; they are reversed so that time runs left to right ('{date_col}')."
    else:
        moved = int((order != np.arange(len(order))).sum())
        note = f"The rows were not in time order: they are sorted by '{date_col}' ({moved:,} rows moved)."
    return frame.iloc[order], [note]


def shorten(frame: pd.DataFrame, how: str = "last", max_rows: int = MAX_ROWS) -> tuple[pd.DataFrame, list[str]]:
    """Returns at most max_rows rows: the latest ones ("last", same time step) or every k-th one ("every", the whole
    span at a coarser time step), with a note saying which."""
    n = len(frame)
    if n <= max_rows:
        return frame, []
    if how not in SHORTEN:
        raise DataError(f"Unknown way to shorten a series '{how}'; choose one of: {', '.join(SHORTEN)}.")
    if how == "last":
        return frame.iloc[n - max_rows:], [
            f"The file has {n:,} rows; only the last {max_rows:,} are used (same time step, a shorter span)."]
    k = -(-n // max_rows)  # ceil: the smallest step that fits
    return frame.iloc[::k], [
        f"The file has {n:,} rows; one row in every {k} is used ({-(-n // k):,} rows: the whole span, a time "
        f"step {k} times longer)."]


def series_from_table(frame: pd.DataFrame, value_col: str, date_col: str | None = None,
                      name: str = "upload", how: str = "last") -> Series:
    """Returns the series in one column of a table read by read_csv_table, in time order of date_col and at most
    MAX_ROWS long (shortened as `how` says); raises DataError for bad values or repeated dates."""
    if value_col not in frame.columns:
        raise DataError(f"There is no column '{value_col}'; the columns are: {', '.join(map(str, frame.columns))}.")
    if not numeric_columns(frame):
        raise DataError(
            "The CSV has no numeric column; pick one of: " + ", ".join(map(str, frame.columns))
            + f" and make sure its values are numbers, written {NUMBER_STYLES} (not '12,5 kg')."
        )
    sep = frame.attrs.get("sep", ",")
    column = frame[value_col].where(frame[value_col].str.strip() != "") if frame[value_col].dtype == object \
        else frame[value_col]
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing) and not parse_numbers(column, sep)[0].isna().drop(column.index[missing]).any():
        lines = ", ".join(str(i + 2) for i in column.index[missing[:5]]) + (", ..." if len(missing) > 5 else "")
        raise DataError(f"Column '{value_col}' has {len(missing)} missing value(s) (file lines {lines}). "
                        "Fill them (e.g. with the previous value) or remove those rows.")
    parsed, style = _numeric_values(column, value_col, sep)  # every row, so file lines name the bad ones
    notes: list[str] = []
    if date_col in frame.columns:
        frame, notes = order_by_time(frame, date_col)
    frame, cut = shorten(frame, how)
    values = np.array(pd.Series(parsed, index=column.index).loc[frame.index], dtype=np.float32)  # writable
    if len(values) < MIN_ROWS:
        rows = "one row" if len(values) == 1 else f"{len(values)} rows"
        raise DataError(f"The series has {rows}; at least {MIN_ROWS} are needed to train and test. "
                        "Upload a longer series.")
    labels = tuple(str(v) for v in frame[date_col]) if date_col in frame.columns else \
        tuple(str(i) for i in range(len(values)))
    return Series(name, values, labels, str(value_col), tuple(notes + cut + ([style] if style else [])))
