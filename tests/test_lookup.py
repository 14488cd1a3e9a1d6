"""The language model's lookup front: token ids read row x of W_ih.T, the same numbers as the one-hot product."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from rnnviz.cells import layer_weights, project_inputs
from rnnviz.config import CELLS, ModelConfig
from rnnviz.models import LanguageModel, init_weights, looks_up, run_rnn
from rnnviz.tracing import hidden_grads, trace_model

V = 40


def _pair(cell: str, layers: int, bias: bool) -> tuple[LanguageModel, LanguageModel]:
    """Returns (lookup model, one-hot model) with the same weights."""
    cfg = ModelConfig(cell=cell, hidden_size=6, num_layers=layers, bias=bias)
    fast = init_weights(LanguageModel(V, cfg, lookup=True), 3)
    slow = LanguageModel(V, cfg, lookup=False)
    slow.load_state_dict(fast.state_dict())
    return fast, slow


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_lookup_equals_the_one_hot_path_outputs_state_and_gradients(cell, layers, bias):
    fast, slow = _pair(cell, layers, bias)
    x, y = torch.randint(0, V, (3, 9)), torch.randint(0, V, (3, 9))
    outs = []
    for model in (fast, slow):
        logits, state = model(x)
        F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).backward()
        outs.append((logits, state, {k: p.grad for k, p in model.named_parameters()}))
    (la, sa, ga), (lb, sb, gb) = outs
    torch.testing.assert_close(la, lb, rtol=0, atol=1e-6)
    for a, b in zip(sa if isinstance(sa, tuple) else (sa,), sb if isinstance(sb, tuple) else (sb,)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert ga.keys() == gb.keys()
    for name in ga:
        torch.testing.assert_close(ga[name], gb[name], rtol=0, atol=1e-6, msg=name)


@pytest.mark.parametrize("cell", CELLS)
def test_lookup_carries_a_given_state_like_the_fused_module(cell):
    fast, slow = _pair(cell, 2, True)
    x1, x2 = torch.randint(0, V, (2, 5)), torch.randint(0, V, (2, 4))
    _, state = slow(x1)
    torch.testing.assert_close(fast(x2, state)[0], slow(x2, state)[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
def test_the_replay_reads_the_same_ids_and_matches_the_fused_forward(cell):
    fast, slow = _pair(cell, 2, True)
    x = torch.randint(0, V, (2, 7))
    trace = trace_model(fast, x)
    assert trace.inputs.shape == (2, 7) and not trace.inputs.is_floating_point()
    with torch.no_grad():
        fused, _ = slow.rnn(slow.inputs(x))
    torch.testing.assert_close(trace.output, fused, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(trace.output, trace_model(slow, x).output, rtol=0, atol=1e-6)


def test_project_inputs_looks_ids_up_as_the_one_hot_product():
    model, _ = _pair("lstm", 1, True)
    w = layer_weights(model.rnn, 0)
    x = torch.randint(0, V, (4, 6))
    torch.testing.assert_close(project_inputs(x, w), project_inputs(model.inputs(x), w), rtol=0, atol=1e-6)


def test_gradients_across_time_are_the_same_on_either_path():
    fast, slow = _pair("gru", 1, True)
    x, y = torch.randint(0, V, (2, 8)), torch.randint(0, V, (2, 8))

    def loss(logits):
        return F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))

    torch.testing.assert_close(hidden_grads(fast, x, loss).norms, hidden_grads(slow, x, loss).norms)


def test_a_large_vocabulary_is_looked_up_and_a_small_one_stays_one_hot():
    assert looks_up(2489, ModelConfig(cell="gru", hidden_size=64))  # the Tang poems
    assert not looks_up(28, ModelConfig(cell="gru", hidden_size=64))  # The Time Machine
    assert LanguageModel(2489, ModelConfig(hidden_size=8)).lookup
    assert not LanguageModel(28, ModelConfig(hidden_size=16)).lookup  # 28 < 3 x 16


def test_run_rnn_on_vectors_is_the_fused_module_itself():
    model, _ = _pair("rnn_tanh", 1, True)
    x = torch.randn(2, 5, V)
    torch.testing.assert_close(run_rnn(model.rnn, x)[0], model.rnn(x)[0], rtol=0, atol=0)
