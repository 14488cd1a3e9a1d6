"""The run store's cost: bytes per run on disk for every preset, the time of one save, and the time to restore
a learner's runs (what a reload does). Runs in a temporary store folder; nothing is kept.

    python bench/bench_store.py

Each preset's run is measured at the end of its step budget, the largest it gets: the full metrics and the
lab's bounded snapshots (as many as a session keeps, thinned to the store's per-run budget) and the
optimizer's state.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)  # Streamlit's bare-mode warnings

import torch  # noqa: E402

from rnnviz import runstore  # noqa: E402
from rnnviz.presets import PRESETS  # noqa: E402
from rnnviz.tasks import make_model, make_task  # noqa: E402
from rnnviz.train import Snapshot, StepMetrics  # noqa: E402
from rnnviz.ui import cache, keep  # noqa: E402
from rnnviz.ui.lab_runs import private_run  # noqa: E402


def full_run(cfg):
    """Returns a TrainRun of cfg as it stands at the end of its budget: every step's metrics, snapshots full."""
    task = make_task(cfg, cache.data_for(cfg))
    run = private_run(make_model(task, cfg.model, cfg.train.seed), task, cfg)
    run.run(1)  # the optimizer's state (Adam's moments) exists from the first step on
    run.history = [StepMetrics(i + 1, 2.0, 1.0, 1.0, False, cfg.train.lr, 50.0, 7.0) for i in range(cfg.train.steps)]
    state = run.snapshots[0].state
    last = run.max_snapshots - 1
    run.snapshots = [Snapshot(round(k * cfg.train.steps / last), state) for k in range(run.max_snapshots)]
    return run


def stored(cfg, run) -> runstore.StoredRun:
    return runstore.StoredRun(runstore.new_run_id(), "bench", cfg, run.history, run.model.state_dict(),
                              [(s.step, s.state) for s in run.snapshots], run.snapshot_every, "paused", True,
                              optimizer=run.optimizer.state_dict())


def main() -> None:
    """Runs the measurements in a temporary store folder, removed afterwards."""
    torch.set_num_threads(1)
    os.environ[runstore.DATA_ENV] = folder = tempfile.mkdtemp(prefix="rnnviz-bench-store-")
    try:
        measure()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure() -> None:
    """Prints bytes per preset run, save and load times, the restore of a learner's runs and the bounds."""
    token = runstore.new_token()
    print(f"{'preset':38s} {'weights':>10s} {'snapshots':>9s} {'on disk':>10s} {'1st save':>8s} {'save ms':>8s} "
          f"{'load ms':>8s}")
    sizes = []
    for preset in PRESETS:
        run = full_run(preset.cfg)
        entry = stored(preset.cfg, run)
        weights = sum(v.numel() * v.element_size() for v in run.model.state_dict().values())
        times, cache = [], {}
        for _ in range(6):  # the first save serialises every snapshot; later ones (while training) reuse them
            start = time.perf_counter()
            size = runstore.save(token, entry, cache)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        back = runstore.load(token, entry.run_id)
        keep._rebuild(back)
        load = time.perf_counter() - start
        sizes.append(size)
        print(f"{preset.name:38s} {weights / 1e3:8.0f} kB {len(back.snapshots):9d} {size / 1e3:8.0f} kB "
              f"{times[0] * 1e3:8.1f} {statistics.median(times[1:]) * 1e3:8.1f} {load * 1e3:8.1f}")
    print(f"median bytes per run: {statistics.median(sizes) / 1e3:.0f} kB; largest {max(sizes) / 1e3:.0f} kB")
    # A reload: every stored run of the learner (the per-learner maximum) read, checked and rebuilt.
    token = runstore.new_token()
    for preset in PRESETS[:runstore.MAX_RUNS]:
        runstore.save(token, stored(preset.cfg, full_run(preset.cfg)))
    for _ in range(2):  # the first pass also warms the data caches, as a server does once
        start = time.perf_counter()
        runs = [keep._rebuild(sr) for sr in runstore.load_all(token)]
        took = time.perf_counter() - start
    print(f"restore of a learner's {len(runs)} runs (reload): {took * 1e3:.0f} ms")
    print(f"bounds: {runstore.MAX_RUNS} runs and {runstore.MAX_LEARNER_BYTES / 2**20:.0f} MiB per learner, "
          f"{runstore.MAX_TOTAL_BYTES / 2**30:.0f} GiB in total, {runstore.SNAPSHOT_BYTES / 2**20:.0f} MiB of "
          f"snapshots per run, {runstore.MAX_ENTRY_BYTES / 2**20:.0f} MiB per entry")


if __name__ == "__main__":
    main()
