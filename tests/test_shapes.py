"""Shape explorer: the tensors that flow, parameter counts by formula against torch's, dependency masks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnviz import shapes
from rnnviz.errors import ConfigError


@pytest.mark.parametrize("cell,layers,bidirectional,bias", list(itertools.product(
    ("rnn_tanh", "rnn_relu", "gru", "lstm"), (1, 2, 3), (False, True), (True, False))))
def test_parameter_formula_equals_torchs_count(cell, layers, bidirectional, bias):
    for D, H in ((1, 1), (8, 16), (5, 3)):
        spec = shapes.ShapeSpec(cell, D, H, layers, bidirectional, bias=bias)
        by_formula, by_torch = shapes.param_totals(spec)
        assert by_formula == by_torch
        table = shapes.param_table(shapes.build(spec)[1])
        assert (table["by formula"] == table["torch's count"]).all() and table["by formula"].sum() == by_torch
        assert len(table) == layers * (2 if bidirectional else 1)


def test_d2l_encoder_example_shapes():
    spec = shapes.ShapeSpec("gru", input_size=8, hidden_size=16, num_layers=2, batch=4, steps=7, vocab=10)
    flow = shapes.flow(spec)
    assert tuple(flow.output.shape) == (4, 7, 16)  # batch_first; d2l prints (7, 4, 16)
    assert tuple(flow.state.shape) == (2, 4, 16)
    row = flow.table.set_index("tensor").loc["output (what nn.GRU returns)"]
    assert row["shape that ran (batch_first)"] == "(4, 7, 16)" and row["d2l (time-major)"] == "(7, 4, 16)"


def test_bidirectional_doubles_the_output_and_the_state_rows_and_per_layer_states_match_h_n():
    spec = shapes.ShapeSpec("lstm", input_size=3, hidden_size=5, num_layers=3, bidirectional=True, batch=2, steps=4,
                            vocab=0)
    flow = shapes.flow(spec)
    assert tuple(flow.output.shape) == (2, 4, 10) and tuple(flow.state.shape) == (6, 2, 5)
    for k, s_k in enumerate(flow.layer_states):  # running each layer alone reproduces the fused module's h_n
        np.testing.assert_allclose(s_k.numpy(), flow.state[2 * k: 2 * k + 2].numpy(), atol=1e-6)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_dependency_mask_agrees_with_autograd(bidirectional):
    T = 6
    jac = shapes.input_jacobian("gru", T, bidirectional)  # (T out, T in)
    for t in range(T):
        mask = shapes.dependency_mask(1, T, 1, t, bidirectional)
        reads = jac[t] > 1e-9
        np.testing.assert_array_equal(mask[0], reads)  # row 0: the inputs state (1, t) depends on
    assert np.allclose(np.triu(jac, 1), 0) != bidirectional


def test_dependency_mask_in_a_deep_forward_network():
    mask = shapes.dependency_mask(3, 5, 2, 1)
    assert mask[:3, :2].all() and not mask[:3, 2:].any() and not mask[3].any()
    with pytest.raises(ConfigError):
        shapes.dependency_mask(3, 5, 4, 0)
