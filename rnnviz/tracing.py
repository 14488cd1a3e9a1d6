"""Replay a trained fused module through the explicit cells and record states, gates and gradients."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnviz.cells import SPECS, cell_name, layer_weights, project_inputs, step
from rnnviz.models import RecurrentModel


@dataclass(frozen=True)
class LayerTrace:
    """Everything one layer computed, stacked over time; fields a cell does not have are None."""

    h: torch.Tensor  # (B, T, H)
    pre: torch.Tensor | None = None  # (B, T, H) RNN pre-activation
    r: torch.Tensor | None = None  # (B, T, H) GRU reset
    z: torch.Tensor | None = None  # (B, T, H) GRU update
    n: torch.Tensor | None = None  # (B, T, H) GRU candidate
    i: torch.Tensor | None = None  # (B, T, H) LSTM input gate
    f: torch.Tensor | None = None  # (B, T, H) LSTM forget gate
    g: torch.Tensor | None = None  # (B, T, H) LSTM candidate
    o: torch.Tensor | None = None  # (B, T, H) LSTM output gate
    c: torch.Tensor | None = None  # (B, T, H) LSTM cell state

    def get(self, name: str) -> torch.Tensor:
        """Returns the recorded tensor called name (one of the cell spec's states)."""
        value = getattr(self, name)
        if value is None:
            raise KeyError(f"this layer has no '{name}'")
        return value


@dataclass(frozen=True)
class Trace:
    """A whole sequence replayed: per-layer records, the inputs read and the final state."""

    cell: str
    layers: tuple[LayerTrace, ...]
    inputs: torch.Tensor  # (B, T, D) vectors, or (B, T) token ids a language model's first layer looked up

    @property
    def names(self) -> tuple[str, ...]:
        """Returns the quantities this cell records, e.g. ('r', 'z', 'n', 'h')."""
        return SPECS[self.cell].states

    @property
    def output(self) -> torch.Tensor:
        """Returns the top layer's states (B, T, H), equal to the fused module's output."""
        return self.layers[-1].h

    def final_state(self) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Returns (L, B, H) states after the last step, shaped like the fused module's h_n (and c_n)."""
        h = torch.stack([layer.h[:, -1] for layer in self.layers])
        if self.cell == "lstm":
            return h, torch.stack([layer.c[:, -1] for layer in self.layers])
        return h

    def to_frame(self, tokens: Sequence[str] | None = None, sample: int = 0) -> pd.DataFrame:
        """Returns a tidy table: layer, t, token, unit, quantity, value (one row per number)."""
        parts = []
        for k, layer in enumerate(self.layers):
            for name in self.names:
                values = layer.get(name)[sample].detach().numpy()  # (T, H)
                T, H = values.shape
                parts.append(pd.DataFrame({
                    "layer": k, "t": np.repeat(np.arange(T), H), "unit": np.tile(np.arange(H), T),
                    "quantity": name, "value": values.reshape(-1),
                }))
        frame = pd.concat(parts, ignore_index=True)
        frame.insert(2, "token", [tokens[t] for t in frame["t"]] if tokens is not None else frame["t"].astype(str))
        return frame


def _initial(cell: str, state, layers: int, batch: int, hidden: int, like: torch.Tensor):
    zeros = like.new_zeros(layers, batch, hidden)
    if state is None:
        return zeros, zeros if cell == "lstm" else None
    return state if cell == "lstm" else (state, None)


def replay(rnn: nn.RNNBase, x: torch.Tensor, state=None) -> tuple[Trace, list[list[torch.Tensor]]]:
    """Returns the Trace of x (B, T, D), or token ids (B, T), through rnn's own weights, and the per-step h per layer.

    The per-step list holds the very tensors each next step consumed, so autograd.grad with
    respect to them gives the total derivative through the recurrence.
    """
    if rnn.bidirectional:
        raise ValueError("replay covers one direction; inspect bidirectional models per direction")
    cell = cell_name(rnn)
    B, T = x.shape[:2]
    h0, c0 = _initial(cell, state, rnn.num_layers, B, rnn.hidden_size, rnn.weight_hh_l0)
    layers, hs_per_layer, layer_input = [], [], x
    for k in range(rnn.num_layers):
        w = layer_weights(rnn, k)
        xp = project_inputs(layer_input, w)  # (B, T, G*H): one matmul for all timesteps
        h, c, steps = h0[k], (c0[k] if c0 is not None else None), []
        for t in range(T):
            s = step(cell, xp[:, t], h, c, w)
            h, c = s.h, getattr(s, "c", None)
            steps.append(s)
        record = {f.name: torch.stack([getattr(s, f.name) for s in steps], dim=1) for f in fields(steps[0])}
        layers.append(LayerTrace(**record))
        hs_per_layer.append([s.h for s in steps])
        layer_input = record["h"]
    return Trace(cell, tuple(layers), x), hs_per_layer


def trace_model(model: RecurrentModel, x: torch.Tensor, state=None) -> Trace:
    """Returns the Trace of a task model on raw inputs x (token indices or values), without gradients.

    The replay reads what the model's forward reads (model.fed): one-hot vectors, or the same ids looked up.
    """
    with torch.no_grad():
        return replay(model.rnn, model.fed(x), state)[0]


@dataclass(frozen=True)
class HiddenGrads:
    """||dL/dh_t|| for every layer and step: the total derivative through the recurrence."""

    norms: torch.Tensor  # (L, T)
    loss: float


def hidden_grads(model: RecurrentModel, x: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor],
                 state=None) -> HiddenGrads:
    """Returns ||dL/dh_t|| (Frobenius over batch and units) where loss_fn maps head outputs to L."""
    # The inputs require grad so the states do even when the model's weights are frozen
    # (the shared default models are); it does not change dL/dh_t.
    trace, hs = replay(model.rnn, model.inputs(x).detach().requires_grad_(True), state)
    loss = loss_fn(model.head(trace.output))
    flat = [h for layer in hs for h in layer]
    grads = torch.autograd.grad(loss, flat, allow_unused=True)
    norms = torch.stack([g.norm() if g is not None else flat[0].new_zeros(()) for g in grads])
    return HiddenGrads(norms.reshape(len(hs), -1).detach(), loss.item())


def input_sensitivity(model: RecurrentModel, x: torch.Tensor, state=None) -> torch.Tensor:
    """Returns ||dh_T/dx_t|| (Frobenius norm of the Jacobian) for each t of one sequence x (1, T)."""
    inputs = model.inputs(x).detach().requires_grad_(True)  # (1, T, D)
    trace, _ = replay(model.rnn, inputs, state)
    h_T = trace.output[0, -1]  # (H,)
    eye = torch.eye(len(h_T))
    try:
        (jac,) = torch.autograd.grad(h_T, inputs, grad_outputs=eye, is_grads_batched=True)  # (H, 1, T, D)
    except RuntimeError:  # vmap cannot batch every op; fall back to one backward per unit
        rows = [torch.autograd.grad(h_T[j], inputs, retain_graph=True)[0] for j in range(len(h_T))]
        jac = torch.stack(rows)
    return jac.pow(2).sum(dim=(0, 1, 3)).sqrt().detach()  # (T,)
