"""Trains the sentiment lesson's default classifiers as a server does, once each, and prints what they reach.

Run: python bench/sentiment_default.py [--cells gru,rnn_tanh,lstm] [--seeds 0]
Prints, per cell and seed: training time on 1 thread (wall and CPU), held-out accuracy on each source against the
majority baseline (bar: >= 75 % on each), the negation probes (bar: every "... good" above its "... not good") and
the biggest swing of each source's example review.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.config import SENTIMENT_SOURCES  # noqa: E402
from rnnviz.data import build_sentiment  # noqa: E402
from rnnviz.negation import negation_table  # noqa: E402
from rnnviz.tasks import make_model, make_task  # noqa: E402
from rnnviz.textstats import biggest_swing, held_out, read_word_by_word  # noqa: E402
from rnnviz.train import TrainRun  # noqa: E402
from rnnviz.ui.sentiment import EXAMPLE_REVIEWS, default_cfg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", default="gru,rnn_tanh,lstm")
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the server runs
    for cell in args.cells.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            cfg = default_cfg(cell)
            cfg = replace(cfg, train=replace(cfg.train, seed=seed))
            data = build_sentiment(cfg.sentiment)
            task = make_task(cfg, data)
            wall, cpu = time.perf_counter(), time.process_time()
            run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
            run.run(cfg.train.steps)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            model = run.model.eval()
            scores = {s: held_out(model, data, s) for s in SENTIMENT_SOURCES}
            print(f"{cell} seed {seed}: {cfg.train.steps} steps in {wall:.1f} s wall, {cpu:.1f} s CPU; "
                  + ", ".join(f"{s} {h.accuracy:.1%} (majority {h.majority:.0%})" for s, h in scores.items()))
            table = negation_table(model, data.vocab)
            ok = int((table["P(positive)"] > table["P(positive) negated"]).sum())
            print(f"  negation probes {ok}/{len(table)}: " + "; ".join(
                f"{r.review!r} {r._2:.2f} vs {r._4:.2f}" for r in table.itertuples()))
            for source, review in EXAMPLE_REVIEWS.items():
                r = read_word_by_word(model, data.vocab, review)
                t = biggest_swing(r)
                print(f"  {source} example: final {r.p_positive[-1]:.2f}, biggest swing at word {t + 1} "
                      f"'{r.words[t]}' ({r.p_positive[t - 1]:.2f} -> {r.p_positive[t]:.2f})")


if __name__ == "__main__":
    main()
