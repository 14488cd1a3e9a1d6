"""The run store: round trips, bounds and eviction, tokens that never reach a path, concurrent writers, damage."""

from __future__ import annotations

import logging
import multiprocessing
import zipfile
from dataclasses import replace

import pytest
import torch

from rnnviz import runstore
from rnnviz.config import ModelConfig, RunConfig, TrainConfig
from rnnviz.history import Moment
from rnnviz.train import StepMetrics


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.setenv(runstore.DATA_ENV, str(tmp_path / "data"))
    return tmp_path / "data"


def _state(seed: int, hidden: int = 4) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"rnn.weight_hh_l0": torch.randn(hidden, hidden, generator=g), "head.bias": torch.randn(3, generator=g)}


def _run(run_id: str | None = None, steps: int = 5, name: str = "GRU 4", hidden: int = 4, seed: int = 0,
         saved_at: float = 0.0) -> runstore.StoredRun:
    cfg = RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=hidden), train=TrainConfig(steps=100))
    history = [StepMetrics(i + 1, 4.0 / (i + 1), 1.5, 1.0, i % 2 == 0, 0.01, 30.0, 50.0 / (i + 1)) for i in range(steps)]
    snaps = [(0, _state(seed + 100, hidden)), (steps, _state(seed + 200, hidden))]
    optimizer = {"state": {0: {"step": torch.tensor(float(steps)), "exp_avg": _state(seed + 300, hidden)["head.bias"]}},
                 "param_groups": [{"lr": 1e9, "params": [0]}]}  # hyperparameters are never kept
    return runstore.StoredRun(run_id or runstore.new_run_id(), name, cfg, history, _state(seed, hidden), snaps,
                              snapshot_every=5, status="running", current=True,
                              sample={"step": steps, "prefix": "time", "temperature": 0.8, "text": "time the"},
                              saved_at=saved_at, optimizer=optimizer, diverged="Training diverged: the loss became inf.",
                              story=(Moment(0, sample="tiiiime", prefix="time", temperature=0.8),
                                     Moment(steps, sample="time the", prefix="time", temperature=0.8)))


def test_round_trip_keeps_weights_curves_snapshots_and_sample():
    token, run = runstore.new_token(), _run()
    size = runstore.save(token, run)
    back = runstore.load(token, run.run_id)
    assert size > 0 and back is not None
    assert back.name == run.name and back.cfg == run.cfg and back.history == run.history
    assert back.state.keys() == run.state.keys() and all(torch.equal(back.state[k], v) for k, v in run.state.items())
    assert [s for s, _ in back.snapshots] == [0, 5]
    assert all(torch.equal(a[1][k], b[1][k]) for a, b in zip(back.snapshots, run.snapshots) for k in a[1])
    assert back.status == "running" and back.current and back.sample == run.sample and back.snapshot_every == 5
    assert back.diverged == run.diverged and back.saved_at > 0  # stamped when saved
    assert back.story == run.story  # the sample history comes back with the run
    assert set(back.optimizer) == {"state"} and torch.equal(back.optimizer["state"][0]["exp_avg"],
                                                            run.optimizer["state"][0]["exp_avg"])
    assert [r.run_id for r in runstore.load_all(token)] == [run.run_id]
    [summary] = runstore.list_runs(token)
    assert summary.steps_done == 5 and summary.loss == pytest.approx(0.8) and summary.name == "GRU 4"


def test_tokens_are_checked_before_any_path_and_learners_are_apart(_store):
    a, b = runstore.new_token(), runstore.new_token()
    assert a != b and runstore.valid_token(a)
    run = _run()
    runstore.save(a, run)
    assert runstore.load_all(b) == [] and runstore.load(b, run.run_id) is None
    for bad in ("../../etc", "", "a" * 21, "a" * 23, "a/b" * 8, None, 42, "é" * 22):
        assert not runstore.valid_token(bad)
        assert runstore.load_all(bad) == [] and runstore.list_runs(bad) == []
        with pytest.raises(ValueError):
            runstore.save(bad, _run())
    with pytest.raises(ValueError):
        runstore.save(a, replace(_run(), run_id="../x"))
    assert runstore.load(a, "../../x") is None
    folders = [p.name for p in (_store / "runs").iterdir()]
    assert a not in folders and folders == [runstore.learner_key(a)]  # the folder never shows the token


def test_a_learner_keeps_at_most_max_runs_and_the_oldest_go_first(monkeypatch):
    token = runstore.new_token()
    ids = [runstore.new_run_id() for _ in range(runstore.MAX_RUNS + 2)]
    for k, run_id in enumerate(ids):
        runstore.save(token, _run(run_id, saved_at=1000.0 + k))
    kept = {s.run_id for s in runstore.list_runs(token)}  # listing is not use: it leaves the order alone
    assert kept == set(ids[2:])
    runstore.load(token, ids[2])  # read back: now the most recently used
    runstore.save(token, _run(runstore.new_run_id()))
    kept = {s.run_id for s in runstore.list_runs(token)}
    assert ids[2] in kept and ids[3] not in kept


