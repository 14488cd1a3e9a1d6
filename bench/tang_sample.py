"""What the Tang preset learns in its default training: perplexity and the lab's live sample at the end.

Run: python bench/tang_sample.py [--min-freq N] [--steps N]
Trains tang-gru as the lab does (its TrainRun, seed and step budget; one thread), then prints the training
perplexity of the last step (what the lab's live metric shows), the mean over the last 50 steps, the time taken
and the sample the lab shows after the run: its prefix (床前明月光), temperature and length, seeded by the step.
--min-freq trains the same preset with another vocabulary cut-off (1 keeps every character), for comparison.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.data import load_corpus  # noqa: E402
from rnnviz.generate import generate  # noqa: E402
from rnnviz.presets import PRESETS_BY_SLUG  # noqa: E402
from rnnviz.tasks import make_model, make_task  # noqa: E402
from rnnviz.train import TrainRun  # noqa: E402
from rnnviz.ui.lab_history import SAMPLE_CHARS, TANG_PREFIX, TEMPERATURE  # noqa: E402


def main() -> None:
    cfg = PRESETS_BY_SLUG["tang-gru"].cfg
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-freq", type=int, default=cfg.text.min_freq)
    parser.add_argument("--steps", type=int, default=cfg.train.steps)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = replace(cfg, text=replace(cfg.text, min_freq=args.min_freq), train=replace(cfg.train, steps=args.steps))
    corpus = load_corpus(cfg.text)
    task = make_task(cfg, corpus)
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    start = time.perf_counter()
    run.run(cfg.train.steps)
    seconds = time.perf_counter() - start
    last = run.history[-1]
    tail = [m.loss for m in run.history[-50:]]
    unk = float((corpus.indices == 0).float().mean())
    print(f"tang-gru, min_freq={cfg.text.min_freq}: V={len(corpus.vocab)} ({unk:.1%} of the text is <unk>), "
          f"{run.steps_done} steps in {seconds:.1f} s ({run.steps_done / seconds:.1f} steps/s, 1 thread)")
    print(f"training perplexity at step {last.step}: {last.perplexity:.1f}; "
          f"exp(mean loss of the last {len(tail)} steps): {math.exp(statistics.fmean(tail)):.1f}; "
          f"mean perplexity of the last {len(tail)} steps: {statistics.fmean(math.exp(x) for x in tail):.1f}")
    if run.diverged:
        print(f"diverged: {run.diverged}")
    g = torch.Generator().manual_seed(run.steps_done)  # as the lab seeds its live sample
    print(f"sample (temperature {TEMPERATURE}, {SAMPLE_CHARS} characters):")
    print(generate(run.model, corpus.vocab, TANG_PREFIX, SAMPLE_CHARS, TEMPERATURE, generator=g))


if __name__ == "__main__":
    main()
