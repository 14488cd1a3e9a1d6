"""Eigenvalues of the recurrent matrices: the 0.9^100 / 1.2^100 argument on a real model."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnnviz.cells import SPECS, cell_name, layer_weights


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of one square block of W_hh and its spectral radius."""

    layer: int
    block: str  # 'W_hh' for a plain RNN, else the gate the block feeds
    eigenvalues: torch.Tensor  # (H,) complex
    radius: float


def recurrent_spectra(rnn: nn.RNNBase) -> list[Spectrum]:
    """Returns the eigenvalues of every layer's W_hh (each gate's H x H block for GRU and LSTM)."""
    cell = cell_name(rnn)
    out = []
    for k in range(rnn.num_layers):
        W_hh = layer_weights(rnn, k).W_hh.detach()
        names = SPECS[cell].blocks if SPECS[cell].gated else ("W_hh",)
        for name, block in zip(names, W_hh.chunk(len(names), dim=0)):
            eig = torch.linalg.eigvals(block)
            out.append(Spectrum(k, name, eig, float(eig.abs().max())))
    return out
