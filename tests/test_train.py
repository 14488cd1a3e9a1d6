"""Behaviour of the training loop that can fail: learning, clipping, divergence, reproducibility."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from rnnviz.config import ModelConfig, RunConfig, TextConfig, TrainConfig
from rnnviz.data import build_corpus, load_corpus_text, sine_series
from rnnviz.errors import ConfigError
from rnnviz.tasks import make_model, make_task
from rnnviz.train import Diverged, TrainRun

SMALL_TEXT = TextConfig(batch_size=8, num_steps=16, max_tokens=6000)


def _forecast_run(cell: str = "gru", **train) -> TrainRun:
    cfg = RunConfig(task="forecast", model=ModelConfig(cell=cell, hidden_size=16), train=TrainConfig(**train))
    task = make_task(cfg, sine_series())
    return TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)


def _lm_run(cell: str = "rnn_tanh", text: TextConfig = SMALL_TEXT, **train) -> TrainRun:
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=32), train=TrainConfig(**train), text=text)
    corpus = build_corpus(load_corpus_text(), "char", text.max_tokens)
    task = make_task(cfg, corpus)
    return TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)


def test_gru_halves_its_loss_on_the_noisy_sine_within_150_steps():
    run = _forecast_run("gru", lr=0.01)
    metrics = run.run(150)
    first = sum(m.loss for m in metrics[:10]) / 10
    last = sum(m.loss for m in metrics[-10:]) / 10
    assert last < first / 2


@pytest.mark.parametrize("clip", [0.05, 0.5])
def test_clipping_never_lets_the_applied_norm_exceed_the_threshold(clip):
    run = _lm_run("rnn_tanh", optimizer="sgd", lr=1.0, clip=clip)
    for m in run.steps(15):
        measured = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in run.model.parameters()]))
        assert float(measured) <= clip * (1 + 1e-5)  # measured on the gradients the optimizer actually used
        assert float(measured) == pytest.approx(m.applied_norm, rel=1e-4)
        assert m.clipped == (m.grad_norm > clip)
    assert any(m.clipped for m in run.history)


def test_without_clipping_the_applied_norm_is_the_raw_norm():
    run = _lm_run("gru", clip=None)
    for m in run.steps(5):
        assert m.applied_norm == m.grad_norm and not m.clipped


def test_lr_100_is_detected_as_diverged_and_the_last_good_weights_are_kept():
    run = _lm_run("rnn_tanh", optimizer="sgd", lr=100.0, clip=None)
    steps = list(run.steps(50))
    assert run.diverged is not None and "learning rate" in run.diverged
    assert len(steps) < 50
    for p in run.model.parameters():
        assert torch.isfinite(p).all()
    with torch.no_grad():  # the kept model still runs and gives finite outputs
        out, _ = run.model(torch.zeros(1, 5, dtype=torch.long))
    assert torch.isfinite(out).all()
    with pytest.raises(Diverged):
        run.step()


def test_same_seed_gives_the_same_curve_even_when_two_runs_interleave():
    alone = [m.loss for m in _lm_run("gru", seed=7).steps(12)]
    a, b, other = _lm_run("gru", seed=7), _lm_run("gru", seed=7), _lm_run("gru", seed=8)
    curve_a, curve_b = [], []
    for _ in range(12):
        curve_a.append(a.step().loss)
        other.step()  # a third run drawing random numbers in between must not disturb the others
        torch.rand(3)  # nor must the global RNG
        curve_b.append(b.step().loss)
    assert curve_a == alone and curve_b == alone
    assert [m.loss for m in other.history] != alone


def test_truncated_bptt_changes_gradients_but_not_the_forward_loss():
    full = _lm_run("gru", seed=3, bptt=None)
    cut = _lm_run("gru", seed=3, bptt=4)
    m_full, m_cut = full.step(), cut.step()
    assert m_full.loss == pytest.approx(m_cut.loss, rel=1e-6)
    assert m_full.grad_norm != pytest.approx(m_cut.grad_norm, rel=1e-6)


def test_language_model_reports_perplexity_and_sentiment_accuracy():
    m = _lm_run("lstm").step()
    assert m.perplexity == pytest.approx(torch.tensor(m.loss).exp().item(), rel=1e-5)


def test_stop_at_any_step_keeps_the_model_usable_and_resumable():
    run = _forecast_run("lstm")
    run.run(3)
    run.run(2)
    assert run.steps_done == 5 and [m.step for m in run.history] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("bad", [dict(lr=0.0), dict(lr=float("nan")), dict(clip=-1.0), dict(optimizer="rmsprop")])
def test_bad_settings_raise_a_config_error_with_a_message(bad):
    with pytest.raises(ConfigError, match="."):
        _forecast_run(**bad)


def test_random_sampling_runs():
    run = _lm_run("gru", text=replace(SMALL_TEXT, sampling="random"))
    assert len(list(run.steps(3))) == 3


def test_snapshots_stay_bounded_and_hold_the_weights_of_their_step():
    cfg = RunConfig(task="forecast", model=ModelConfig(cell="gru", hidden_size=8), train=TrainConfig())
    task = make_task(cfg, sine_series())
    run = TrainRun(make_model(task, cfg.model, 0), task, cfg.train, max_snapshots=4, snapshot_every=2)
    initial = {k: v.clone() for k, v in run.model.state_dict().items()}
    run.run(40)
    assert len(run.snapshots) <= 4 and run.snapshots[0].step == 0
    steps = [s.step for s in run.snapshots]
    assert steps == sorted(steps) and steps[-1] <= 40
    for k, v in initial.items():
        assert torch.equal(run.snapshots[0].state[k], v)
    assert not torch.equal(run.snapshots[-1].state["rnn.weight_hh_l0"], initial["rnn.weight_hh_l0"])
