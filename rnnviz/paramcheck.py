"""The formula that ran: the per-gate weight blocks of a fused module, its parameter count by formula checked
against torch's own, and how far the textbook GRU drifts from torch's with the same weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnviz.cells import SPECS, cell_name, layer_weights, project_inputs, textbook_gru_step
from rnnviz.errors import DataError
from rnnviz.models import param_count_formula


def weight_shapes(rnn: nn.RNNBase) -> pd.DataFrame:
    """Returns the per-gate blocks of every layer's fused weights, e.g. W_xz (H, D), with torch's names."""
    cell, rows = cell_name(rnn), []
    for k in range(rnn.num_layers):
        w = layer_weights(rnn, k)
        for j, gate in enumerate(SPECS[cell].blocks):
            H = rnn.hidden_size
            rows.append({"layer": k + 1, "gate": gate, "W_x": f"W_x{gate}: {H} x {w.W_ih.shape[1]}",
                         "W_h": f"W_h{gate}: {H} x {H}",
                         "b": f"b_{gate}: {H} (+{H})" if w.b_ih is not None else "none",
                         "torch rows": f"weight_ih_l{k}[{j * H}:{(j + 1) * H}]"})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ParamCheck:
    """The recurrent core's parameter count by formula and by torch, with the arithmetic written out."""

    formula: int
    torch_count: int
    expression: str

    @property
    def matches(self) -> bool:
        """Returns whether the formula agrees with torch's count."""
        return self.formula == self.torch_count


def param_check(rnn: nn.RNNBase) -> ParamCheck:
    """Returns gates x H x (H + D) (+ 2 x gates x H biases), per layer, checked against rnn's own tensors."""
    cell, H, D = cell_name(rnn), rnn.hidden_size, rnn.input_size
    gates = len(SPECS[cell].blocks)
    formula = param_count_formula(cell, D, H, rnn.num_layers, rnn.bias, rnn.bidirectional)
    torch_count = sum(p.numel() for p in rnn.parameters())  # counts frozen (shared) models too
    first = f"{gates} x {H} x ({H} + {D})" + (f" + 2 x {gates} x {H}" if rnn.bias else "")
    deeper = f" + {rnn.num_layers - 1} x [{gates} x {H} x ({H} + {H})" + (f" + 2 x {gates} x {H}]" if rnn.bias else "]")
    expression = first + (deeper if rnn.num_layers > 1 else "")
    return ParamCheck(formula, torch_count, expression)


def textbook_gru_gap(rnn: nn.GRU, inputs: torch.Tensor) -> np.ndarray:
    """Returns max over units of |h_torch - h_textbook| per step (T,) for the top layer, same weights, same input."""
    if cell_name(rnn) != "gru":
        raise DataError("gates.errors.textbook_only_gru")
    with torch.no_grad():
        torch_out, _ = rnn(inputs)  # (B, T, H)
        layer_input = inputs
        for k in range(rnn.num_layers):
            w = layer_weights(rnn, k)
            xp = project_inputs(layer_input, w)  # (B, T, 3H)
            h, hs = inputs.new_zeros(inputs.shape[0], rnn.hidden_size), []
            for t in range(inputs.shape[1]):
                h = textbook_gru_step(xp[:, t], h, w).h
                hs.append(h)
            layer_input = torch.stack(hs, dim=1)  # (B, T, H)
    return (torch_out - layer_input)[0].abs().max(dim=-1).values.numpy()
