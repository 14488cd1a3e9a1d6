"""Hostile run files: every config field pushed out of range, zip bombs, forged sizes, malicious pickles.

Each is refused with a message before anything large is allocated: bombs never reach torch.load, and the
refusals are measured with tracemalloc (peak Python allocations), not with a wall clock.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import struct
import tracemalloc
import zipfile
from dataclasses import fields, replace

import pytest
import torch

from rnnviz import runfile
from rnnviz.config import ModelConfig, RunConfig, SentimentConfig, SeriesConfig, TrainConfig, bounds
from rnnviz.data import load_series
from rnnviz.errors import CheckpointError
from rnnviz.presets import LAB_DEFAULTS
from rnnviz.tasks import make_model, make_task
from rnnviz.train import StepMetrics

CFG = RunConfig(task="forecast", model=ModelConfig(cell="gru", hidden_size=8),
                train=TrainConfig(steps=20), series=SeriesConfig(name="sine", T=200, n_train=120, window=16))
MB = 1024 * 1024


@pytest.fixture(scope="module")
def model():
    return make_model(make_task(CFG, load_series(CFG.series)), CFG.model, 0)


@pytest.fixture
def no_torch_load(monkeypatch):
    """Fails the test if anything reaches torch.load (a bomb must be refused before it is inflated)."""
    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was called")
    monkeypatch.setattr(runfile.torch, "load", refuse)


def peak_bytes(fn, *args) -> int:
    """Returns the peak of Python allocations while fn runs (it must raise CheckpointError)."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as info:
            fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        peak_bytes.message = str(info.value) if "info" in locals() else ""


def mutations() -> list[tuple[str, str, object]]:
    """Returns (section, field, bad value) for every field of every section of a run's config."""
    cases = []
    for section, cls in runfile._SECTIONS.items():
        for f in fields(cls):
            meta = f.metadata
            if "bounds" in meta:
                low, high = meta["bounds"]
                bad = [low - 1, high + 1, high * 1000 + 7, -(10**12), math.nan, math.inf, -math.inf, "5", True, [1]]
                if isinstance(low, int) and not isinstance(f.default, float):
                    bad.append(low + 0.5)
                if not meta["optional"]:
                    bad.append(None)
            elif "max_chars" in meta:  # an optional text (a learner's own text): None is no text, and valid
                bad = ["nope", 5, ["gru"], {"a": 1}, "<script>x</script>", "x" * (meta["max_chars"] + 1)]
            else:
                bad = ["nope", 5, None, ["gru"], {"a": 1}, "<script>x</script>"]
            cases += [(section, f.name, value) for value in bad]
    return cases


MUTATIONS = mutations()


def json_file(cfg_dict: dict) -> bytes:
    doc = {"format": runfile.FORMAT, "version": runfile.VERSION, "name": "m", "config": cfg_dict, "metrics": []}
    return json.dumps(doc, allow_nan=True).encode()


def mutated(section: str, name: str, value: object, task: str = "forecast") -> dict:
    raw = runfile.config_to_dict(replace(CFG, task=task))
    raw[section][name] = value
    return raw


@pytest.mark.parametrize("section, name, value", MUTATIONS, ids=[f"{s}.{n}={v!r}"[:60] for s, n, v in MUTATIONS])
def test_every_config_field_out_of_range_is_refused_and_named(section, name, value):
    peak = peak_bytes(runfile.read_run_json, json_file(mutated(section, name, value)))
    message = peak_bytes.message
    assert f"{section}.{name}" in message or name in message, message
    assert "`" in message and "<script>" not in message.replace("`<script>x</script>`", ""), message
    assert peak < 2 * MB, f"refusing {section}.{name}={value!r} allocated {peak / MB:.1f} MB"


@pytest.mark.parametrize("section, name, value", [("series", "T", 3_000_000), ("series", "window", 1_000_000),
                                                  ("train", "bptt", -5), ("series", "noise", math.nan)])
def test_the_measured_run_files_are_refused_in_a_weights_file_too(section, name, value, model, no_torch_load,
                                                                  monkeypatch):
    data = runfile.weights_bytes("evil", CFG, model, [])
    payload = {"format": runfile.FORMAT, "version": runfile.VERSION, "name": "evil",
               "config": json.dumps(mutated(section, name, value)), "metrics": "[]",
               "state_dict": model.state_dict()}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    monkeypatch.undo()  # the real torch.load for a well-formed archive
    with pytest.raises(CheckpointError, match=f"{section}.{name}"):
        runfile.read_weights(buffer.getvalue())
    assert runfile.read_weights(data).cfg == CFG


