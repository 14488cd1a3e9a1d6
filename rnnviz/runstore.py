"""A learner's runs on disk, beyond one browser session: save, list, load, delete by learner token.

Layout under the data folder (``RNNVIZ_DATA_DIR``, default ``rnnviz-data/`` next to the package):

    runs/<learner key>/<run id>.run    one run: an uncompressed zip of run files (see below)
    runs/<learner key>/.lock           fcntl lock taken while a learner's runs are written or evicted
    .lock                              fcntl lock taken while the whole store is trimmed to its bound

The learner key is a hash of the token, so the folder names never reveal a token (a listing of the
store, or a class board built on ``summaries()``, cannot be turned into a link to someone's runs).
A ``.run`` zip (its format is in rnnviz.runentry) holds ``run.pt`` (``runfile.weights_bytes``: name,
config, metrics, current weights), one ``snap_<step>.pt`` per training-time snapshot (the same format,
no metrics), ``optimizer.pt`` and ``meta.json`` (status, when, the last text sample, a public summary).
Reading goes through ``runfile.read_weights`` and ``runfile.load_into``, the same gate as an uploaded
file: the store's files are untrusted input.

Writes are atomic (``storefiles.write_atomic``: a temporary file in the same folder, fsync, ``os.replace``),
so a reader in any process on any machine sharing the folder sees either the old or the new run, never half
of one.
A damaged entry is skipped with a log line. Bounds: ``MAX_RUNS`` runs and ``MAX_LEARNER_BYTES``
per learner, ``MAX_TOTAL_BYTES`` for the store; the least recently saved or loaded runs go first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import re
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rnnviz import storefiles
from rnnviz.errors import CheckpointError
from rnnviz.runentry import (  # noqa: F401  (re-exported: the store's API speaks of these)
    MAX_ENTRY_BYTES,
    SNAPSHOT_BYTES,
    STATUSES,
    StoredRun,
    decode,
    encode,
    read_meta,
)
from rnnviz.serve import DATA_ENV, DEFAULT_DATA_DIR

log = logging.getLogger(__name__)

DEFAULT_DIR = DEFAULT_DATA_DIR  # one folder for the store and the class server's processes
TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 22 characters, 128 random bits
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22}")
RUN_ID_RE = re.compile(r"[0-9a-f]{16}")
SUFFIX = ".run"
MAX_RUNS = 6  # per learner, as many as the lab keeps in a session
MAX_LEARNER_BYTES = 48 * 1024 * 1024  # per learner; the largest lab model with its snapshots fits twice
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # the whole store (~700 learners at a typical 3 MB)


@dataclass(frozen=True)
class Summary:
    """A run's public summary: no weights, no token, nothing that leads back to the learner's link."""

    learner: str  # the hashed learner key
    run_id: str
    name: str
    task: str
    cell: str
    hidden_size: int
    steps_done: int
    steps: int
    loss: float | None
    status: str
    saved_at: float
    bytes: int
    lr: float | None = None
    clip: float | None = None
    class_code: str | None = None  # the class board it was trained for (checked by classcode.valid_code)
    nickname: str = ""  # the name the learner gave the board ("" for none; checked by classcode.clean_nickname)


def new_token() -> str:
    """Returns a fresh, unguessable learner token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_run_id() -> str:
    """Returns a fresh run id (16 hex digits)."""
    return secrets.token_hex(8)


def valid_token(token: object) -> bool:
    """Returns whether token has the shape of a learner token (checked before it reaches any path)."""
    return isinstance(token, str) and TOKEN_RE.fullmatch(token) is not None


def data_dir() -> Path:
    """Returns the store's folder: $RNNVIZ_DATA_DIR, else rnnviz-data/ at the project root."""
    raw = os.environ.get(DATA_ENV, "").strip()
    return Path(raw).expanduser() if raw else DEFAULT_DIR


def learner_key(token: str) -> str:
    """Returns the folder name of a learner: a hash of the token (raises ValueError for a malformed token)."""
    if not valid_token(token):
        raise ValueError("not a learner token")
    return hashlib.sha256(token.encode("ascii")).hexdigest()[:32]


def _learner_dir(token: str) -> Path:
    return data_dir() / "runs" / learner_key(token)


def _run_path(token: str, run_id: str) -> Path:
    if not isinstance(run_id, str) or RUN_ID_RE.fullmatch(run_id) is None:
        raise ValueError("not a run id")
    return _learner_dir(token) / f"{run_id}{SUFFIX}"


