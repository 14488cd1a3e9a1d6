"""The Tang preset's lab step rate against The Time Machine preset at the same hidden size.

Run: python bench/bench_tang.py [--steps N] [--repeats N]
Goal: the Tang preset (tang-gru, ~2,500-character vocabulary) within 2x of d2l-gru (28 characters) with the
hidden size set to the Tang preset's. Both train through the lab's own TrainRun, one thread, in the same run,
interleaved; the Tang preset is also timed with its first layer reading one-hot vectors (the path before the
lookup) to show what the lookup buys. Characters per second (steps x batch x sequence length) are printed too:
the two presets cut their minibatches differently.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.config import RunConfig  # noqa: E402
from rnnviz.data import load_corpus  # noqa: E402
from rnnviz.models import LanguageModel, init_weights  # noqa: E402
from rnnviz.presets import PRESETS_BY_SLUG  # noqa: E402
from rnnviz.tasks import make_task  # noqa: E402
from rnnviz.train import TrainRun  # noqa: E402


def lab_run(cfg: RunConfig, lookup: bool | None = None) -> tuple[TrainRun, int]:
    """Returns (a TrainRun of cfg as the lab makes it, its vocabulary size); lookup forces the input path."""
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    model = init_weights(LanguageModel(len(corpus.vocab), cfg.model, lookup=lookup), cfg.train.seed)
    return TrainRun(model, task, cfg.train), len(corpus.vocab)


def rate(run: TrainRun, steps: int) -> float:
    """Returns steps per second over `steps` training steps."""
    start = time.perf_counter()
    run.run(steps)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20, help="steps per timed chunk")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved chunks per run (median)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tang = PRESETS_BY_SLUG["tang-gru"].cfg
    d2l = PRESETS_BY_SLUG["d2l-gru"].cfg
    hidden = tang.model.hidden_size
    rows = {
        "tang-gru (lookup)": (tang, None),
        "tang-gru, one-hot input": (tang, False),
        f"d2l-gru at hidden {hidden}": (replace(d2l, model=replace(d2l.model, hidden_size=hidden)), None),
    }
    runs = {name: lab_run(cfg, lookup) for name, (cfg, lookup) in rows.items()}
    for run, _ in runs.values():
        run.run(3)  # warm up
    rates: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(args.repeats):
        for name, (run, _) in runs.items():
            rates[name].append(rate(run, args.steps))
    print(f"torch {torch.__version__}, 1 thread, median of {args.repeats} interleaved chunks of {args.steps} steps")
    print(f"{'run':<28}{'V':>6}{'lookup':>8}{'B x T':>9}{'steps/s':>10}{'chars/s':>10}")
    medians = {}
    for name, (run, vocab) in runs.items():
        cfg = rows[name][0]
        medians[name] = statistics.median(rates[name])
        per_step = cfg.text.batch_size * cfg.text.num_steps
        print(f"{name:<28}{vocab:>6}{str(run.model.lookup):>8}{f'{cfg.text.batch_size}x{cfg.text.num_steps}':>9}"
              f"{medians[name]:>10.1f}{medians[name] * per_step:>10.0f}")
    ratio = medians[f"d2l-gru at hidden {hidden}"] / medians["tang-gru (lookup)"]
    gain = medians["tang-gru (lookup)"] / medians["tang-gru, one-hot input"]
    print(f"The Time Machine / Tang step rate: {ratio:.2f}x (goal <= 2x); lookup vs one-hot on Tang: {gain:.2f}x faster")


if __name__ == "__main__":
    main()
