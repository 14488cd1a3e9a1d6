"""A learner's runs on disk, beyond one browser session: save, list, load, delete by learner token.

Layout under the data folder (``RNNVIZ_DATA_DIR``, default ``rnnviz-data/`` next to the package):

    runs/<learner key>/<run id>.run    one run: an uncompressed zip of run files (see below)
    runs/<learner key>/.lock           fcntl lock taken while a learner's runs are written or evicted
    .lock                              fcntl lock taken while the whole store is trimmed to its bound

The learner key is a hash of the token, so the folder names never reveal a token (a listing of the
store, or a class board built on ``summaries()``, cannot be turned into a link to someone's runs).
A ``.run`` zip holds ``run.pt`` (``runfile.weights_bytes``: name, config, metrics, current weights),
one ``snap_<step>.pt`` per training-time snapshot (the same format, no metrics) and ``meta.json``
(status, when, the last text sample, a public summary). Reading goes through ``runfile.read_weights``
and ``runfile.load_into``, the same gate as an uploaded file: the store's files are untrusted input.

Writes are atomic (a temporary file in the same folder, fsync, ``os.replace``), so a reader in any
process on any machine sharing the folder sees either the old or the new run, never half of one.
A damaged entry is skipped with a log line. Bounds: ``MAX_RUNS`` runs and ``MAX_LEARNER_BYTES``
per learner, ``MAX_TOTAL_BYTES`` for the store; the least recently saved or loaded runs go first.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import json
import logging
import math
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rnnviz import runfile
from rnnviz.config import RunConfig
from rnnviz.errors import CheckpointError
from rnnviz.train import StepMetrics

log = logging.getLogger(__name__)

DATA_ENV = "RNNVIZ_DATA_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rnnviz-data"
TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 22 characters, 128 random bits
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22}")
RUN_ID_RE = re.compile(r"[0-9a-f]{16}")
SUFFIX = ".run"
MAX_RUNS = 6  # per learner, as many as the lab keeps in a session
MAX_LEARNER_BYTES = 48 * 1024 * 1024  # per learner; the largest lab model with its snapshots fits twice
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # the whole store (~700 learners at a typical 3 MB)
MAX_ENTRY_BYTES = 24 * 1024 * 1024  # one run file; larger ones are never read
SNAPSHOT_BYTES = 12 * 1024 * 1024  # snapshots kept on disk per run (thinned to fit, the first and last kept)
MAX_SAMPLE_CHARS = 2000
STATUSES = ("running", "paused", "done", "diverged")


@dataclass(frozen=True)
class StoredRun:
    """A run as the store keeps it: what the lab needs to show and resume it."""

    run_id: str
    name: str
    cfg: RunConfig
    history: list[StepMetrics]
    state: dict[str, torch.Tensor]  # the current weights
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)  # (step, weights), by step
    snapshot_every: int = 10
    status: str = "paused"
    current: bool = False  # the run the lab was showing
    sample: dict | None = None  # {"step", "prefix", "temperature", "text"}: the last text sample
    saved_at: float = 0.0
    diverged: str | None = None  # the divergence message, if training blew up


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


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Holds an exclusive fcntl lock on path (created if missing) for the duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Weights:
    """Presents a plain state_dict as a module to runfile.weights_bytes (snapshots are stored in the same format)."""

    def __init__(self, state: dict[str, torch.Tensor]):
        self._state = state

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self._state


def _thin(snapshots: list[tuple[int, dict[str, torch.Tensor]]], budget: int) -> list[tuple[int, dict]]:
    """Returns the snapshots, every other one dropped (the first and last kept) until they fit budget bytes."""
    if not snapshots:
        return []
    size = sum(v.numel() * v.element_size() for v in snapshots[0][1].values())
    keep = max(2, budget // max(size, 1))
    while len(snapshots) > keep:
        snapshots = snapshots[:-1:2] + [snapshots[-1]]
    return snapshots


def encode(run: StoredRun) -> bytes:
    """Returns the bytes of a run entry (an uncompressed zip of runfile weights files and meta.json)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("run.pt", runfile.weights_bytes(run.name, run.cfg, _Weights(run.state), run.history))
        snaps = _thin(list(run.snapshots), SNAPSHOT_BYTES)
        for step, state in snaps:
            zf.writestr(f"snap_{step}.pt", runfile.weights_bytes(run.name, run.cfg, _Weights(state), []))
        last = run.history[-1] if run.history else None
        meta = {"format": "rnnviz-store", "version": 1, "status": run.status, "current": run.current,
                "saved_at": run.saved_at or time.time(), "snapshot_every": run.snapshot_every,
                "snapshots": [s for s, _ in snaps], "sample": _clean_sample(run.sample),
                "diverged": run.diverged[:500] if isinstance(run.diverged, str) else None,
                "summary": {"name": run.name, "task": run.cfg.task, "cell": run.cfg.model.cell,
                            "hidden_size": run.cfg.model.hidden_size, "steps_done": len(run.history),
                            "steps": run.cfg.train.steps,
                            "loss": last.loss if last is not None and math.isfinite(last.loss) else None}}
        zf.writestr("meta.json", json.dumps(meta))
    return buffer.getvalue()


def _clean_sample(sample: object) -> dict | None:
    """Returns a sample record with known fields of known types only, or None."""
    if not isinstance(sample, dict):
        return None
    step, prefix, temp, text = (sample.get(k) for k in ("step", "prefix", "temperature", "text"))
    if not (isinstance(step, int) and isinstance(prefix, str) and isinstance(temp, (int, float))
            and isinstance(text, str) and math.isfinite(temp)):
        return None
    return {"step": step, "prefix": prefix[:60], "temperature": float(temp), "text": text[:MAX_SAMPLE_CHARS]}