def save(token: str, run: StoredRun, cache: dict | None = None) -> int:
    """Saves (or replaces) a learner's run, then evicts beyond the bounds; returns the entry's bytes.

    `cache` is the run's snapshot cache for encode (a dict the caller keeps per run), or None.
    """
    data = encode(run, cache)
    if len(data) > MAX_ENTRY_BYTES:
        raise CheckpointError("errors.store.run_too_big")
    path = _run_path(token, run.run_id)
    with storefiles.locked(path.parent / ".lock"):
        storefiles.write_atomic(path, data)
        _evict_learner(path.parent, keep=path)
    _evict_total(keep=path)
    return len(data)


def _entries(folder: Path) -> list[storefiles.Entry]:
    """Returns the run files of a folder with their stats, least recently used first."""
    return storefiles.entries(folder, SUFFIX)


def _evict_learner(folder: Path, keep: Path) -> None:
    storefiles.evict(_entries(folder), keep, MAX_LEARNER_BYTES, MAX_RUNS, why="learner bound")


def _evict_total(keep: Path) -> None:
    root = data_dir()
    with storefiles.locked(root / ".lock"):
        found = [e for d in (root / "runs").glob("*") if d.is_dir() for e in _entries(d)]
        storefiles.evict(found, keep, MAX_TOTAL_BYTES, why="total bound")


def load_all(token: str) -> list[StoredRun]:
    """Returns a learner's runs, oldest saved first; damaged entries are skipped with a log line."""
    if not valid_token(token):
        return []
    out = []
    for path, _ in _entries(_learner_dir(token)):
        run = _load_path(path)
        if run is not None:
            out.append(run)
    return sorted(out, key=lambda r: r.saved_at)


def load(token: str, run_id: str) -> StoredRun | None:
    """Returns one run of a learner, or None if it is missing or damaged."""
    if not valid_token(token):
        return None
    try:
        path = _run_path(token, run_id)
    except ValueError:
        return None
    return _load_path(path) if path.exists() else None


def _load_path(path: Path) -> StoredRun | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ENTRY_BYTES + 1)
        run = decode(data, path.stem)
    except FileNotFoundError:
        return None
    except (CheckpointError, OSError) as err:
        log.warning("run store: skipped damaged entry %s/%s: %s", path.parent.name[:8], path.name, err)
        return None
    try:
        os.utime(path)  # a run read back counts as recently used
    except OSError:
        pass
    return run


def list_runs(token: str) -> list[Summary]:
    """Returns the public summaries of a learner's runs (read from each entry's meta.json only)."""
    if not valid_token(token):
        return []
    return [s for s in (_summary(p, st) for p, st in _entries(_learner_dir(token))) if s is not None]


def delete(token: str, run_id: str) -> bool:
    """Deletes one run of a learner; returns whether it existed."""
    if not valid_token(token):
        return False
    try:
        path = _run_path(token, run_id)
    except ValueError:
        return False
    with storefiles.locked(path.parent / ".lock"):
        existed = path.exists()
        path.unlink(missing_ok=True)
    return existed


def summaries() -> Iterator[Summary]:
    """Yields the public summary of every learner's runs (for a class board): no weights, no tokens."""
    runs = data_dir() / "runs"
    if not runs.is_dir():
        return
    for folder in sorted(runs.iterdir()):
        if folder.is_dir():
            for path, st in _entries(folder):
                summary = _summary(path, st)
                if summary is not None:
                    yield summary


def _summary(path: Path, st: os.stat_result) -> Summary | None:
    try:
        if st.st_size > MAX_ENTRY_BYTES:
            raise CheckpointError("errors.store.entry_too_big")
        with zipfile.ZipFile(path) as zf:
            meta = read_meta(zf)
        s = meta["summary"]
        loss = s.get("loss")
        return Summary(path.parent.name, path.stem, str(s["name"])[:60], str(s["task"]), str(s["cell"]),
                       int(s["hidden_size"]), int(s["steps_done"]), int(s["steps"]),
                       float(loss) if isinstance(loss, (int, float)) else None,
                       meta.get("status") if meta.get("status") in STATUSES else "paused",
                       float(meta.get("saved_at", 0.0)), st.st_size, *_board_fields(s))
    except (zipfile.BadZipFile, CheckpointError, KeyError, TypeError, ValueError, OSError) as err:
        log.warning("run store: skipped damaged entry %s/%s: %s", path.parent.name[:8], path.name, err)
        return None


def _board_fields(s: dict) -> tuple[float | None, float | None, str | None, str]:
    """Returns a summary's (lr, clip, class code, nickname), each None or "" when missing or not valid."""
    from rnnviz.classcode import clean_nickname, valid_code

    def number(v: object) -> float | None:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None

    code, nick = s.get("class"), clean_nickname(s.get("nickname"))
    return number(s.get("lr")), number(s.get("clip")), code if valid_code(code) else None, nick or ""


def as_dict(summary: Summary) -> dict:
    """Returns a summary as plain JSON-ready types."""
    return dataclasses.asdict(summary)
