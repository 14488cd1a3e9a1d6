"""Run files: weights, config and metrics round-trip; anything rnnviz did not write is refused clearly."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from rnnviz import runfile
from rnnviz.config import ModelConfig, RunConfig, SeriesConfig, TrainConfig
from rnnviz.data import load_series
from rnnviz.errors import CheckpointError
from rnnviz.tasks import make_model, make_task
from rnnviz.train import TrainRun

CFG = RunConfig(task="forecast", model=ModelConfig(cell="lstm", hidden_size=8),
                train=TrainConfig(steps=20, seed=3), series=SeriesConfig(name="sine", T=200, n_train=120, window=16))


@pytest.fixture(scope="module")
def trained() -> TrainRun:
    task = make_task(CFG, load_series(CFG.series))
    run = TrainRun(make_model(task, CFG.model, CFG.train.seed), task, CFG.train)
    run.run(6)
    return run


def fresh_model(cfg: RunConfig = CFG) -> nn.Module:
    return make_model(make_task(cfg, load_series(cfg.series)), cfg.model, seed=99)


def saved(payload) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def test_weights_round_trip_restores_model_config_and_metrics(trained):
    data = runfile.weights_bytes("my run", CFG, trained.model, trained.history)
    rf = runfile.read_weights(data)
    assert rf.name == "my run" and rf.cfg == CFG and rf.history == trained.history
    model = runfile.load_into(fresh_model(), rf.state_dict)
    for (k, a), b in zip(model.state_dict().items(), trained.model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)


def test_json_and_csv_hold_config_and_every_step(trained):
    rf = runfile.read_run_json(runfile.run_json("r", CFG, trained.history))
    assert rf.cfg == CFG and rf.history == trained.history and rf.state_dict is None
    frame = pd.read_csv(io.BytesIO(runfile.metrics_csv(trained.history)))
    assert list(frame["step"]) == [m.step for m in trained.history]
    assert frame["loss"].tolist() == pytest.approx([m.loss for m in trained.history])


def test_pickled_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    with pytest.raises(CheckpointError, match="Python objects"):
        runfile.read_weights(saved({"format": runfile.FORMAT, "version": 1, "evil": Evil()}))
    assert not marker.exists()


@pytest.mark.parametrize("data", [b"", b"hello", bytes(range(256)) * 40, b"PK\x03\x04" + b"\x00" * 100])
def test_random_bytes_are_refused(data):
    with pytest.raises(CheckpointError, match="not a|cannot be restored"):
        runfile.read_weights(data)


def test_a_zip_that_is_not_torch_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(CheckpointError):
        runfile.read_weights(buffer.getvalue())


def test_another_models_checkpoint_is_refused():
    with pytest.raises(CheckpointError, match="not a run saved by rnnviz"):
        runfile.read_weights(saved(nn.Linear(3, 3).state_dict()))


def test_oversize_file_is_refused_before_reading(trained):
    data = runfile.weights_bytes("r", CFG, trained.model, trained.history)
    with pytest.raises(CheckpointError, match="MB"):
        runfile.read_weights(data, max_bytes=len(data) - 1)


def test_weights_that_do_not_fit_the_model_are_refused(trained):
    state = dict(runfile.read_weights(runfile.weights_bytes("r", CFG, trained.model, trained.history)).state_dict)
    wrong_shape = {**state, "out.weight": torch.zeros(1, 9)}
    with pytest.raises(CheckpointError, match="shape"):
        runfile.load_into(fresh_model(), wrong_shape)
    missing = {k: v for k, v in state.items() if k != "out.bias"}
    with pytest.raises(CheckpointError, match="missing"):
        runfile.load_into(fresh_model(), missing)
    with pytest.raises(CheckpointError, match="NaN"):
        runfile.load_into(fresh_model(), {**state, "out.bias": torch.tensor([float("nan")])})
    bigger = replace(CFG, model=replace(CFG.model, hidden_size=16))
    with pytest.raises(CheckpointError):
        runfile.load_into(fresh_model(bigger), state)


def test_a_config_out_of_range_or_unknown_is_refused(trained):
    good = runfile.config_to_dict(CFG)
    for bad in ({**good, "model": {**good["model"], "hidden_size": 100_000}}, {**good, "task": "chess"},
                {**good, "train": {**good["train"], "warp": 9}}, {**good, "model": "gru"}, "not a dict"):
        payload = {"format": runfile.FORMAT, "version": 1, "name": "x", "config": json.dumps(bad),
                   "metrics": "[]", "state_dict": trained.model.state_dict()}
        with pytest.raises(CheckpointError):
            runfile.read_weights(saved(payload))


def test_other_versions_and_damaged_metrics_are_refused(trained):
    payload = {"format": runfile.FORMAT, "version": 1, "name": "x", "config": json.dumps(runfile.config_to_dict(CFG)),
               "metrics": "[]", "state_dict": trained.model.state_dict()}
    assert runfile.read_weights(saved(payload)).history == []
    with pytest.raises(CheckpointError, match="version"):
        runfile.read_weights(saved({**payload, "version": 99}))
    with pytest.raises(CheckpointError, match="metrics"):
        runfile.read_weights(saved({**payload, "metrics": json.dumps([{"step": "one"}])}))
    with pytest.raises(CheckpointError, match="weights"):
        runfile.read_weights(saved({**payload, "state_dict": {"w": "not a tensor"}}))
