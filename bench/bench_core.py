"""Benchmarks of the library's hot paths, as ratios against plain PyTorch measured in the same run.

Run: python bench/bench_core.py [--repeats N]
Goals: training step <= 1.05x a bare loop; full trace of 500 steps <= 5x the fused forward;
gradients-across-time pass <= 1.5x one fused training step on the same batch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig  # noqa: E402
from rnnviz.data import lm_batches, load_corpus  # noqa: E402
from rnnviz.tasks import make_model, make_task  # noqa: E402
from rnnviz.tracing import hidden_grads, trace_model  # noqa: E402
from rnnviz.train import TrainRun  # noqa: E402


def paired(ours, base, repeats: int) -> tuple[float, float]:
    """Returns median ms of (ours, base), alternating which runs first so drift and cache effects hit both."""
    a, b = [], []
    for i in range(repeats):
        if i % 2:
            b += timed(base, 1)
            a += timed(ours, 1)
        else:
            a += timed(ours, 1)
            b += timed(base, 1)
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3


def timed(fn, repeats: int) -> list[float]:
    """Returns wall times in seconds of repeats calls to fn."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def bench_training_step(cell: str, repeats: int) -> tuple[float, float]:
    """Returns median ms per step of (rnnviz TrainRun, bare PyTorch loop) on the d2l char LM."""
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=256),
                    train=TrainConfig(optimizer="adam", lr=0.001, clip=1.0), text=TextConfig(batch_size=32, num_steps=35))
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train)

    bare_model = make_model(make_task(cfg, corpus), cfg.model, 0)
    bare_opt = torch.optim.Adam(bare_model.parameters(), lr=0.001)
    batches = lm_batches(corpus.indices, 32, 35, "sequential", torch.Generator().manual_seed(1))
    state = [None]

    def bare_step():
        X, Y = next(batches)
        s = state[0]
        if s is not None:
            s = tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach()
        logits, state[0] = bare_model(X, s)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        bare_opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(bare_model.parameters(), 1.0)
        bare_opt.step()
        loss.item()

    for _ in range(3):  # warm up both
        run.step()
        bare_step()
    return paired(run.step, bare_step, repeats)


def bench_trace(cell: str, repeats: int) -> tuple[float, float]:
    """Returns median ms of (full trace, fused forward) for a 500-step sequence, hidden 256."""
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=256))
    corpus = load_corpus(cfg.text)
    model = make_model(make_task(cfg, corpus), cfg.model, 0).eval()
    x = corpus.indices[:500][None]  # (1, 500)

    def fused():
        with torch.no_grad():
            model(x)

    trace_model(model, x)
    fused()
    return paired(lambda: trace_model(model, x), fused, repeats)


def bench_grads(cell: str, repeats: int) -> tuple[float, float]:
    """Returns median ms of (||dL/dh_t|| pass, one fused training step) on the same d2l LM batch."""
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=256), text=TextConfig(batch_size=32, num_steps=35))
    corpus = load_corpus(cfg.text)
    model = make_model(make_task(cfg, corpus), cfg.model, 0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, Y = next(lm_batches(corpus.indices, 32, 35, "sequential", torch.Generator().manual_seed(0)))

    def loss_fn(logits):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))

    def fused_step():
        logits, _ = model(X)
        loss = loss_fn(logits)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    def grads():
        hidden_grads(model, X, loss_fn)

    fused_step()
    grads()
    return paired(grads, fused_step, repeats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cells", default="rnn_tanh,gru,lstm")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, median of {args.repeats} interleaved repeats")
    print(f"{'benchmark':<47}{'cell':<10}{'rnnviz ms':>11}{'torch ms':>10}{'ratio':>8}  goal")
    for cell in args.cells.split(","):
        rows = [
            ("train step (char LM, B32 T35 H256, Adam+clip)", bench_training_step(cell, args.repeats), 1.05),
            ("full trace vs fused forward (T500 H256)", bench_trace(cell, max(args.repeats // 2, 3)), 5.0),
            ("dL/dh_t pass vs fused train step (B32 T35)", bench_grads(cell, args.repeats), 1.5),
        ]
        for name, (ours, base), goal in rows:
            ratio = ours / base
            verdict = "ok" if ratio <= goal else "OVER"
            print(f"{name:<47}{cell:<10}{ours:>11.2f}{base:>10.2f}{ratio:>8.2f}  <= {goal} {verdict}")


if __name__ == "__main__":
    main()
