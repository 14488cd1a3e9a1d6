"""rnnviz.lm_gradients: the language-model gradient maths the lessons show, against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz import gradients as grad
from rnnviz import lm_gradients as lmg
from rnnviz.config import ModelConfig
from rnnviz.models import LanguageModel, init_weights
from rnnviz.tracing import hidden_grads

V = 7  # vocabulary size of the toy corpus


def tiny_lm(cell: str = "gru", layers: int = 1) -> LanguageModel:
    return init_weights(LanguageModel(V, ModelConfig(cell=cell, hidden_size=6, num_layers=layers)), 0)


def toy_ids(batch: int = 3, length: int = 9) -> np.ndarray:
    return lmg.passage_ids(list(np.random.default_rng(1).integers(0, V, 200)), length, batch, seed=4)


def nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood written out: -log softmax at the target, averaged (no F.cross_entropy)."""
    logp = logits - logits.logsumexp(-1, keepdim=True)
    return -logp.gather(-1, target.unsqueeze(-1)).mean()


def test_passage_ids_are_seeded_slices_of_the_corpus():
    indices = list(range(100, 400))
    ids = lmg.passage_ids(indices, 20, batch=5, seed=3)
    assert ids.shape == (5, 21)
    assert np.all(np.diff(ids, axis=1) == 1)  # each row a contiguous passage of the corpus
    assert ids.min() >= 100 and ids.max() < 400
    np.testing.assert_array_equal(ids, lmg.passage_ids(indices, 20, batch=5, seed=3))
    starts = torch.randint(0, len(indices) - 21, (5,), generator=torch.Generator().manual_seed(3))  # the old draw
    np.testing.assert_array_equal(ids[:, 0], np.asarray(indices)[starts.numpy()])


def test_lm_batch_loss_is_the_mean_next_character_nll():
    model, ids = tiny_lm(), toy_ids()
    loss = lmg.lm_batch_loss(ids)(model)
    x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
    torch.testing.assert_close(loss, nll(model(x)[0], y))
    loss.backward()  # a real graph: clip_check takes its gradient
    assert model.out.weight.grad is not None


@pytest.mark.parametrize("mode", lmg.LOSS_MODES)
def test_lm_loss_reads_the_last_step_or_every_step(mode):
    logits, target = torch.randn(2, 5, V, generator=torch.Generator().manual_seed(0)), torch.randint(0, V, (2, 5))
    expected = nll(logits[:, -1], target[:, -1]) if mode == "last" else nll(logits, target)
    torch.testing.assert_close(lmg.lm_loss(target, mode)(logits), expected)


@pytest.mark.parametrize("layers", [1, 2])
def test_lm_grads_are_the_norms_of_the_total_derivative(layers):
    model, ids = tiny_lm("rnn_tanh", layers), toy_ids()
    norms = lmg.lm_grads(model, ids, "last")
    assert norms.shape == (layers, ids.shape[1] - 1)
    # Independent: dL/dh_t from a hand-written tanh recurrence over the fused module's own weights (retain_grad).
    if layers == 1:
        x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
        rnn = model.rnn
        h, hs = torch.zeros(x.shape[0], rnn.hidden_size), []
        for step in range(x.shape[1]):
            h = torch.tanh(model.inputs(x[:, step]) @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
                           + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
            h.retain_grad()
            hs.append(h)
        nll(model.out(hs[-1]), y[:, -1]).backward()
        manual = np.array([float(s.grad.norm()) for s in hs])
        np.testing.assert_allclose(norms[0], manual, rtol=1e-4, atol=1e-8)


def test_lm_sensitivity_reads_the_first_passage():
    model, ids = tiny_lm(), toy_ids()
    sens = lmg.lm_sensitivity(model, ids)
    assert sens.shape == (ids.shape[1] - 1,) and np.all(sens >= 0) and sens[-1] > 0
    np.testing.assert_allclose(sens, lmg.lm_sensitivity(model, ids[:1]), rtol=1e-6)  # other passages play no part


def test_reach_curves_without_truncation_equal_the_full_backward_pass():
    model, ids = tiny_lm("lstm"), toy_ids(length=12)
    curves = lmg.reach_curves({"full": (model, None), "cut": (model, 4)}, ids, "last")
    x, y = torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])
    full = hidden_grads(model, x, lmg.lm_loss(y, "last")).norms[-1].numpy()
    np.testing.assert_allclose(curves["full"], full, rtol=1e-4, atol=1e-8)
    assert np.all(curves["cut"][:8] == 0) and np.all(curves["cut"][8:] > 0)  # only the last chunk of 4 is reached
    np.testing.assert_allclose(curves["cut"][-1], full[-1], rtol=1e-4)


def test_memory_curves_of_trained_and_initial_models():
    models = {"GRU": (grad.memory_run("gru", 3, hidden=6, steps=2).model, grad.memory_run("gru", 3, hidden=6).model)}
    curves, tokens = lmg.memory_curves(models, 3, n=4)
    assert set(curves) == set(lmg.CURVES) and tokens[-1] == "?" and len(tokens) == 5
    task = grad.MemoryTask(3)
    X, y = task.sample(4, torch.Generator().manual_seed(5))
    expected = hidden_grads(models["GRU"][0], X, grad.last_step_loss(y)).norms.numpy()
    np.testing.assert_allclose(curves["grads"]["GRU"], expected, rtol=1e-6)


def test_loss_trend_is_the_first_loss_and_the_recent_mean():
    assert lmg.loss_trend([4.0, 3.0, 2.0, 1.0], recent=2) == (4.0, 1.5)
    assert lmg.loss_trend([2.5]) == (2.5, 2.5)
