"""rnnviz.gradients: spectral radius, the memory task, clipping and truncation, checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rnnviz import gradients as grad
from rnnviz.config import ModelConfig, TrainConfig
from rnnviz.models import Forecaster, init_weights
from rnnviz.tasks import ForecastTask, truncated_forward
from rnnviz.tracing import hidden_grads
from rnnviz.train import TrainRun


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.2, 1.5])
def test_linear_recurrence_norms_follow_the_eigenvalue_power(radius):
    norms = grad.recurrence_norms(radius, steps=100, size=16, seed=3)
    assert norms.rate(50) == pytest.approx(radius, rel=0.02)  # ||h_100|| / ||h_50|| = |λ|^50
    assert np.log(norms.linear[-1]) == pytest.approx(100 * np.log(radius), abs=6.0)  # λ^100 up to a constant factor
    assert np.all(norms.tanh_max_abs < 1.0)  # tanh keeps every unit inside (-1, 1)
    if radius > 1.1:
        assert norms.linear[-1] > 1e3 * norms.tanh[-1]


def test_scale_to_radius_leaves_the_input_alone():
    W = grad.random_matrix(8, seed=1)
    before = W.clone()
    scaled = grad.scale_to_radius(W, 0.7)
    torch.testing.assert_close(W, before)
    assert grad.spectral_radius(scaled) == pytest.approx(0.7, rel=1e-6)
    eig = torch.linalg.eigvals(scaled)
    assert float(eig.abs().max()) == pytest.approx(0.7, rel=1e-6)


def test_radius_changes_the_rnn_gradient_from_vanishing_to_exploding():
    small, large = grad.radius_grad_curve(0.5, steps=40, hidden=16), grad.radius_grad_curve(2.0, steps=40, hidden=16)
    assert small[0] < 1e-6 * small[-1]  # vanishes toward t = 0
    assert large[0] > 10 * large[-1]  # explodes toward t = 0


def test_set_recurrent_radius_only_for_plain_rnns():
    task = grad.MemoryTask(3)
    rnn = init_weights(task.make_model(ModelConfig(cell="rnn_tanh", hidden_size=6, num_layers=2)), 0).rnn
    grad.set_recurrent_radius(rnn, 1.3)
    for k in range(2):
        assert grad.spectral_radius(getattr(rnn, f"weight_hh_l{k}")) == pytest.approx(1.3, rel=1e-4)
    with pytest.raises(ValueError):
        grad.set_recurrent_radius(task.make_model(ModelConfig(cell="gru", hidden_size=4)).rnn, 1.0)


def test_memory_task_sequences_and_chance():
    task = grad.MemoryTask(delay=7, symbols=4, distractors=3)
    X, y = task.sample(50, torch.Generator().manual_seed(0))
    assert X.shape == (50, 9)
    assert torch.equal(X[:, 0], y)  # the answer is the first symbol
    assert torch.all((X[:, 1:-1] >= 4) & (X[:, 1:-1] < 7))  # distractors never look like a symbol
    assert torch.all(X[:, -1] == task.vocab_size - 1)
    assert task.tokens(X[0])[0] in "ABCD" and task.tokens(X[0])[-1] == "?"


def test_memory_task_short_delay_is_learned():
    run = grad.memory_run("gru", delay=2, hidden=16, steps=150, lr=0.02)
    before, _ = grad.memory_eval(run.model, run.task, n=128)
    run.run(150)
    after, grads = grad.memory_eval(run.model, run.task, n=128)
    assert after > 0.9 > before + 0.3
    assert grads.shape == (4,) and np.all(grads > 0)


def test_memory_eval_gradients_match_an_independent_autograd_computation():
    run = grad.memory_run("rnn_tanh", delay=5, hidden=8)
    model = run.model
    _, got = grad.memory_eval(model, run.task, n=16, seed=4)
    X, y = run.task.sample(16, torch.Generator().manual_seed(4))
    # Independent: unroll torch's own fused module one step at a time and differentiate w.r.t. each state.
    h, states = None, []
    inputs = model.inputs(X)
    for t in range(X.shape[1]):
        _, h = model.rnn(inputs[:, t:t + 1], h)  # (1, B, H): the very tensor the next step reads
        h.retain_grad()
        states.append(h)
    loss = F.cross_entropy(model.head(states[-1][0]), y)
    loss.backward()
    want = np.array([s.grad.norm().item() for s in states])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-12)


def test_forget_bias_sets_the_f_chunk_only():
    run = grad.memory_run("lstm", delay=3, hidden=5, forget_bias=3.0)
    b = run.model.rnn.bias_ih_l0 + run.model.rnn.bias_hh_l0
    torch.testing.assert_close(b[5:10], torch.full((5,), 3.0))
    assert not torch.allclose(b[:5], torch.full((5,), 3.0))


def test_clip_check_keeps_direction_and_caps_the_length():
    model = init_weights(Forecaster(ModelConfig(cell="rnn_tanh", hidden_size=8)), 0)
    x, y = torch.randn(4, 12), torch.randn(4, 12)
    before = [p.detach().clone() for p in model.parameters()]

    def loss(m):
        return F.mse_loss(m(x)[0], y) * 1e3  # large, so the threshold bites

    check = grad.clip_check(model, loss, threshold=0.5)
    assert check.raw_norm > 0.5
    assert check.clipped_norm == pytest.approx(0.5, rel=1e-4)
    assert check.cosine == pytest.approx(1.0, abs=1e-9)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())  # the caller's model is untouched
    loose = grad.clip_check(model, loss, threshold=1e9)
    assert loose.clipped_norm == pytest.approx(loose.raw_norm, rel=1e-6)


def test_clipped_training_never_applies_more_than_the_threshold():
    task = ForecastTask(torch.randn(300), 200, window=20, batch_size=8)
    cfg = TrainConfig(optimizer="sgd", lr=5.0, clip=0.3, steps=30)
    run = TrainRun(init_weights(task.make_model(ModelConfig(cell="rnn_relu", hidden_size=16)), 0), task, cfg)
    history = run.run(30)
    assert any(m.clipped for m in history)
    assert all(m.applied_norm <= 0.3 * (1 + 1e-6) for m in history)
    assert all(m.clipped == (m.grad_norm > 0.3) for m in history)


@pytest.mark.parametrize("cell", ["rnn_tanh", "gru", "lstm"])
def test_truncated_grads_full_equal_hidden_grads(cell):
    model = init_weights(Forecaster(ModelConfig(cell=cell, hidden_size=5, num_layers=2)), 1)
    x, y = torch.randn(3, 12), torch.randn(3, 12)
    loss_fn = lambda out: F.mse_loss(out, y)  # noqa: E731
    torch.testing.assert_close(grad.truncated_hidden_grads(model, x, loss_fn, None).norms,
                               hidden_grads(model, x, loss_fn).norms)


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm"])
def test_truncated_grads_stop_at_the_chunk_boundary(cell):
    model = init_weights(Forecaster(ModelConfig(cell=cell, hidden_size=6)), 2)
    x, y = torch.randn(2, 20), torch.randn(2)
    last = lambda out: F.mse_loss(out[:, -1], y)  # noqa: E731
    got = grad.truncated_hidden_grads(model, x, last, 7).norms[0]  # chunks [0,7) [7,14) [14,20)
    assert torch.all(got[:14] == 0) and torch.all(got[14:] > 0)
    # Independent: run the fused module up to 14 without gradients, then hidden_grads on the last chunk alone.
    with torch.no_grad():
        _, state = truncated_forward(model, x[:, :14], None, 7)
    tail = hidden_grads(model, x[:, 14:], last, state=state).norms[0]
    torch.testing.assert_close(got[14:], tail)


def test_runset_trains_side_by_side_and_records_seconds():
    task = ForecastTask(torch.sin(torch.arange(300) * 0.2), 200, window=16, batch_size=8)
    runs = {name: TrainRun(init_weights(task.make_model(ModelConfig(cell="gru", hidden_size=8)), 0), task,
                           TrainConfig(lr=0.01, clip=clip, steps=12)) for name, clip in (("a", 1.0), ("b", None))}
    rs = grad.RunSet(runs, steps=12)
    while not rs.finished:
        rs.tick(0.5)
    for name, run in rs.runs.items():
        assert run.steps_done == 12 and len(rs.seconds[name]) == 12
        assert all(b >= a for a, b in zip(rs.seconds[name], rs.seconds[name][1:]))
    assert [m.loss for m in runs["a"].history][0] == pytest.approx(runs["b"].history[0].loss)  # same seed, same batch
    assert math.isfinite(rs.seconds["a"][-1])


def test_reach_figure_gives_each_run_a_panel_greys_the_steps_no_gradient_reaches_and_marks_chunk_boundaries():
    from rnnviz.plots.gradients import reach_figure

    T = 20
    full = np.exp(-0.5 * np.arange(T)[::-1])  # decays back from the last step
    cut = np.where(np.arange(T) >= 15, full, 0.0)  # bptt 5 on T = 20: only the last chunk gets a gradient
    fig = reach_figure({"bptt 5": cut, "bptt full": full}, None, "reach", {"bptt 5": 5, "bptt full": None})
    assert len(fig.data) == 2 and fig.data[0].yaxis == "y" and fig.data[1].yaxis == "y2"
    assert fig.layout.yaxis2.matches == "y"  # one scale: values comparable across panels
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(bands) == 1 and bands[0].x0 == -0.5 and bands[0].x1 == 14.5
    lines = sorted(s.x0 for s in fig.layout.shapes if s.type == "line")
    assert lines == [4.5, 9.5, 14.5]
    assert np.isnan(np.asarray(fig.data[0].y[:15], dtype=float)).all()  # zero = a gap on the log axis


def test_memory_queue_trains_each_cell_once_and_files_it_by_series():
    from rnnviz.memory_queue import MemoryLab, enqueue, memory_tick

    lab = MemoryLab(steps=2)
    enqueue(lab, (3,), 3.0)
    enqueue(lab, (3,), 3.0)  # already queued: nothing is added twice
    assert len(lab.queue) == 3 and lab.busy
    while lab.busy:
        memory_tick(lab, 5.0)
    assert set(lab.results) == {("RNN (tanh)", 3), ("GRU", 3), ("LSTM, b_f = 3", 3)}
    assert all(0.0 <= acc <= 1.0 for acc in lab.results.values())
    assert all(g.shape == (5,) for g in lab.grads.values())  # symbol, 3 distractors, the question
    enqueue(lab, (3,), 3.0)
    assert not lab.queue  # done: nothing to train again