def _read_meta(zf: zipfile.ZipFile) -> dict:
    info = zf.getinfo("meta.json")
    if info.file_size > 64 * 1024:
        raise CheckpointError("meta.json is too large")
    meta = json.loads(zf.read(info))
    if not isinstance(meta, dict) or meta.get("format") != "rnnviz-store" or meta.get("version") != 1:
        raise CheckpointError("not a run entry of this store")
    return meta


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """Returns the entry's zip after checking that nothing in it claims more bytes than the entry may hold."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    if len(infos) > 200 or sum(i.file_size for i in infos) > MAX_ENTRY_BYTES \
            or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise CheckpointError("the entry's contents are larger than a run")
    return zf


def decode(data: bytes, run_id: str) -> StoredRun:
    """Returns the run an entry holds, read through runfile.read_weights; raises CheckpointError otherwise.

    The weights' names and shapes are checked against the model when they are loaded into one
    (runfile.load_into), as for an uploaded file.
    """
    if len(data) > MAX_ENTRY_BYTES:
        raise CheckpointError("the entry is larger than a run")
    try:
        zf = _open_zip(data)
        meta = _read_meta(zf)
        main = runfile.read_weights(zf.read("run.pt"), max_bytes=MAX_ENTRY_BYTES)
        steps = [s for s in meta.get("snapshots", []) if isinstance(s, int) and not isinstance(s, bool)]
        snap_files = [runfile.read_weights(zf.read(f"snap_{s}.pt"), max_bytes=MAX_ENTRY_BYTES) for s in steps]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        raise CheckpointError(f"the entry is damaged ({type(err).__name__})") from None
    cfg = main.cfg
    snapshots = []
    for step, snap in zip(steps, snap_files):
        if snap.cfg != cfg or not 0 <= step <= len(main.history) or set(snap.state_dict) != set(main.state_dict):
            raise CheckpointError("a snapshot does not belong to this run")
        snapshots.append((step, snap.state_dict))
    status = meta.get("status") if meta.get("status") in STATUSES else "paused"
    every = meta.get("snapshot_every")
    saved, diverged = meta.get("saved_at"), meta.get("diverged")
    return StoredRun(run_id, main.name, cfg, main.history, main.state_dict, sorted(snapshots, key=lambda s: s[0]),
                     every if isinstance(every, int) and every > 0 else 10, status, meta.get("current") is True,
                     _clean_sample(meta.get("sample")),
                     float(saved) if isinstance(saved, (int, float)) and math.isfinite(saved) else 0.0,
                     diverged[:500] if isinstance(diverged, str) else None)


def _write_atomic(path: Path, data: bytes) -> None:
    """Writes data to path so that any reader sees the old file or the whole new one (temp, fsync, replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def save(token: str, run: StoredRun) -> int:
    """Saves (or replaces) a learner's run, then evicts beyond the bounds; returns the entry's bytes."""
    data = encode(run)
    if len(data) > MAX_ENTRY_BYTES:
        raise CheckpointError("this run is too large to keep")
    path = _run_path(token, run.run_id)
    with _locked(path.parent / ".lock"):
        _write_atomic(path, data)
        _evict_learner(path.parent, keep=path)
    _evict_total(keep=path)
    return len(data)


def _entries(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Returns the run files of a folder with their stats, least recently used first."""
    out = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            out.append((path, path.stat()))
        except FileNotFoundError:  # removed by another process meanwhile
            continue
    return sorted(out, key=lambda e: e[1].st_mtime)


def _evict_learner(folder: Path, keep: Path) -> None:
    entries = _entries(folder)
    total = sum(st.st_size for _, st in entries)
    for path, st in entries:
        if len(entries) <= MAX_RUNS and total <= MAX_LEARNER_BYTES:
            break
        if path == keep:
            continue
        path.unlink(missing_ok=True)
        log.info("run store: evicted %s (learner bound)", path.name)
        entries = [e for e in entries if e[0] != path]
        total -= st.st_size


def _evict_total(keep: Path) -> None:
    root = data_dir()
    with _locked(root / ".lock"):
        entries = sorted((e for d in (root / "runs").glob("*") if d.is_dir() for e in _entries(d)),
                         key=lambda e: e[1].st_mtime)
        total = sum(st.st_size for _, st in entries)
        for path, st in entries:
            if total <= MAX_TOTAL_BYTES:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            log.info("run store: evicted %s (total bound)", path.name)
            total -= st.st_size


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
    with _locked(path.parent / ".lock"):
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
            raise CheckpointError("too large")
        with zipfile.ZipFile(path) as zf:
            meta = _read_meta(zf)
        s = meta["summary"]
        loss = s.get("loss")
        return Summary(path.parent.name, path.stem, str(s["name"])[:60], str(s["task"]), str(s["cell"]),
                       int(s["hidden_size"]), int(s["steps_done"]), int(s["steps"]),
                       float(loss) if isinstance(loss, (int, float)) else None,
                       meta.get("status") if meta.get("status") in STATUSES else "paused",
                       float(meta.get("saved_at", 0.0)), st.st_size)
    except (zipfile.BadZipFile, CheckpointError, KeyError, TypeError, ValueError, OSError) as err:
        log.warning("run store: skipped damaged entry %s/%s: %s", path.parent.name[:8], path.name, err)
        return None


def as_dict(summary: Summary) -> dict:
    """Returns a summary as plain JSON-ready types."""
    return dataclasses.asdict(summary)
