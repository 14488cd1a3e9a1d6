"""One explicit step per architecture, reading the fused module's own weights, returning every gate by name.

torch's packing (pinned by tests/test_cells.py against the fused forward):
  nn.RNN : h = act(W_ih x + b_ih + W_hh h_prev + b_hh)
  nn.GRU : chunks (r, z, n); n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h = (1 - z) * n + z * h_prev
  nn.LSTM: chunks (i, f, g, o); c = f * c_prev + i * g; h = o * tanh(c)
The input projections W_ih x + b_ih are computed for all timesteps at once (``project_inputs``);
a step only does the recurrent matmul.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

GATES: dict[str, tuple[str, ...]] = {
    "rnn_tanh": ("pre", "h"),
    "rnn_relu": ("pre", "h"),
    "gru": ("r", "z", "n", "h"),
    "lstm": ("i", "f", "g", "o", "c", "h"),
}
SIGMOID_GATES = frozenset({"r", "z", "i", "f", "o"})


@dataclass(frozen=True)
class LayerWeights:
    """The fused module's parameters for one layer (the same tensors, not copies)."""

    W_ih: torch.Tensor  # (G*H, D)
    W_hh: torch.Tensor  # (G*H, H)
    b_ih: torch.Tensor | None  # (G*H,)
    b_hh: torch.Tensor | None  # (G*H,)


@dataclass(frozen=True)
class RNNStep:
    pre: torch.Tensor  # (B, H) pre-activation
    h: torch.Tensor  # (B, H)


@dataclass(frozen=True)
class GRUStep:
    r: torch.Tensor  # (B, H) reset gate
    z: torch.Tensor  # (B, H) update gate
    n: torch.Tensor  # (B, H) candidate
    h: torch.Tensor  # (B, H)


@dataclass(frozen=True)
class LSTMStep:
    i: torch.Tensor  # (B, H) input gate
    f: torch.Tensor  # (B, H) forget gate
    g: torch.Tensor  # (B, H) candidate
    o: torch.Tensor  # (B, H) output gate
    c: torch.Tensor  # (B, H) cell state
    h: torch.Tensor  # (B, H)


Step = RNNStep | GRUStep | LSTMStep


def cell_name(rnn: nn.RNNBase) -> str:
    """Returns 'rnn_tanh', 'rnn_relu', 'gru' or 'lstm' for a fused module."""
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    return "rnn_" + rnn.nonlinearity


def layer_weights(rnn: nn.RNNBase, layer: int) -> LayerWeights:
    """Returns layer `layer`'s own weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}."""
    bias = rnn.bias
    return LayerWeights(
        getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}"),
        getattr(rnn, f"bias_ih_l{layer}") if bias else None, getattr(rnn, f"bias_hh_l{layer}") if bias else None,
    )


def project_inputs(x: torch.Tensor, w: LayerWeights) -> torch.Tensor:
    """Returns W_ih x_t + b_ih for every timestep in one matmul: (B, T, D) -> (B, T, G*H)."""
    return torch.nn.functional.linear(x, w.W_ih, w.b_ih)


def _recurrent(h: torch.Tensor, w: LayerWeights) -> torch.Tensor:
    return torch.nn.functional.linear(h, w.W_hh, w.b_hh)  # (B, G*H)


def rnn_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights, nonlinearity: str = "tanh") -> RNNStep:
    """Returns h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) and its pre-activation."""
    pre = xp + _recurrent(h, w)
    return RNNStep(pre, torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre))


def gru_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights) -> GRUStep:
    """Returns torch's GRU step: reset r multiplies (W_hn h + b_hn), after the matmul."""
    x_r, x_z, x_n = xp.chunk(3, dim=-1)
    h_r, h_z, h_n = _recurrent(h, w).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return GRUStep(r, z, n, (1 - z) * n + z * h)


def textbook_gru_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights) -> GRUStep:
    """Returns d2l's GRU step with the same weights: r multiplies h before the matmul (a different model)."""
    x_r, x_z, x_n = xp.chunk(3, dim=-1)
    W_hr, W_hz, W_hn = w.W_hh.chunk(3, dim=0)
    b_hr, b_hz, b_hn = w.b_hh.chunk(3) if w.b_hh is not None else (0.0, 0.0, 0.0)
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    return GRUStep(r, z, n, (1 - z) * n + z * h)


def lstm_step(xp: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w: LayerWeights) -> LSTMStep:
    """Returns torch's LSTM step with gates packed (i, f, g, o)."""
    i, f, g, o = (xp + _recurrent(h, w)).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return LSTMStep(i, f, g, o, c, o * torch.tanh(c))


def step(cell: str, xp: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, w: LayerWeights) -> Step:
    """Returns one step of the named cell (c is only read by the LSTM)."""
    if cell == "gru":
        return gru_step(xp, h, w)
    if cell == "lstm":
        return lstm_step(xp, h, c, w)
    return rnn_step(xp, h, w, cell.removeprefix("rnn_"))
