"""Save and restore a run: config and metrics as JSON/CSV, weights as a plain state_dict file.

Weights are written with ``torch.save`` of plain types only (tensors, str, int, dicts) and read
back only with ``torch.load(..., weights_only=True)``, which refuses arbitrary Python objects,
so an uploaded file can never run code. Everything read is validated against the config it
claims, and any problem becomes a CheckpointError that says what is wrong in plain words.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import zipfile
from dataclasses import dataclass, fields, replace

import pandas as pd
import torch
from torch import nn

from rnnviz import owntext
from rnnviz.config import (
    ModelConfig,
    RunConfig,
    SentimentConfig,
    SeriesConfig,
    TextConfig,
    TrainConfig,
    bounds,
    check_field,
    shown,
)
from rnnviz.errors import CheckpointError, ConfigError
from rnnviz.history import Moment, from_records, to_records
from rnnviz.presets import LAB_DEFAULTS, validate
from rnnviz.train import StepMetrics

FORMAT = "rnnviz-run"
VERSION = 1
MAX_BYTES = 10 * 1024 * 1024  # the server's upload limit; the lab's largest model is ~6 MB
_SECTIONS = {"model": ModelConfig, "train": TrainConfig, "text": TextConfig, "series": SeriesConfig,
             "sentiment": SentimentConfig}
_FIELDS = {name: {f.name for f in fields(cls)} for name, cls in _SECTIONS.items()}
_METRIC_FIELDS = tuple(f.name for f in fields(StepMetrics))
MAX_RECORDS = bounds(TrainConfig, "steps")[1]  # one metric row per step: a run never holds more
# What a weights file from the lab holds, sized for the largest run the gate allows (measured in
# tests/test_hostile_runfiles.py: an LSTM, 256 units, 3 layers, 128-wide embeddings of the largest review
# vocabulary: 7.4 MB of weights, the largest tensor 1.6 MB; 5000 metric rows: about 1 MB of JSON).
# torch.save stores every member uncompressed, so a member that is compressed, or that declares more than
# this, is not from the lab and is refused before torch.load inflates anything.
MAX_MEMBERS = 64
MAX_TENSOR_BYTES = 2 * 1024 * 1024
MAX_PICKLE_BYTES = 2 * 1024 * 1024  # data.pkl: the config and up to MAX_RECORDS metric rows as JSON text


@dataclass(frozen=True)
class RunFile:
    """What a run file holds: a name, the validated config, the metrics and (for weights files) a state_dict."""

    name: str
    cfg: RunConfig
    history: list[StepMetrics]
    state_dict: dict[str, torch.Tensor] | None = None
    story: tuple[Moment, ...] = ()  # the sample history (absent in older files)


def config_to_dict(cfg: RunConfig) -> dict:
    """Returns the config as plain JSON-ready types."""
    return dataclasses.asdict(cfg)


def config_from_dict(raw: object) -> RunConfig:
    """Returns the validated RunConfig a dict describes; raises CheckpointError if it is not one.

    The config is rebuilt from the lab's defaults for the file's task plus the file's fields, each one
    checked against its declared bounds first: nothing from the file reaches a config unchecked.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("task"), str):
        raise CheckpointError("errors.runfile.config_damaged")
    try:
        task = check_field(RunConfig, "task", raw["task"])
        base = LAB_DEFAULTS[task]
        unknown = sorted(str(k) for k in raw if k != "task" and k not in _SECTIONS)
        if unknown:
            raise ConfigError("errors.config.no_section", section=shown(unknown[0]))
        parts = {name: _section(getattr(base, name), name, raw.get(name, {})) for name in _SECTIONS}
        return owntext.check_config(validate(replace(base, **parts)))  # an own text passes its gate again
    except ConfigError as err:
        raise CheckpointError("errors.runfile.config_refused", reason=err) from None


def _section(default: object, name: str, section: object) -> object:
    """Returns the lab's default section with the file's fields in it, each one checked on its own."""
    if not isinstance(section, dict):
        raise ConfigError("errors.config.damaged_section", section=name)
    cls, checked = type(default), {}
    for key, value in section.items():
        if not isinstance(key, str) or key not in _FIELDS[name]:
            raise ConfigError("errors.config.no_section_setting", section=name, name=shown(key))
        if isinstance(value, list):  # JSON has no tuples; a tuple field keeps its cache key hashable
            value = tuple(value)
        checked[key] = check_field(cls, key, value, f"{name}.{key}")
    return replace(default, **checked)


def metrics_frame(history: list[StepMetrics]) -> pd.DataFrame:
    """Returns one row per step with every metric (the CSV download)."""
    return pd.DataFrame([dataclasses.asdict(m) for m in history], columns=list(_METRIC_FIELDS))


def metrics_csv(history: list[StepMetrics]) -> bytes:
    """Returns the metrics as CSV bytes."""
    return metrics_frame(history).to_csv(index=False).encode("utf-8")


def run_json(name: str, cfg: RunConfig, history: list[StepMetrics], diverged: str | None = None,
             story: list[Moment] = ()) -> bytes:
    """Returns the run (name, config, metrics, divergence message, sample history) as JSON bytes."""
    doc = {"format": FORMAT, "version": VERSION, "name": name, "config": config_to_dict(cfg),
           "diverged": diverged, "metrics": [dataclasses.asdict(m) for m in history], "story": to_records(story)}
    return json.dumps(doc, indent=1, allow_nan=True).encode("utf-8")


