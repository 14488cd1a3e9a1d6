"""Parity: the explicit cells replay torch's fused modules exactly, from the modules' own weights."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnviz.cells import SIGMOID_GATES, SPECS, layer_weights, project_inputs, textbook_gru_step
from rnnviz.config import CELLS, ModelConfig
from rnnviz.models import init_weights, make_rnn
from rnnviz.tracing import replay

CASES = list(itertools.product(CELLS, (1, 2), (True, False)))


def _rnn(cell: str, layers: int, bias: bool, hidden: int = 6, inputs: int = 5) -> torch.nn.RNNBase:
    return init_weights(make_rnn(ModelConfig(cell=cell, hidden_size=hidden, num_layers=layers, bias=bias), inputs), 3)


@pytest.mark.parametrize("cell,layers,bias", CASES)
def test_replay_matches_fused_forward(cell, layers, bias):
    rnn = _rnn(cell, layers, bias)
    x = torch.randn(3, 7, 5)  # (B, T, D)
    out, state = rnn(x)
    trace, _ = replay(rnn, x)
    torch.testing.assert_close(trace.output, out)
    if cell == "lstm":
        torch.testing.assert_close(trace.final_state()[0], state[0])
        torch.testing.assert_close(trace.final_state()[1], state[1])
    else:
        torch.testing.assert_close(trace.final_state(), state)


@pytest.mark.parametrize("cell,layers,bias", CASES)
def test_replay_from_a_given_state(cell, layers, bias):
    rnn = _rnn(cell, layers, bias)
    x = torch.randn(2, 4, 5)
    h0 = torch.randn(layers, 2, 6)
    state = (h0, torch.randn(layers, 2, 6)) if cell == "lstm" else h0
    out, _ = rnn(x, state)
    torch.testing.assert_close(replay(rnn, x, state)[0].output, out)


@pytest.mark.parametrize("cell", CELLS)
def test_records_every_gate_by_name_with_batch_first_shapes(cell):
    trace, _ = replay(_rnn(cell, 2, True), torch.randn(3, 7, 5))
    assert trace.names == SPECS[cell].states
    for layer in trace.layers:
        for name in trace.names:
            assert layer.get(name).shape == (3, 7, 6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_sigmoid_gates_lie_in_unit_interval(cell):
    rnn = _rnn(cell, 2, True)
    with torch.no_grad():  # large weights push gates to saturation, the hardest case for the bound
        for p in rnn.parameters():
            p.mul_(20)
    trace, _ = replay(rnn, torch.randn(4, 9, 5) * 5)
    for layer in trace.layers:
        for name in set(trace.names) & SIGMOID_GATES:
            v = layer.get(name)
            assert v.min() >= 0.0 and v.max() <= 1.0


def test_lstm_cell_and_hidden_identities():
    trace, _ = replay(_rnn("lstm", 1, True), torch.randn(2, 8, 5))
    L = trace.layers[0]
    c_prev = torch.cat([torch.zeros_like(L.c[:, :1]), L.c[:, :-1]], dim=1)
    torch.testing.assert_close(L.c, L.f * c_prev + L.i * L.g)
    torch.testing.assert_close(L.h, L.o * torch.tanh(L.c))


def test_gru_update_is_torch_convention():
    trace, _ = replay(_rnn("gru", 1, True), torch.randn(2, 8, 5))
    L = trace.layers[0]
    h_prev = torch.cat([torch.zeros_like(L.h[:, :1]), L.h[:, :-1]], dim=1)
    torch.testing.assert_close(L.h, (1 - L.z) * L.n + L.z * h_prev)


def test_rnn_pre_activation_and_relu():
    for cell, act in (("rnn_tanh", torch.tanh), ("rnn_relu", torch.relu)):
        L = replay(_rnn(cell, 1, True), torch.randn(2, 6, 5))[0].layers[0]
        torch.testing.assert_close(L.h, act(L.pre))


def test_textbook_gru_is_a_different_model_with_the_same_weights():
    rnn = _rnn("gru", 1, True, hidden=8)
    w = layer_weights(rnn, 0)
    x = torch.randn(1, 7, 5)
    xp = project_inputs(x, w)
    h_book = torch.zeros(1, 8)
    for t in range(7):
        h_book = textbook_gru_step(xp[:, t], h_book, w).h
    out, _ = rnn(x)
    assert (out[:, -1] - h_book).abs().max() > 1e-3  # reset before vs after the matmul is not the same model


def test_layer_weights_are_the_modules_own_tensors():
    rnn = _rnn("lstm", 2, True)
    w = layer_weights(rnn, 1)
    assert w.W_hh is rnn.weight_hh_l1 and w.b_ih is rnn.bias_ih_l1
