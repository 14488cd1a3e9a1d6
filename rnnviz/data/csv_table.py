"""An uploaded CSV as a table: its text encoding, separator and number style, time order and length.

Every check raises a DataError whose words say what is wrong and what to do (assets/i18n/*/errors.toml, the
``errors.csv`` table); the series itself is built from the table in rnnviz.data.series.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pandas as pd

from rnnviz import catalog  # the module, not t: catalog imports rnnviz.data.paths, which loads this package
from rnnviz.errors import DataError

MAX_UPLOAD_MB = 10  # the uploaders' labels say this; the server's own limit (config.toml) is set a little above it
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1000 * 1000  # so that a larger file still reaches the app and gets its message
# (decimal megabytes, as the uploader shows a file's size)
MAX_ROWS = 5000  # longer than every bundled series; more points make every chart and forecast slow for the class
MAX_COLUMNS = 200
SHORTEN = ("last", "every")  # how a series above MAX_ROWS is shortened: its latest rows, or every k-th row

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
            raise DataError("errors.csv.binary")
    if encoding is not None:
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as err:
            raise DataError("errors.csv.damaged_text", encoding=encoding.upper().removesuffix("-SIG"),
                            byte=err.start) from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("latin-1")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        raise DataError("errors.csv.unreadable_encoding")
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
    key = "common.upload.thousands" if best == "thousands" else "common.upload.decimal_comma"
    return chosen, catalog.t(key, example=str(example), value=float(chosen[text == example].iloc[0]))


def numeric_values(column: pd.Series, name: str, sep: str = ",") -> tuple[np.ndarray, str | None]:
    """Returns the column as float32 and a note on its number style, with a DataError naming bad or missing rows."""
    parsed, note = parse_numbers(column, sep)
    filled = column.astype("string").str.strip().replace("", pd.NA).notna()
    bad = parsed.isna() & filled
    if bad.any():
        where = bad[bad].index  # the table keeps the file's row numbers through sorting and shortening
        rows = ", ".join(str(i + 2) for i in where[:5])
        example = str(column.loc[where[0]])[:40]
        raise DataError("errors.csv.text_in_numbers", column=name, lines=rows, example=example)
    if parsed.isna().any():
        missing = int(parsed.isna().sum())
        raise DataError("errors.csv.missing_values", column=name, count=missing)
    values = parsed.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > 1e15:
        raise DataError("errors.csv.not_finite", column=name)
    return values.astype(np.float32), note


_SEPARATORS = ",;\t|"


def read_csv_table(data: bytes | str) -> pd.DataFrame:
    """Returns an uploaded CSV as a table of strings (its separator in .attrs["sep"]); raises DataError saying what
    is wrong and what to do."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DataError("errors.csv.too_big", size=len(raw) / 1e6, limit=MAX_UPLOAD_MB)
    if not raw.strip():
        raise DataError("errors.csv.empty")
    text = _decode(raw)
    if not text.strip():
        raise DataError("errors.csv.empty")
    first = text.lstrip().splitlines()[0]
    # Only real separators count.
    # A one-column file has none: nothing splits its rows, so '1234,5' stays one cell (a decimal comma).
    sep = max(_SEPARATORS, key=first.count) if any(s in first for s in _SEPARATORS) else "\x1f"
    if first.count(sep) >= MAX_COLUMNS:
        raise DataError("errors.csv.too_many_columns", limit=MAX_COLUMNS)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError("errors.csv.unreadable", reason=str(err)) from err
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("errors.csv.no_rows")
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
        return frame, [catalog.t("common.upload.not_dates", column=date_col)]
    repeated = keys.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = keys[repeated].iloc[0]
        lines = ", ".join(str(i + 2) for i in keys.index[(keys == first).to_numpy()][:5])
        n = int(keys[repeated].nunique())
        raise DataError("errors.csv.repeated_dates", column=date_col, count=n, lines=lines,
                        example=str(frame[date_col].iloc[np.flatnonzero(repeated)[0]]))
    if keys.is_monotonic_increasing:
        return frame, []
    order = np.argsort(keys.to_numpy(), kind="stable")
    if keys.is_monotonic_decreasing:
        note = catalog.t("common.upload.reversed", column=date_col)
    else:
        moved = int((order != np.arange(len(order))).sum())
        note = catalog.t("common.upload.sorted", column=date_col, moved=moved)
    return frame.iloc[order], [note]


def shorten(frame: pd.DataFrame, how: str = "last", max_rows: int = MAX_ROWS) -> tuple[pd.DataFrame, list[str]]:
    """Returns at most max_rows rows: the latest ones ("last", same time step) or every k-th one ("every", the whole
    span at a coarser time step), with a note saying which."""
    n = len(frame)
    if n <= max_rows:
        return frame, []
    if how not in SHORTEN:
        raise DataError("errors.csv.unknown_shorten", how=how, choices=", ".join(SHORTEN))
    if how == "last":
        return frame.iloc[n - max_rows:], [catalog.t("common.upload.kept_last", rows=n, kept=max_rows)]
    k = -(-n // max_rows)  # ceil: the smallest step that fits
    return frame.iloc[::k], [catalog.t("common.upload.kept_every", rows=n, every=k, kept=-(-n // k))]
