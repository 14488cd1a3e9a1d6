"""Cached computations for the recurrent matrix lesson (keyed by model identity and input)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from rnnviz.spectrum import recurrent_spectra
from rnnviz.tracing import hidden_grads, trace_model


def spectra_by_block(model: torch.nn.Module) -> dict[tuple[int, str], np.ndarray]:
    """Returns {(layer, block): eigenvalues as a complex numpy array} for the model's recurrence."""
    return {(s.layer, s.block): s.eigenvalues.numpy() for s in recurrent_spectra(model.rnn)}


def state_and_grad_norms(model: torch.nn.Module, ids: torch.Tensor, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns (||h_t||, ||dL/dh_t||) along one passage (1, T) for one layer of a language model."""
    h = trace_model(model, ids[:, :-1]).layers[layer].h[0].norm(dim=-1).numpy()  # (T-1,)
    target = ids[:, 1:]

    def loss_fn(logits: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))

    grads = hidden_grads(model, ids[:, :-1], loss_fn).norms[layer].numpy()
    return h, grads