def weights_bytes(name: str, cfg: RunConfig, model: nn.Module, history: list[StepMetrics],
                  story: list[Moment] = ()) -> bytes:
    """Returns a weights file: plain types only, so it loads with weights_only=True."""
    payload = {"format": FORMAT, "version": VERSION, "name": name,
               "config": json.dumps(config_to_dict(cfg)),
               "metrics": json.dumps([dataclasses.asdict(m) for m in history]),
               "story": json.dumps(to_records(story)),
               "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def read_weights(data: bytes, max_bytes: int = MAX_BYTES) -> RunFile:
    """Returns the run in a weights file; raises CheckpointError for anything rnnviz did not write."""
    if len(data) > max_bytes:
        raise CheckpointError("errors.runfile.too_big", size=len(data) / 1e6, limit=max_bytes / 1e6)
    inspect_archive(data, max_bytes)
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError, AttributeError, TypeError,
            zipfile.BadZipFile, OSError, RecursionError, MemoryError, IndexError) as err:
        code = "errors.runfile.python_objects" if isinstance(err, pickle.UnpicklingError) \
            else "errors.runfile.not_pytorch"
        raise CheckpointError(code) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError("errors.runfile.other_checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError("errors.runfile.version", found=repr(payload.get("version"))[:40], version=VERSION)
    cfg = config_from_dict(_json(payload.get("config")))
    state = payload.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(k, str) and _plain_tensor(v) for k, v in state.items()):
        raise CheckpointError("errors.runfile.no_weights")
    name = payload.get("name") if isinstance(payload.get("name"), str) else "uploaded"
    story = from_records(_json(payload["story"])) if "story" in payload else []  # older files have none
    return RunFile(name[:60], cfg, history_from_records(_json(payload.get("metrics"))), state, tuple(story))


def inspect_archive(data: bytes, max_bytes: int = MAX_BYTES) -> None:
    """Returns None if data is a zip laid out as torch.save writes a lab run; raises CheckpointError otherwise.

    Reads only the zip's directory (no member is inflated), so a bomb is refused in milliseconds with no
    allocation beyond the directory: every member must be stored uncompressed, as torch.save does, and no
    member may declare more bytes than the largest run the lab can save needs.
    """
    not_pt = "errors.runfile.not_weights_file"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()[: MAX_MEMBERS + 1]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise CheckpointError(not_pt) from None
    if not members:
        raise CheckpointError(not_pt)
    if len(members) > MAX_MEMBERS:
        raise CheckpointError("errors.runfile.too_many_parts", limit=MAX_MEMBERS)
    total = 0
    for info in members:
        limit = MAX_PICKLE_BYTES if info.filename.endswith(".pkl") else MAX_TENSOR_BYTES
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise CheckpointError("errors.runfile.compressed")
        if info.file_size > limit:
            raise CheckpointError("errors.runfile.part_too_big", size=info.file_size / 1e6, limit=limit / 1e6)
        total += info.file_size
    if total > max_bytes:
        raise CheckpointError("errors.runfile.parts_too_big", size=total / 1e6, limit=max_bytes / 1e6)


def _plain_tensor(value: object) -> bool:
    """Returns True for a dense, contiguous CPU tensor no larger than the lab's largest weight."""
    return (isinstance(value, torch.Tensor) and value.layout == torch.strided and value.is_contiguous()
            and value.untyped_storage().nbytes() <= MAX_TENSOR_BYTES
            and value.numel() * value.element_size() <= MAX_TENSOR_BYTES)


def read_run_json(data: bytes, max_bytes: int = MAX_BYTES) -> RunFile:
    """Returns the config and metrics of a JSON run file (no weights); raises CheckpointError otherwise."""
    if len(data) > max_bytes:
        raise CheckpointError("errors.runfile.json_too_big", size=len(data) / 1e6)
    doc = _json(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError("errors.runfile.other_json")
    name = doc.get("name") if isinstance(doc.get("name"), str) else "uploaded"
    return RunFile(name[:60], config_from_dict(doc.get("config")), history_from_records(doc.get("metrics")),
                   story=tuple(from_records(doc.get("story"))))


def history_from_records(records: object) -> list[StepMetrics]:
    """Returns StepMetrics from a list of dicts; raises CheckpointError if they are not metrics."""
    if not isinstance(records, list) or len(records) > MAX_RECORDS:
        raise CheckpointError("errors.runfile.metrics_damaged")
    try:
        history = [StepMetrics(**{k: r[k] for k in _METRIC_FIELDS if k in r}) for r in records]
    except (TypeError, KeyError, AttributeError):
        raise CheckpointError("errors.runfile.metrics_damaged") from None
    if not all(isinstance(v, (int, float, type(None))) for m in history for v in dataclasses.astuple(m)):
        raise CheckpointError("errors.runfile.metrics_damaged")
    return history


def load_into(model: nn.Module, state: dict[str, torch.Tensor]) -> nn.Module:
    """Returns model with the weights copied in, after checking names, shapes and values against it."""
    check_weights(model.state_dict(), state)
    model.load_state_dict(state)
    return model


def check_weights(expected: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
    """Returns None if state has exactly expected's names, shapes and dtypes and finite values; else raises."""
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise CheckpointError("errors.runfile.weights_misfit", missing=str(missing[:3] or "none"),
                              extra=str(extra[:3] or "none"))
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
            raise CheckpointError("errors.runfile.weight_shape", weight=key, shape=str(tuple(tensor.shape)),
                                  dtype=str(tensor.dtype), needed=str(tuple(expected[key].shape)),
                                  needed_dtype=str(expected[key].dtype))
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError("errors.runfile.weight_not_finite", weight=key)


def _json(raw: object) -> object:
    if isinstance(raw, (str, bytes)):
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise CheckpointError("errors.runfile.bad_json") from None
    raise CheckpointError("errors.runfile.missing_parts")

