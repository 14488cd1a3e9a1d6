"""The chunked linear cross-entropy gives F.cross_entropy(F.linear(...))'s loss and gradients, without the logits."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from rnnviz import tasks
from rnnviz.config import ModelConfig, TextConfig
from rnnviz.data import build_corpus
from rnnviz.losses import linear_cross_entropy
from rnnviz.models import LanguageModel, init_weights
from rnnviz.tasks import LMTask

V, H = 37, 5


def _inputs(n: int, bias: bool, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, H, generator=g, requires_grad=True)
    weight = torch.randn(V, H, generator=g, requires_grad=True)
    b = torch.randn(V, generator=g, requires_grad=True) if bias else None
    target = torch.randint(0, V, (n,), generator=g)
    return hidden, weight, b, target


def _loss_and_grads(loss_fn, hidden, weight, bias, target):
    params = [p for p in (hidden, weight, bias) if p is not None]
    loss = loss_fn(hidden, weight, bias, target)
    return loss.detach(), torch.autograd.grad(loss, params)


@pytest.mark.parametrize("n", [1, 6, 7, 23, 64])
@pytest.mark.parametrize("bias", [True, False])
def test_loss_and_gradients_equal_the_plain_layer_for_any_chunking(n, bias):
    args = _inputs(n, bias, seed=n)
    want, want_grads = _loss_and_grads(lambda h, w, b, y: F.cross_entropy(F.linear(h, w, b), y), *args)
    got, got_grads = _loss_and_grads(lambda h, w, b, y: linear_cross_entropy(h, w, b, y, chunk=6), *args)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    assert len(got_grads) == len(want_grads) == (3 if bias else 2)
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


def test_an_upstream_factor_scales_every_gradient():
    hidden, weight, bias, target = _inputs(10, True)
    (3.0 * linear_cross_entropy(hidden, weight, bias, target, chunk=4)).backward()
    got = [p.grad.clone() for p in (hidden, weight, bias)]
    for p in (hidden, weight, bias):
        p.grad = None
    (3.0 * F.cross_entropy(F.linear(hidden, weight, bias), target)).backward()
    for a, p in zip(got, (hidden, weight, bias), strict=True):
        torch.testing.assert_close(a, p.grad, rtol=0, atol=1e-5)


def test_under_no_grad_it_gives_the_loss_and_no_graph():
    hidden, weight, bias, target = _inputs(13, True)
    with torch.no_grad():
        loss = linear_cross_entropy(hidden, weight, bias, target, chunk=5)
        want = F.cross_entropy(F.linear(hidden, weight, bias), target)
    assert not loss.requires_grad and loss.grad_fn is None
    torch.testing.assert_close(loss, want, rtol=0, atol=1e-5)


def test_inputs_without_gradients_give_the_loss_only():
    hidden, weight, bias, target = (x.detach() if x.is_floating_point() else x for x in _inputs(9, True))
    loss = linear_cross_entropy(hidden, weight, bias, target, chunk=4)
    assert loss.grad_fn is None
    torch.testing.assert_close(loss, F.cross_entropy(F.linear(hidden, weight, bias), target), rtol=0, atol=1e-5)


def test_a_chunk_below_one_is_refused():
    with pytest.raises(ValueError):
        linear_cross_entropy(*_inputs(3, True), chunk=0)


@pytest.mark.parametrize("bptt", [None, 4])
@pytest.mark.parametrize("sampling", ["sequential", "random"])
def test_a_language_model_scores_the_same_through_the_chunked_loss(monkeypatch, bptt, sampling):
    text = "the time machine by h g wells " * 30
    corpus = build_corpus(text)
    task_cfg = TextConfig(batch_size=3, num_steps=10, sampling=sampling)
    model = init_weights(LanguageModel(len(corpus.vocab), ModelConfig(cell="gru", hidden_size=6)), 1)
    results = []
    for threshold in (10**9, 0):  # the plain layer, then the chunked one
        monkeypatch.setattr(tasks, "LARGE_VOCAB", threshold)
        task = LMTask(corpus, task_cfg, bptt)
        batches = task.batches(torch.Generator().manual_seed(0))
        losses, grads = [], []
        for _ in range(2):  # the second minibatch starts from the state the first left (sequential)
            model.zero_grad()
            score = task.score(model, next(batches))
            score.loss.backward()
            losses.append(score.loss.detach())
            grads.append([p.grad.clone() for p in model.parameters()])
        results.append((losses, grads, score.perplexity, type(score.loss.grad_fn).__name__))
    (la, ga, pa, fa), (lb, gb, pb, fb) = results
    assert "LinearCrossEntropy" not in fa and "LinearCrossEntropy" in fb
    torch.testing.assert_close(torch.stack(lb), torch.stack(la), rtol=0, atol=1e-5)
    for step_a, step_b in zip(ga, gb, strict=True):
        for a, b in zip(step_a, step_b, strict=True):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
    assert pb == pytest.approx(pa, rel=1e-5)


def test_large_logits_stay_finite_and_exact():
    hidden, weight, bias, target = _inputs(11, True, seed=5)
    hidden = (hidden * 60).detach().requires_grad_()  # logits in the hundreds: a naive exp overflows
    want, want_grads = _loss_and_grads(lambda h, w, b, y: F.cross_entropy(F.linear(h, w, b), y),
                                       hidden, weight, bias, target)
    got, got_grads = _loss_and_grads(lambda h, w, b, y: linear_cross_entropy(h, w, b, y, chunk=4),
                                     hidden, weight, bias, target)
    assert torch.isfinite(got) and want > 50
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-4)
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
