"""Cached computations for the recurrent matrix lesson (keyed by model identity and input)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from rnnviz.catalog import t
from rnnviz.data import Vocab
from rnnviz.predictions import radius_above_one, radius_change
from rnnviz.spectrum import recurrent_spectra
from rnnviz.tracing import hidden_grads, trace_model
from rnnviz.ui.predict import predict


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


@dataclass(frozen=True)
class Spectra:
    """The eigenvalues of every block of W_hh, now and at initialisation, by (layer, block)."""

    now: dict[tuple[int, str], np.ndarray]
    before: dict[tuple[int, str], np.ndarray]

    def radius(self, block: tuple[int, str]) -> tuple[float, float]:
        """Returns the spectral radius max |λ| of one block (now, at initialisation)."""
        return float(np.abs(self.now[block]).max()), float(np.abs(self.before[block]).max())


def both_spectra(model: torch.nn.Module, before: torch.nn.Module) -> Spectra:
    """Returns the eigenvalues of the model's recurrent blocks and of the same model at initialisation."""
    return Spectra(spectra_by_block(model), spectra_by_block(before))


def block_codes(spectra: Spectra) -> dict[str, tuple[int, str]]:
    """Returns {'layer 1, z': (0, 'z'), ...}: the code a link carries for each block (layers counted from 1)."""
    return {f"layer {layer + 1}, {block}": (layer, block) for layer, block in spectra.now}


def block_labels(codes: dict[str, tuple[int, str]]) -> dict[str, str]:
    """Returns each block's name in the learner's language, by its code (a dict, so a chooser's format_func
    does not depend on the language of whoever calls it later)."""
    return {code: t("recurrent_matrix.block", layer=layer + 1, block=block) for code, (layer, block) in codes.items()}


def passage_norms(model: torch.nn.Module, before: torch.nn.Module, vocab: Vocab, passage: str,
                  layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (||h_t|| at initialisation, now, ||dL/dh_t|| at initialisation, now) along a cleaned passage."""
    ids = torch.tensor([vocab.encode(list(passage))])  # (1, T)
    h_now, g_now = state_and_grad_norms(model, ids, layer)
    h_init, g_init = state_and_grad_norms(before, ids, layer)
    return h_init, h_now, g_init, g_now


def ask_predictions(after: float, before: float) -> None:
    """Asks, before the eigenvalues show it, whether the block's spectral radius is above 1 and which way training
    moved it (after: now, before: at initialisation)."""
    predict("predict.recurrent_matrix.radius", radius_above_one(after))
    predict("predict.recurrent_matrix.trained", radius_change(after, before))
