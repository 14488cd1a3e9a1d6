"""Where one refresh of the training lab spends its time, without Streamlit's server in the way.

One live refresh does: a training chunk (a time budget, at most TICK_SECONDS), then it builds the loss
and gradient-norm figures from the whole history (fitted to narrow screens as they are built), and
Streamlit serialises each figure to JSON (`plotly.io.to_json(fig, validate=False)`, what st.plotly_chart
does) and sends it; it also samples a line of text (at every new step, at most every SAMPLE_EVERY_S on
a busy server). This prints each part in ms for short and long histories, and the
figures' JSON size, with the live figures' downsampling (first, last and extremes per bucket) and
with plain even thinning, at the live charts' point budget and at the previous 600.

    python bench/refresh_cost.py                 # lab default: GRU 64 character LM
    python bench/refresh_cost.py --lengths 500 5000 --repeat 20

The page draws these figures as live charts (plots.vega: Vega-Lite, updated in place): the last table prints
what that translation and Streamlit's Arrow serialisation cost beside Plotly's JSON.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import plotly.io as pio  # noqa: E402
import torch  # noqa: E402

from rnnviz.data import load_corpus  # noqa: E402
from rnnviz.generate import generate  # noqa: E402
from rnnviz.plots import training  # noqa: E402
from rnnviz.plots.fit import fitted  # noqa: E402
from rnnviz.presets import LAB_DEFAULTS  # noqa: E402
from rnnviz.refresh import SAMPLE_EVERY_S, TICK_SECONDS  # noqa: E402
from rnnviz.tasks import make_model, make_task  # noqa: E402
from rnnviz.train import StepMetrics, TrainRun  # noqa: E402

SAMPLE_CHARS = 120


def ms(fn, repeat: int) -> float:
    """Returns the median wall time of fn() in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def history(n: int, seed: int = 0) -> list[StepMetrics]:
    """Returns a made-up but realistic history of n steps: a falling noisy loss, a few gradient spikes."""
    rng = np.random.default_rng(seed)
    loss = 3.2 * np.exp(-np.arange(n) / max(n / 4, 1)) + 1.3 + 0.08 * rng.standard_normal(n)
    grad = np.exp(rng.normal(0.0, 0.4, n))
    grad[rng.choice(n, size=max(1, n // 500), replace=False)] *= 30
    return [StepMetrics(step=i + 1, loss=float(loss[i]), grad_norm=float(grad[i]), applied_norm=float(min(grad[i], 1.0)),
                        clipped=bool(grad[i] > 1.0), lr=0.01, steps_per_s=100.0, perplexity=float(np.exp(loss[i])))
            for i in range(n)]


def even_thinning(ys, max_points: int) -> np.ndarray:
    """Returns the indices plain even thinning keeps (what the live figures did before)."""
    return training.thin(len(ys), max_points)


def figure_costs(h: list[StepMetrics], repeat: int) -> dict[str, float]:
    """Returns build and serialise times (ms) and JSON size (kB) of the lab's two live figures."""
    def build():
        return training.loss_figure(h, "lm"), training.grad_norm_figure(h, 1.0)

    figs = build()
    return {"build": ms(build, repeat), "json": ms(lambda: [pio.to_json(f, validate=False) for f in figs], repeat),
            "kB": sum(len(pio.to_json(f, validate=False)) for f in figs) / 1024}


def live_costs(h: list[StepMetrics], repeat: int) -> dict[str, float]:
    """Returns what the page does now per refresh (ms): the figures built and fitted, translated to Vega-Lite
    (plots.vega), and what st.vega_lite_chart sends (the data as Arrow, the spec as JSON); and its size (kB)."""
    import json

    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    from rnnviz.plots.vega import to_vega

    def build():  # the plain dicts the figures are built from: the lab builds no figure per refresh
        return [training.loss_parts(h, "lm"), training.grad_norm_parts(h, 1.0)]

    parts = build()
    charts = [to_vega(p) for p in parts]

    def send():
        return [(convert_anything_to_arrow_bytes(data), json.dumps(spec)) for data, spec in charts]

    return {"build": ms(build, repeat), "vega": ms(lambda: [to_vega(p) for p in parts], repeat),
            "send": ms(send, repeat), "kB": sum(len(a) + len(b) for a, b in send()) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)

    cfg = LAB_DEFAULTS["lm"]
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, replace(cfg.train, steps=10**6))
    run.run(5)  # warm-up
    before, start = run.steps_done, time.perf_counter()
    run.run(10**6, seconds=3 * TICK_SECONDS)
    step_ms = 1000 * (time.perf_counter() - start) / (run.steps_done - before)
    sample = ms(lambda: generate(run.model, corpus.vocab, "time traveller", SAMPLE_CHARS, 0.8,
                                 generator=torch.Generator().manual_seed(0)), max(3, args.repeat // 3))

    print(f"lab default ({cfg.model.cell.upper()} {cfg.model.hidden_size}, char LM), one torch thread")
    print(f"training: {step_ms:.1f} ms/step; a refresh's chunk is a {TICK_SECONDS * 1000:.0f} ms budget "
          f"(~{TICK_SECONDS * 1000 / step_ms:.0f} steps)")
    print(f"text sample ({SAMPLE_CHARS} chars; every new step, at most every {SAMPLE_EVERY_S:g} s on a busy server): "
          f"{sample:.1f} ms")
    h = history(1000)
    with mock.patch.object(training, "fit_layout", lambda layout, traces: layout):
        after = ms(lambda: [fitted(f, in_place=True) for f in (training.loss_figure(h, "lm"),
                                                               training.grad_norm_figure(h, 1.0))], args.repeat)
    built = ms(lambda: (training.loss_figure(h, "lm"), training.grad_norm_figure(h, 1.0)), args.repeat)
    print(f"live figures at 1000 steps, fitted to narrow screens as they are built: {built:.1f} ms; "
          f"built, then fitted as a figure (fitted): {after:.1f} ms")
    print(f"\nlive figures (loss + gradient norm), median of {args.repeat}; points per line at most:")
    print(f"{'history':>8} {'points kept by':>16} {'max':>5} {'build ms':>9} {'to_json ms':>11} {'JSON kB':>8}")
    for n in args.lengths:
        h = history(n)
        for points in (training.LIVE_POINTS, 600):
            for name, pick in (("min/max buckets", training.downsample_indices), ("even thinning", even_thinning)):
                with mock.patch.object(training, "LIVE_POINTS", points), \
                        mock.patch.object(training, "downsample_indices", pick):
                    c = figure_costs(h, args.repeat)
                print(f"{n:>8} {name:>16} {points:>5} {c['build']:>9.1f} {c['json']:>11.1f} {c['kB']:>8.1f}")
    print("\nwhat a refresh does now: the same charts as live charts (plots.vega, updated in place), read from")
    print("the plain dicts the figures are built from; beside it, the Plotly figures' build and JSON:")
    print(f"{'history':>8} {'dicts ms':>9} {'to_vega ms':>11} {'Arrow+JSON ms':>14} {'sent kB':>8}   "
          f"(Plotly: build + to_json ms, kB)")
    for n in args.lengths:
        h = history(n)
        c, p = live_costs(h, args.repeat), figure_costs(h, args.repeat)
        print(f"{n:>8} {c['build']:>9.1f} {c['vega']:>11.1f} {c['send']:>14.1f} {c['kB']:>8.1f}   "
              f"({p['build'] + p['json']:.1f} ms, {p['kB']:.1f} kB)")
    full = history(args.lengths[-1])
    with mock.patch.object(training, "downsample_indices", lambda ys, _: np.arange(len(ys))):
        c = figure_costs(full, max(3, args.repeat // 3))
    print(f"{len(full):>8} {'every point':>16} {len(full):>5} {c['build']:>9.1f} {c['json']:>11.1f} {c['kB']:>8.1f}")

if __name__ == "__main__":
    main()
