"""The class board's cost: the time to read the public summaries of a class's runs from the store, what each
board refresh costs at most once per board.CACHE_S per process. Runs in a temporary store folder; nothing is kept.

    python bench/bench_board.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from rnnviz import classcode, runstore  # noqa: E402
from rnnviz.config import ModelConfig, RunConfig, TrainConfig  # noqa: E402
from rnnviz.train import StepMetrics  # noqa: E402

RUNS_PER_LEARNER = runstore.MAX_RUNS  # every learner at the store's bound


def main() -> None:
    folder = tempfile.mkdtemp(prefix="rnnviz-bench-board-")
    os.environ[runstore.DATA_ENV] = folder
    try:
        code, _ = classcode.start_board()
        cfg = RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=64), train=TrainConfig(steps=500))
        history = [StepMetrics(i + 1, 2.0, 1.0, 1.0, False, 0.01, 30.0) for i in range(500)]
        learners = 0
        for total in (30, 120):
            for _ in range(total - learners):
                token = runstore.new_token()
                for _ in range(RUNS_PER_LEARNER):
                    runstore.save(token, runstore.StoredRun(runstore.new_run_id(), "GRU 64", cfg, history,
                                                            {"w": torch.zeros(64, 64)}, board=(code, "x")))
            learners = total
            times = []
            for _ in range(5):
                start = time.perf_counter()
                rows = [s for s in runstore.summaries() if s.class_code == code]
                times.append(time.perf_counter() - start)
            print(f"{learners} learners, {len(rows)} runs: reading the board's rows {min(times) * 1000:.0f} ms "
                  f"(min of 5), median {statistics.median(times) * 1000:.0f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