def test_a_file_config_is_rebuilt_from_the_lab_defaults_plus_its_checked_fields():
    rf = runfile.read_run_json(json_file({"task": "forecast", "model": {"cell": "lstm"}, "series": {"name": "airline"}}))
    base = LAB_DEFAULTS["forecast"]
    assert rf.cfg == replace(base, model=replace(base.model, cell="lstm"), series=replace(base.series, name="airline"))


@pytest.mark.parametrize("raw, needle", [
    ({"task": "forecast", "evil": {}}, "evil"),
    ({"task": "forecast", "model": {"cell": "gru", "__class__": "x"}}, "__class__"),
    ({"task": "forecast", "model": ["gru"]}, "model"),
    ({"task": "rm -rf", "model": {}}, "task"),
    ({"task": "lm", "text": {"token": "word"}}, "token"),
    ({"task": "forecast", "series": {"name": "upload"}}, "series"),
])
def test_unknown_sections_fields_and_names_are_refused(raw, needle):
    with pytest.raises(CheckpointError, match=needle):
        runfile.read_run_json(json_file(raw))


def zip_with(members: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def forge_sizes(data: bytes, size: int) -> bytes:
    """Returns the zip with every central-directory entry declaring `size` bytes (compressed and not)."""
    out, start = bytearray(data), 0
    while (at := out.find(b"PK\x01\x02", start)) != -1:
        out[at + 20:at + 28] = struct.pack("<II", size, size)
        start = at + 4
    return bytes(out)


def test_a_zip_bomb_is_refused_before_torch_load_with_bounded_memory(no_torch_load):
    bomb = zip_with({"archive/data.pkl": bytes(64 * MB)}, zipfile.ZIP_DEFLATED)  # 64 MB of zeros -> ~64 KB
    assert len(bomb) < MB
    peak = peak_bytes(runfile.read_weights, bomb)
    assert "compressed" in peak_bytes.message
    assert peak < 2 * MB, f"{peak / MB:.1f} MB allocated to refuse a {len(bomb) / 1e3:.0f} KB bomb"


def test_a_member_declaring_2_gib_is_refused_before_torch_load(no_torch_load):
    forged = forge_sizes(zip_with({"archive/data.pkl": b"x" * 1000, "archive/data/0": b"y" * 1000}), 2**31 - 1)
    peak = peak_bytes(runfile.read_weights, forged)
    assert "declares" in peak_bytes.message and "2147.5 MB" in peak_bytes.message
    assert peak < 2 * MB


@pytest.mark.parametrize("members, needle", [
    ({f"archive/data/{i}": b"0" for i in range(runfile.MAX_MEMBERS + 1)}, "parts"),
    ({"archive/data.pkl": b"x", "archive/data/0": bytes(runfile.MAX_TENSOR_BYTES + 1)}, "declares"),
    ({"archive/data.pkl": bytes(runfile.MAX_PICKLE_BYTES + 1)}, "declares"),
])
def test_archives_larger_than_any_lab_run_are_refused(members, needle, no_torch_load):
    data = zip_with(members)
    with pytest.raises(CheckpointError, match=needle):
        runfile.read_weights(data, max_bytes=12 * MB)


def test_members_each_small_enough_but_adding_up_past_a_run_are_refused(no_torch_load):
    forged = forge_sizes(zip_with({f"archive/data/{i}": b"0" * 100 for i in range(8)}), int(1.5 * MB))
    with pytest.raises(CheckpointError, match="add up"):
        runfile.read_weights(forged)


def test_a_tensor_that_claims_a_billion_elements_over_one_float_is_refused(model):
    state = dict(model.state_dict())
    key = next(iter(state))
    state[key] = torch.zeros(1).expand(10**9)  # a stride-0 view: tiny on disk, 4 GB if anything copied it
    payload = {"format": runfile.FORMAT, "version": runfile.VERSION, "name": "x",
               "config": json.dumps(runfile.config_to_dict(CFG)), "metrics": "[]", "state_dict": state}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    peak = peak_bytes(runfile.read_weights, buffer.getvalue())
    assert "weights" in peak_bytes.message and peak < 4 * MB


@pytest.mark.parametrize("config, metrics", [
    ("[" * 200_000, "[]"),
    (json.dumps(runfile.config_to_dict(CFG)), "[" * 200_000),
    (json.dumps(runfile.config_to_dict(CFG)), json.dumps([{"step": 1}] * (runfile.MAX_RECORDS + 1))),
    (json.dumps(runfile.config_to_dict(CFG)), json.dumps([{"step": "1; rm -rf /"}])),
])
def test_deep_or_huge_json_inside_a_weights_file_is_refused(config, metrics, model):
    payload = {"format": runfile.FORMAT, "version": runfile.VERSION, "name": "x", "config": config,
               "metrics": metrics, "state_dict": model.state_dict()}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(CheckpointError):
        runfile.read_weights(buffer.getvalue())


class _Shell:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/rnnviz_pwned",))


@pytest.mark.parametrize("payload", [
    {"format": runfile.FORMAT, "version": 1, "state_dict": _Shell()},
    {"format": runfile.FORMAT, "version": 1, "config": _Shell()},
    _Shell(),
])
def test_malicious_pickles_are_refused_and_never_run(payload, tmp_path):
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(CheckpointError, match="Python objects"):
        runfile.read_weights(buffer.getvalue())
    import os
    assert not os.path.exists("/tmp/rnnviz_pwned")


def test_the_largest_run_the_gate_allows_fits_the_archive_limits():
    """The limits are what a real run of the largest allowed model needs: LSTM, 256 units, 3 layers, the
    largest review vocabulary (the smallest test part, the longest sentences) with the widest embeddings, and a
    metric row for each of the most steps."""
    from rnnviz.data import build_sentiment

    top = {n: bounds(cls, n)[1] for cls, n in ((ModelConfig, "hidden_size"), (ModelConfig, "num_layers"),
                                                (ModelConfig, "embed_dim"), (SentimentConfig, "max_len"))}
    cfg = replace(LAB_DEFAULTS["sentiment"],
                  model=ModelConfig(cell="lstm", hidden_size=top["hidden_size"], num_layers=top["num_layers"],
                                    embed_dim=top["embed_dim"]),
                  sentiment=SentimentConfig(source="imdb", test_frac=bounds(SentimentConfig, "test_frac")[0],
                                            max_len=top["max_len"]),
                  train=replace(LAB_DEFAULTS["sentiment"].train, steps=runfile.MAX_RECORDS))
    big = make_model(make_task(cfg, build_sentiment(cfg.sentiment)), cfg.model, 0)
    history = [StepMetrics(i + 1, 0.6931471805599453, 1.2345678901234567, 1.0, True, 0.01, 123.456789, None,
                           0.515625) for i in range(runfile.MAX_RECORDS)]
    data = runfile.weights_bytes("largest run the lab allows", cfg, big, history)
    assert len(data) <= runfile.MAX_BYTES
    sizes = {i.filename: i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert max(v for k, v in sizes.items() if not k.endswith(".pkl")) <= runfile.MAX_TENSOR_BYTES
    rf = runfile.read_weights(data)
    assert rf.cfg == cfg and len(rf.history) == runfile.MAX_RECORDS
    assert dataclasses.astuple(rf.history[0]) == dataclasses.astuple(history[0])


@pytest.mark.parametrize("case", ["bomb", "forged", "T=3,000,000", "noise=NaN"])
def test_the_lab_page_refuses_hostile_run_files_with_a_message_and_keeps_the_learners_run(case, model, monkeypatch):
    from conftest import app_test

    from rnnviz.ui import lab

    if case == "bomb":
        data = zip_with({"archive/data.pkl": bytes(16 * MB)}, zipfile.ZIP_DEFLATED)
    elif case == "forged":
        data = forge_sizes(zip_with({"archive/data.pkl": b"x" * 100}), 2**31 - 1)
    else:
        section, name, value = ("series", "T", 3_000_000) if case.startswith("T") else ("series", "noise", math.nan)
        payload = {"format": runfile.FORMAT, "version": runfile.VERSION, "name": "evil",
                   "config": json.dumps(mutated(section, name, value)), "metrics": "[]",
                   "state_dict": model.state_dict()}
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        data = buffer.getvalue()
    at = app_test("pages/3_Training_lab.py")
    at.run()
    at.radio(key="lab_task").set_value("forecast").run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.button(key="lab_start").click().run()
    mine = at.session_state[lab.LAB_KEY]
    loads = []
    real_load = runfile.torch.load
    monkeypatch.setattr(runfile.torch, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    at.file_uploader(key="lab_upload").set_value(("evil.pt", data, "application/octet-stream")).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error).replace("\\", "")  # messages are shown as text: escapes go
    assert ("compressed" in errors or "declares" in errors) if case in ("bomb", "forged") else "series." in errors
    assert loads == ([] if case in ("bomb", "forged") else [1])  # a bomb never reaches torch.load
    assert at.session_state[lab.LAB_KEY] is mine  # the learner's run is kept
