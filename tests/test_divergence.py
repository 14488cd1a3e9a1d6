"""Divergence is judged against the run's recent best loss, and the weights kept are the best recent ones."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.data import build_corpus, load_corpus_text
from rnnviz.tasks import make_model, make_task
from rnnviz.train import PATIENCE, RECENT, Diverged, StepMetrics, TrainRun, blew_up

TEXT = TextConfig(batch_size=16, num_steps=20, max_tokens=20000)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(load_corpus_text(), "char", TEXT.max_tokens)


def lm_run(corpus, cell: str, **train) -> tuple[TrainRun, object]:
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=64), train=TrainConfig(**train), text=TEXT)
    task = make_task(cfg, corpus)
    return TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train), task


def loss_on(task, model, seeds=(11, 12)) -> float:
    """Returns the mean loss of a model on fixed batches (eval mode, no gradients)."""
    batches = [next(task.batches(torch.Generator().manual_seed(s))) for s in seeds]
    model.eval()
    with torch.no_grad():
        loss = sum(task.score(model, b).loss.item() for b in batches) / len(batches)
    model.train()
    return loss


def history(*losses: float) -> list[StepMetrics]:
    return [StepMetrics(i + 1, x, 1.0, 1.0, False, 0.01, 1.0) for i, x in enumerate(losses)]


@pytest.mark.parametrize("losses, nxt, expected", [
    ((3.3,), float("nan"), True),
    ((3.3,), float("inf"), True),
    ((3.3,), 400.0, True),  # 100x the first loss at once
    ((3.3, 155.0, 154.0), 291.0, True),  # Adam at lr 10 on a tanh RNN: it never comes back
    ((3.3, 3.2, 26.6), 11.7, False),  # a clipped ReLU RNN's spike that recovers (the default LM)
    ((3.3, 3.2, 26.6, 11.7), 3.1, False),
    ((0.69,) + (0.01,) * 30 + (0.3, 0.3), 0.3, False),  # a classifier near zero loss misses one sentence
    ((3.3,) + (1.5,) * 30 + (7.0, 8.0), 9.0, True),  # a trained model blows up late: judged by its recent best
    ((3.3,) + (1.5,) * 30 + (7.0, 1.6), 9.0, False),
    ((1.0,) * 5, 0.5, False),
])
def test_what_counts_as_diverged(losses, nxt, expected):
    assert blew_up(nxt, history(*losses)) is expected


def test_tanh_rnn_with_adam_at_lr_10_keeps_weights_near_the_best_seen(corpus):
    """Measured on the old rule: 3.3 -> 155 -> 154 -> 291 -> 476, and the weights kept scored 88x worse."""
    run, task = lm_run(corpus, "rnn_tanh", optimizer="adam", lr=10.0, clip=None)
    untrained = loss_on(task, make_model(task, ModelConfig(cell="rnn_tanh", hidden_size=64), 0))
    seen = list(run.steps(50))
    assert run.diverged is not None and len(seen) < 50
    assert max(m.loss for m in seen) > 10 * min(m.loss for m in seen)  # it did blow up before it was stopped
    kept = loss_on(task, run.model)
    assert math.isfinite(kept)
    assert kept < 1.5 * min(m.loss for m in seen) and kept < 1.5 * untrained, (kept, seen, untrained)
    assert "best recent weights" in run.diverged and "learning rate" in run.diverged
    assert run.divergence is not None and str(run.divergence) == run.diverged  # files keep the English words
    assert run.divergence.code.startswith("errors.train.diverged") and "学习率" in run.divergence.words("zh")
    with pytest.raises(Diverged):
        run.step()


def test_a_late_blow_up_restores_the_best_of_the_last_steps_not_the_start(corpus):
    run, task = lm_run(corpus, "gru", optimizer="adam", lr=0.01, clip=1.0)
    trained = list(run.steps(40))
    assert run.diverged is None and len(trained) == 40
    good = loss_on(task, run.model)
    for group in run.optimizer.param_groups:  # the learning rate turned up mid-run, clipping off
        group["lr"] = 50.0
    run.cfg = TrainConfig(optimizer="adam", lr=50.0, clip=None)
    list(run.steps(30))
    assert run.diverged is not None
    kept_step = int(run.diverged.split("(step ")[1].split(",")[0])
    assert kept_step >= 40 - RECENT, run.diverged  # recent weights, not the initial ones
    assert loss_on(task, run.model) < 1.25 * good, run.diverged


def test_the_default_relu_language_model_spikes_recovers_and_is_not_stopped():
    """The lessons' default character LM with a ReLU RNN jumps to ~8x its first loss at step 3 and recovers."""
    from rnnviz.data import load_corpus

    cfg = RunConfig(task="lm", model=ModelConfig(cell="rnn_relu", hidden_size=128),
                    train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=12))
    task = make_task(cfg, load_corpus(cfg.text))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    losses = [m.loss for m in run.steps(12)]
    assert run.diverged is None and len(losses) == 12
    assert max(losses) > 4 * losses[0] > 4 * losses[-1]  # the spike is there, and gone
    assert PATIENCE >= 2


class ScriptedTask:
    """A task whose minibatch losses follow a script (the weights still get gradients and steps)."""

    def __init__(self, losses):
        self.losses = losses

    def batches(self, generator):
        yield from range(len(self.losses))

    def score(self, model, i):
        from types import SimpleNamespace

        w = next(model.parameters())
        return SimpleNamespace(loss=self.losses[i] + 0.0 * w.sum(), perplexity=None, accuracy=None)


@pytest.mark.parametrize("losses, kept_step", [
    ([3.0, 1.0] + [2.0] * 19 + [9.0, 9.0, 9.0], 1),  # the spike starts just as the best goes stale: not kept
    ([3.0, 1.0] + [2.0] * 30 + [9.0, 9.0, 9.0], 31),  # a stale best gives way to the latest healthy step
])
def test_the_weights_kept_are_never_from_the_blow_up(losses, kept_step):
    model = torch.nn.Linear(1, 1, bias=False)
    run = TrainRun(model, ScriptedTask(losses), TrainConfig(optimizer="sgd", lr=0.1, clip=None))
    list(run.steps(len(losses)))
    assert run.diverged is not None and run.steps_done == len(losses) - 1
    assert f"(step {kept_step}, loss" in run.diverged, run.diverged
