"""One recorded training step: exactly one update, gates that match fresh traces, losses on the step's own batch."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import functional as F

from rnnviz.config import ModelConfig, RunConfig, SentimentConfig, TextConfig, TrainConfig
from rnnviz.data import build_corpus, build_sentiment, load_corpus_text, sine_series
from rnnviz.stepdiff import LM_CHARS, inspected_input, one_step
from rnnviz.tasks import make_model, make_task
from rnnviz.tracing import trace_model
from rnnviz.train import Diverged, TrainRun

TEXT = TextConfig(batch_size=4, num_steps=12, max_tokens=3000)


def _run(task: str, cell: str = "gru", **train) -> TrainRun:
    cfg = RunConfig(task=task, model=ModelConfig(cell=cell, hidden_size=8, embed_dim=8), text=TEXT,
                    train=TrainConfig(**train), sentiment=SentimentConfig(batch_size=8))
    data = {"lm": lambda: build_corpus(load_corpus_text(), "char", TEXT.max_tokens), "forecast": sine_series,
            "sentiment": lambda: build_sentiment(cfg.sentiment)}[task]()
    t = make_task(cfg, data)
    return TrainRun(make_model(t, cfg.model, cfg.train.seed), t, cfg.train)


@pytest.mark.parametrize("task, cell", [("lm", "gru"), ("forecast", "lstm"), ("forecast", "rnn_tanh"),
                                        ("sentiment", "gru")])
def test_one_step_is_one_update_and_its_gates_match_fresh_traces_before_and_after(task, cell):
    run = _run(task, cell)
    run.run(2)
    before_model = copy.deepcopy(run.model)
    diff = one_step(run)
    assert run.steps_done == 3 and diff.step == 3 and run.history[-1] is diff.metrics
    x, tokens = inspected_input(run.task)
    assert diff.tokens == tokens and len(tokens) == x.shape[1]
    fresh_before, fresh_after = trace_model(before_model, x), trace_model(run.model, x)
    moved = 0.0
    for name in diff.names:
        b, a, d = diff.gate(name)
        torch.testing.assert_close(torch.as_tensor(b), fresh_before.layers[0].get(name)[0])
        torch.testing.assert_close(torch.as_tensor(a), fresh_after.layers[0].get(name)[0])
        moved = max(moved, float(abs(d).max()))
    assert moved > 0  # the update changed what the cell computes on the inspected input


def test_the_lm_inspects_the_opening_characters_of_its_corpus():
    run = _run("lm")
    x, tokens = inspected_input(run.task)
    assert x.shape == (1, LM_CHARS) and "".join(tokens) == "".join(run.task.corpus.tokens[:LM_CHARS])


def test_losses_are_on_the_steps_own_minibatch_with_its_carried_state():
    run, twin = _run("lm"), _run("lm")  # same seed: the twin draws the same batches
    one_step(run)
    diff = one_step(run)  # the second batch starts from the state the first one carried
    twin.run(1)
    seen = {}
    score = twin.task.score

    def spy(model, batch):
        seen["batch"], seen["state"] = batch, twin.task._state
        return score(model, batch)

    twin.task.score = spy
    twin.step()
    X, Y = seen["batch"]
    with torch.no_grad():
        logits, _ = twin.model(X, seen["state"])
    assert diff.loss_before == pytest.approx(twin.history[-1].loss, rel=1e-6)
    assert diff.loss_after == pytest.approx(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1)).item(),
                                            rel=1e-5)


def test_recording_a_step_does_not_change_the_run_it_records():
    run, twin = _run("lm"), _run("lm")
    one_step(run)
    run.run(3)
    twin.run(4)
    assert [m.loss for m in run.history] == pytest.approx([m.loss for m in twin.history], rel=1e-6)
    for a, b in zip(run.model.parameters(), twin.model.parameters()):
        torch.testing.assert_close(a, b)


def test_weight_change_and_clipping_are_reported():
    run = _run("forecast", clip=0.01, optimizer="sgd", lr=0.5)
    before = {k: p.detach().clone() for k, p in run.model.named_parameters()}
    diff = one_step(run)
    assert diff.clipped and diff.applied_norm <= 0.01 + 1e-6 < diff.grad_norm
    for k, p in run.model.named_parameters():
        assert diff.weight_change[k] == pytest.approx(float((p.detach() - before[k]).norm()), rel=1e-6)
    total = sum(v ** 2 for v in diff.weight_change.values()) ** 0.5
    assert total == pytest.approx(0.5 * diff.applied_norm, rel=1e-3)  # SGD: the step is lr times the applied gradient


def test_a_diverged_run_raises_and_leaves_the_run_whole():
    run = _run("forecast")
    run.diverged = "Training diverged: test"
    with pytest.raises(Diverged):
        one_step(run)
    assert run.steps_done == 0 and not hasattr(run.task, "task")  # the real task is back in place