def test_byte_bounds_evict_per_learner_and_in_total(monkeypatch):
    one = runstore.save(runstore.new_token(), _run(hidden=64))
    monkeypatch.setattr(runstore, "MAX_LEARNER_BYTES", int(one * 2.5))
    token = runstore.new_token()
    for _ in range(4):
        runstore.save(token, _run(hidden=64))
    assert len(runstore.list_runs(token)) == 2
    monkeypatch.setattr(runstore, "MAX_TOTAL_BYTES", int(one * 3.5))
    others = [runstore.new_token() for _ in range(3)]
    for t in others:
        runstore.save(t, _run(hidden=64))
    assert sum(s.bytes for s in runstore.summaries()) <= runstore.MAX_TOTAL_BYTES
    assert len(runstore.list_runs(others[-1])) == 1  # the newest survives


def test_delete_and_summaries_show_no_token():
    token, run = runstore.new_token(), _run()
    runstore.save(token, run)
    [summary] = list(runstore.summaries())
    assert token not in str(runstore.as_dict(summary)) and summary.learner == runstore.learner_key(token)
    assert runstore.delete(token, run.run_id) and not runstore.delete(token, run.run_id)
    assert runstore.load_all(token) == []


def test_damaged_and_truncated_entries_are_skipped_with_a_log_line(_store, caplog):
    token = runstore.new_token()
    good, bad, cut = _run(), _run(), _run()
    for run in (good, bad, cut):
        runstore.save(token, run)
    folder = _store / "runs" / runstore.learner_key(token)
    (folder / f"{bad.run_id}.run").write_bytes(b"not a zip at all")
    data = (folder / f"{cut.run_id}.run").read_bytes()
    (folder / f"{cut.run_id}.run").write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="rnnviz.runstore"):
        runs = runstore.load_all(token)
        summaries = runstore.list_runs(token)
    assert [r.run_id for r in runs] == [good.run_id] and [s.run_id for s in summaries] == [good.run_id]
    assert sum("skipped damaged entry" in r.message for r in caplog.records) >= 4


def test_an_entry_with_a_snapshot_of_another_model_is_refused(_store):
    token, run = runstore.new_token(), _run()
    runstore.save(token, run)
    path = _store / "runs" / runstore.learner_key(token) / f"{run.run_id}.run"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    other = runstore.encode(_run(hidden=8))
    with zipfile.ZipFile(__import__("io").BytesIO(other)) as zf:
        parts["snap_0.pt"] = zf.read("snap_0.pt")  # a snapshot of another model's shape
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    assert runstore.load(token, run.run_id) is None


def _writer(data_dir: str, token: str, start: int, count: int, queue) -> None:
    import os

    os.environ[runstore.DATA_ENV] = data_dir
    torch.set_num_threads(1)
    ids = []
    for k in range(count):
        run = _run(seed=start + k)
        runstore.save(token, run)
        ids.append(run.run_id)
    queue.put(ids)


def test_two_processes_saving_at_once_lose_nothing_and_corrupt_nothing(_store):
    token = runstore.new_token()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    per = runstore.MAX_RUNS // 2
    procs = [ctx.Process(target=_writer, args=(str(_store), token, 10 * i, per, queue)) for i in range(2)]
    for p in procs:
        p.start()
    saved = [run_id for _ in procs for run_id in queue.get(timeout=60)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    runs = runstore.load_all(token)
    assert sorted(r.run_id for r in runs) == sorted(saved) and len(saved) == 2 * per
    assert not list((_store / "runs" / runstore.learner_key(token)).glob(".tmp-*"))  # no half-written files left


def test_the_same_run_saved_by_two_processes_is_one_whole_entry(_store):
    token, run_id = runstore.new_token(), runstore.new_run_id()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_save_many, args=(str(_store), token, run_id, seed)) for seed in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    back = runstore.load(token, run_id)
    assert back is not None
    assert any(all(torch.equal(back.state[k], v) for k, v in _state(seed).items()) for seed in (1, 2))


def _save_many(data_dir: str, token: str, run_id: str, seed: int) -> None:
    import os

    os.environ[runstore.DATA_ENV] = data_dir
    for _ in range(10):
        runstore.save(token, _run(run_id, seed=seed))


def test_a_snapshot_cache_gives_the_same_bytes_and_stays_bounded():
    run, cache = _run(saved_at=1234.0), {}
    first = runstore.encode(run, cache)
    assert len(cache) == len(run.snapshots) and runstore.encode(run) == runstore.encode(run, cache)
    assert runstore.decode(first, run.run_id).history == run.history
    fewer = replace(run, snapshots=run.snapshots[1:])
    runstore.encode(fewer, cache)
    assert len(cache) == 1
