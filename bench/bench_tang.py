"""The Tang preset's lab step rate against The Time Machine preset at the same hidden size.

Run: python bench/bench_tang.py [--steps N] [--repeats N] [--loss]
Goal: the Tang preset (tang-gru as shipped: the Tang poems with characters seen once read as <unk>, min_freq=2)
within 2x of d2l-gru (28 characters) with the hidden size set to the Tang preset's. Every row trains through the
lab's own TrainRun (fused Adam or SGD, the chunked output layer for large vocabularies, rnnviz.tasks.LARGE_VOCAB),
one thread, in the same run, interleaved. Besides the preset: the same preset keeping every character
(min_freq=1, ~2,500), and with its first layer reading one-hot vectors (the path before the lookup) to show what
the lookup buys. Characters per second (steps x batch x sequence length) are printed too: the two presets cut
their minibatches differently. The ratios are given for wall time (what a learner waits) and for the thread's
CPU time, which leaves out the time other processes held the core (both share its caches all the same).
--loss also times one output layer + cross-entropy (forward and backward), plain against chunked (rnnviz.losses),
at the rows' vocabularies and around rnnviz.tasks.LARGE_VOCAB (where the lab switches), for both presets' minibatches.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.config import RunConfig  # noqa: E402
from rnnviz.data import load_corpus  # noqa: E402
from rnnviz.losses import linear_cross_entropy  # noqa: E402
from rnnviz.models import LanguageModel, init_weights  # noqa: E402
from rnnviz.presets import PRESETS_BY_SLUG  # noqa: E402
from rnnviz.tasks import LARGE_VOCAB, make_task  # noqa: E402
from rnnviz.train import TrainRun  # noqa: E402

PRESET = "tang-gru (as shipped)"


def lab_run(cfg: RunConfig, lookup: bool | None = None) -> tuple[TrainRun, int]:
    """Returns (a TrainRun of cfg as the lab makes it, its vocabulary size); lookup forces the input path."""
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    model = init_weights(LanguageModel(len(corpus.vocab), cfg.model, lookup=lookup), cfg.train.seed)
    return TrainRun(model, task, cfg.train), len(corpus.vocab)


def rate(run: TrainRun, steps: int) -> tuple[float, float]:
    """Returns steps per second over `steps` training steps: of wall time, and of this thread's CPU time."""
    start, cpu = time.perf_counter(), time.thread_time()
    run.run(steps)
    return steps / (time.perf_counter() - start), steps / (time.thread_time() - cpu)


def loss_ms(vocab: int, rows: int, hidden: int, chunked: bool, repeats: int = 30) -> float:
    """Returns the median milliseconds of one output layer + cross-entropy, forward and backward."""
    g = torch.Generator().manual_seed(0)
    h = torch.randn(rows, hidden, generator=g, requires_grad=True)
    w = torch.randn(vocab, hidden, generator=g, requires_grad=True)
    b = torch.zeros(vocab, requires_grad=True)
    y = torch.randint(0, vocab, (rows,), generator=g)
    times = []
    for k in range(repeats + 5):
        h.grad = w.grad = b.grad = None
        start = time.perf_counter()
        loss = linear_cross_entropy(h, w, b, y) if chunked else F.cross_entropy(F.linear(h, w, b), y)
        loss.backward()
        if k >= 5:  # warm-up
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20, help="steps per timed chunk")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved chunks per run (median)")
    parser.add_argument("--loss", action="store_true", help="also time the output layer alone, plain vs chunked")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tang = PRESETS_BY_SLUG["tang-gru"].cfg
    d2l = PRESETS_BY_SLUG["d2l-gru"].cfg
    hidden = tang.model.hidden_size
    rows = {
        PRESET: (tang, None),
        "tang-gru, min_freq=1": (replace(tang, text=replace(tang.text, min_freq=1)), None),
        "tang-gru, one-hot input": (tang, False),
        f"d2l-gru at hidden {hidden}": (replace(d2l, model=replace(d2l.model, hidden_size=hidden)), None),
    }
    runs = {name: lab_run(cfg, lookup) for name, (cfg, lookup) in rows.items()}
    for run, _ in runs.values():
        run.run(3)  # warm up
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
    for _ in range(args.repeats):
        for name, (run, _) in runs.items():
            rates[name].append(rate(run, args.steps))
    print(f"torch {torch.__version__}, 1 thread, median of {args.repeats} interleaved chunks of {args.steps} steps")
    print(f"{'run':<28}{'V':>6}{'min_freq':>9}{'lookup':>8}{'B x T':>9}{'steps/s':>10}{'chars/s':>10}{'CPU steps/s':>13}")
    wall, cpu = {}, {}
    for name, (run, vocab) in runs.items():
        cfg = rows[name][0]
        wall[name] = statistics.median(w for w, _ in rates[name])
        cpu[name] = statistics.median(c for _, c in rates[name])
        per_step = cfg.text.batch_size * cfg.text.num_steps
        print(f"{name:<28}{vocab:>6}{cfg.text.min_freq:>9}{str(run.model.lookup):>8}"
              f"{f'{cfg.text.batch_size}x{cfg.text.num_steps}':>9}{wall[name]:>10.1f}{wall[name] * per_step:>10.0f}"
              f"{cpu[name]:>13.1f}")
    d2l_row = f"d2l-gru at hidden {hidden}"
    for what, medians in (("wall", wall), ("CPU", cpu)):
        print(f"The Time Machine / Tang step rate ({what} time): {medians[d2l_row] / medians[PRESET]:.2f}x for the "
              f"preset (goal <= 2x), {medians[d2l_row] / medians['tang-gru, min_freq=1']:.2f}x keeping every character; "
              f"lookup vs one-hot on Tang: {medians[PRESET] / medians['tang-gru, one-hot input']:.2f}x faster")
    if args.loss:  # the vocabularies of the rows, and around LARGE_VOCAB, where the lab switches to the chunked one
        vocabs = sorted({runs[name][1] for name in runs} | {128, 256, LARGE_VOCAB, 1024})
        for n in (tang.text.batch_size * tang.text.num_steps, d2l.text.batch_size * d2l.text.num_steps):
            for vocab in vocabs:
                plain, chunked = loss_ms(vocab, n, hidden, False), loss_ms(vocab, n, hidden, True)
                print(f"output layer + cross-entropy, V={vocab:>5}, {n} rows: plain {plain:6.2f} ms, "
                      f"chunked {chunked:6.2f} ms ({plain / chunked:.2f}x)")


if __name__ == "__main__":
    main()
