"""Gradients through time: rnnviz's replay against independent computations on torch's fused modules."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from rnnviz.cells import cell_name
from rnnviz.config import CELLS, ModelConfig
from rnnviz.models import Forecaster, init_weights, make_rnn
from rnnviz.tracing import hidden_grads, input_sensitivity, trace_model


def _single_layer(rnn: torch.nn.RNNBase, k: int) -> torch.nn.RNNBase:
    """Returns a 1-layer fused module holding layer k's weights (the test's own copy, for independence)."""
    cfg = ModelConfig(cell=cell_name(rnn), hidden_size=rnn.hidden_size, num_layers=1, bias=rnn.bias)
    one = make_rnn(cfg, getattr(rnn, f"weight_ih_l{k}").shape[1])
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if rnn.bias else ()):
            getattr(one, f"{name}_l0").copy_(getattr(rnn, f"{name}_l{k}"))
    return one


def _grads_by_perturbation(model: Forecaster, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Returns ||dL/dh_t|| by adding a zero perturbation to every h_t and differentiating L with respect to it."""
    rnn, (B, T) = model.rnn, x.shape
    layers = [_single_layer(rnn, k) for k in range(rnn.num_layers)]
    deltas = torch.zeros(rnn.num_layers, T, B, rnn.hidden_size, requires_grad=True)
    states = [None] * rnn.num_layers
    preds = []
    for t in range(T):
        inp = x[:, t : t + 1, None]  # (B, 1, 1)
        for k, one in enumerate(layers):
            _, state = one(inp, states[k])
            h = (state[0] if isinstance(state, tuple) else state) + deltas[k, t]  # (1, B, H)
            states[k] = (h, state[1]) if isinstance(state, tuple) else h
            inp = h.transpose(0, 1)  # (B, 1, H): this layer's h_t feeds the next layer
        preds.append(model.out(inp[:, 0]).squeeze(-1))
    loss = F.mse_loss(torch.stack(preds, dim=1), y)
    (g,) = torch.autograd.grad(loss, deltas)
    return g.flatten(2).norm(dim=2)  # (L, T)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_hidden_grads_equal_the_total_derivative(cell, layers):
    model = init_weights(Forecaster(ModelConfig(cell=cell, hidden_size=5, num_layers=layers)), 1)
    x, y = torch.randn(3, 9), torch.randn(3, 9)
    got = hidden_grads(model, x, lambda out: F.mse_loss(out, y)).norms
    want = _grads_by_perturbation(model, x, y)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-9)


def test_total_derivative_differs_from_the_fused_outputs_direct_grad():
    model = init_weights(Forecaster(ModelConfig(cell="rnn_tanh", hidden_size=5)), 1)
    x, y = torch.randn(2, 8), torch.randn(2, 8)
    out, _ = model.rnn(model.inputs(x))
    out.retain_grad()
    F.mse_loss(model.head(out), y).backward()
    direct = out.grad.norm(dim=(0, 2))
    total = hidden_grads(model, x, lambda o: F.mse_loss(o, y)).norms[0]
    torch.testing.assert_close(total[-1], direct[-1])  # the last step has only the direct path
    assert (total[:-1] - direct[:-1]).abs().max() > 1e-6  # earlier steps also receive the recurrent path


@pytest.mark.parametrize("cell", CELLS)
def test_input_sensitivity_matches_the_jacobian_of_the_fused_module(cell):
    model = init_weights(Forecaster(ModelConfig(cell=cell, hidden_size=4, num_layers=2)), 2)
    x = torch.randn(1, 6)

    def last_state(inputs: torch.Tensor) -> torch.Tensor:
        out, _ = model.rnn(inputs)
        return out[0, -1]

    jac = torch.autograd.functional.jacobian(last_state, model.inputs(x))  # (H, 1, T, 1)
    want = jac.pow(2).sum(dim=(0, 1, 3)).sqrt()
    torch.testing.assert_close(input_sensitivity(model, x), want, rtol=1e-5, atol=1e-8)


def test_trace_to_frame_is_tidy():
    model = init_weights(Forecaster(ModelConfig(cell="lstm", hidden_size=3, num_layers=2)), 0)
    frame = trace_model(model, torch.randn(1, 4)).to_frame(tokens=list("abcd"))
    assert set(frame.columns) == {"layer", "t", "token", "unit", "quantity", "value"}
    assert len(frame) == 2 * 6 * 4 * 3  # layers x quantities (i f g o c h) x steps x units
    assert frame.query("t == 2")["token"].unique().tolist() == ["c"]


def test_hidden_grads_work_on_a_frozen_shared_model():
    model = init_weights(Forecaster(ModelConfig(cell="gru", hidden_size=4)), 0).requires_grad_(False)
    x, y = torch.randn(2, 6), torch.randn(2, 6)
    norms = hidden_grads(model, x, lambda o: F.mse_loss(o, y)).norms
    assert norms.shape == (1, 6) and (norms > 0).all()
    assert all(p.grad is None for p in model.parameters())  # nothing accumulated into the shared weights
