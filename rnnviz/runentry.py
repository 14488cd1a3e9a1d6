"""One stored run as bytes: an uncompressed zip of the lab's own run files plus a small meta.json.

``run.pt`` is ``runfile.weights_bytes`` (name, config, current weights); ``metrics.json`` the metrics,
read back through ``runfile.history_from_records``; each training-time snapshot is ``snap_<step>.pt``
in the run file format; ``meta.json`` holds the status, when,
the last text sample and a public summary; ``story.json`` the sample history. ``decode`` reads everything back through
``runfile.read_weights``: a stored entry is untrusted input, like an uploaded file.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import time
import zipfile
from dataclasses import dataclass, field

import torch

from rnnviz import history, runfile
from rnnviz.config import RunConfig
from rnnviz.errors import CheckpointError
from rnnviz.train import StepMetrics

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
    optimizer: dict | None = None  # the optimizer's state_dict (Adam's moments), so Resume goes on as before
    story: tuple = ()  # rnnviz.history.Moment at milestone steps: the run's sample history
    board: tuple[str, str] | None = None  # (class code, nickname) when the learner came by a class board's link


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


def encode(run: StoredRun, cache: dict | None = None) -> bytes:
    """Returns the bytes of a run entry (an uncompressed zip of runfile weights files and meta.json).

    A snapshot never changes once taken: with a cache (one dict per run, kept by the caller) each is
    serialised once, so saving a run while it trains costs about one weights file, not seventeen.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("run.pt", runfile.weights_bytes(run.name, run.cfg, _Weights(run.state), []))
        # The metrics apart, as plain rows: a few ms for thousands of steps (dataclasses.asdict took ~100 ms).
        zf.writestr("metrics.json", json.dumps([vars(m) for m in run.history], allow_nan=True))
        snaps = _thin(list(run.snapshots), SNAPSHOT_BYTES)
        used = {}
        for step, state in snaps:
            key = (step, id(state))
            blob = cache.get(key) if cache is not None else None
            if blob is None:
                blob = runfile.weights_bytes(run.name, run.cfg, _Weights(state), [])
            used[key] = blob
            zf.writestr(f"snap_{step}.pt", blob)
        if cache is not None:  # only the snapshots still kept: the cache stays as small as the run's snapshots
            cache.clear()
            cache.update(used)
        last = run.history[-1] if run.history else None
        meta = {"format": "rnnviz-store", "version": 1, "status": run.status, "current": run.current,
                "saved_at": run.saved_at or time.time(), "snapshot_every": run.snapshot_every,
                "snapshots": [s for s, _ in snaps], "sample": _clean_sample(run.sample),
                "diverged": run.diverged[:500] if isinstance(run.diverged, str) else None,
                "summary": {"name": run.name, "task": run.cfg.task, "cell": run.cfg.model.cell,
                            "hidden_size": run.cfg.model.hidden_size, "steps_done": len(run.history),
                            "steps": run.cfg.train.steps,
                            "loss": last.loss if last is not None and math.isfinite(last.loss) else None,
                            "lr": run.cfg.train.lr, "clip": run.cfg.train.clip,
                            "class": run.board[0] if run.board else None, "nickname": run.board[1] if run.board else None}}
        zf.writestr("meta.json", json.dumps(meta))
        if run.story:
            zf.writestr("story.json", json.dumps(history.to_records(list(run.story))))
        if run.optimizer is not None:
            buffer_opt = io.BytesIO()
            torch.save(run.optimizer, buffer_opt)  # tensors, numbers, lists and dicts only: loads with weights_only
            zf.writestr("optimizer.pt", buffer_opt.getvalue())
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


def read_meta(zf: zipfile.ZipFile) -> dict:
    info = zf.getinfo("meta.json")
    if info.file_size > 64 * 1024:
        raise CheckpointError("errors.store.meta_too_big")
    meta = json.loads(zf.read(info))
    if not isinstance(meta, dict) or meta.get("format") != "rnnviz-store" or meta.get("version") != 1:
        raise CheckpointError("errors.store.not_an_entry")
    return meta


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """Returns the entry's zip after checking that nothing in it claims more bytes than the entry may hold."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    if len(infos) > 200 or sum(i.file_size for i in infos) > MAX_ENTRY_BYTES \
            or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise CheckpointError("errors.store.contents_too_big")
    return zf


def decode(data: bytes, run_id: str) -> StoredRun:
    """Returns the run an entry holds, read through runfile.read_weights; raises CheckpointError otherwise.

    The weights' names and shapes are checked against the model when they are loaded into one
    (runfile.load_into), as for an uploaded file.
    """
    if len(data) > MAX_ENTRY_BYTES:
        raise CheckpointError("errors.store.entry_too_big")
    try:
        zf = _open_zip(data)
        meta = read_meta(zf)
        main = runfile.read_weights(zf.read("run.pt"), max_bytes=MAX_ENTRY_BYTES)
        main = dataclasses.replace(main, history=runfile.history_from_records(json.loads(zf.read("metrics.json"))))
        steps = [s for s in meta.get("snapshots", []) if isinstance(s, int) and not isinstance(s, bool)]
        snap_files = [runfile.read_weights(zf.read(f"snap_{s}.pt"), max_bytes=MAX_ENTRY_BYTES) for s in steps]
        optimizer = _optimizer_state(zf.read("optimizer.pt")) if "optimizer.pt" in zf.namelist() else None
        story = history.from_records(json.loads(zf.read("story.json"))) if "story.json" in zf.namelist() else []
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        raise CheckpointError("errors.store.damaged", kind=type(err).__name__) from None
    cfg = main.cfg
    snapshots = []
    for step, snap in zip(steps, snap_files):
        if snap.cfg != cfg or not 0 <= step <= len(main.history) or set(snap.state_dict) != set(main.state_dict):
            raise CheckpointError("errors.store.foreign_snapshot")
        snapshots.append((step, snap.state_dict))
    status = meta.get("status") if meta.get("status") in STATUSES else "paused"
    every = meta.get("snapshot_every")
    saved, diverged = meta.get("saved_at"), meta.get("diverged")
    return StoredRun(run_id, main.name, cfg, main.history, main.state_dict, sorted(snapshots, key=lambda s: s[0]),
                     every if isinstance(every, int) and every > 0 else 10, status, meta.get("current") is True,
                     _clean_sample(meta.get("sample")),
                     float(saved) if isinstance(saved, (int, float)) and math.isfinite(saved) else 0.0,
                     diverged[:500] if isinstance(diverged, str) else None, optimizer, tuple(story))


def _optimizer_state(data: bytes) -> dict | None:
    """Returns a stored optimizer state ({'state': {index: {name: tensor or number}}}), or None if unusable.

    Only the per-parameter state is kept: the hyperparameters (learning rate...) always come from the
    validated config, never from the file. Shapes are checked against the model when it is loaded.
    """
    try:
        raw = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001  (any unreadable optimizer state just means a fresh optimizer)
        return None
    state = raw.get("state") if isinstance(raw, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(i, int) and isinstance(v, dict)
            and all(isinstance(k, str) and isinstance(x, (torch.Tensor, int, float)) for k, x in v.items())
            for i, v in state.items()):
        return None
    return {"state": state}
