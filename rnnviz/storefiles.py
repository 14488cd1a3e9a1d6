"""Files that many processes share: an exclusive lock, atomic writes, and eviction of the least recently used.

The run store (rnnviz.runstore) and the class boards (rnnviz.classcode) keep their files under one data folder
that every process of a class server, on any machine sharing the folder, reads and writes. A reader sees the old
file or the whole new one, never half of one; a folder over its bounds loses its least recently used files first.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

Entry = tuple[Path, os.stat_result]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds an exclusive fcntl lock on path (created if missing) for the duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes) -> None:
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


def entries(folder: Path, suffix: str) -> list[Entry]:
    """Returns the files of a folder ending in suffix with their stats, least recently used first."""
    out = []
    for path in folder.glob(f"*{suffix}"):
        try:
            out.append((path, path.stat()))
        except FileNotFoundError:  # removed by another process meanwhile
            continue
    return sorted(out, key=lambda e: e[1].st_mtime)


def evict(found: list[Entry], keep: Path, max_bytes: int, max_files: int | None = None, why: str = "") -> None:
    """Deletes the least recently used files of found (never keep) until at most max_files and max_bytes remain."""
    found = sorted(found, key=lambda e: e[1].st_mtime)
    count, total = len(found), sum(st.st_size for _, st in found)
    for path, st in found:
        if (max_files is None or count <= max_files) and total <= max_bytes:
            break
        if path == keep:
            continue
        path.unlink(missing_ok=True)
        log.info("run store: evicted %s (%s)", path.name, why)
        count, total = count - 1, total - st.st_size
