"""Gradients through time measured on real models: a character language model's passages and losses, the
memory-task models' curves, and how far back a truncated backward pass reaches.

The lessons' pages show these numbers; everything here is plain torch on models the caller owns (nothing is
changed: the gradients are taken with autograd.grad or on private copies).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnnviz.gradients import MemoryTask, last_step_loss, truncated_hidden_grads
from rnnviz.models import RecurrentModel
from rnnviz.tracing import hidden_grads, input_sensitivity

LOSS_MODES: tuple[str, ...] = ("last", "every")  # the last step's loss only / every step's loss (how the LM trains)
CURVES: tuple[str, ...] = ("grads", "grads0", "sens", "sens0")  # trained / at initialisation, for each measure


def passage_ids(indices: Sequence[int], length: int, batch: int = 8, seed: int = 0) -> np.ndarray:
    """Returns ids (batch, length + 1): passages of a corpus's token ids from seeded random offsets."""
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(indices) - length - 1, (batch,), generator=g).tolist()
    return np.stack([np.asarray(indices[s: s + length + 1]) for s in starts])


def lm_loss(target: torch.Tensor, mode: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Returns loss_fn(logits (B, T, V)): cross-entropy at the last step only ('last'), or over every step."""
    if mode == "last":
        return lambda logits: F.cross_entropy(logits[:, -1], target[:, -1])
    return lambda logits: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def inputs_and_targets(ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (x (B, T), y (B, T)): each passage's characters and the next character at each step."""
    return torch.as_tensor(ids[:, :-1]), torch.as_tensor(ids[:, 1:])


def lm_batch_loss(ids: np.ndarray) -> Callable[[nn.Module], torch.Tensor]:
    """Returns loss(model) = the language model's mean cross-entropy on a fixed batch ids (B, T + 1)."""
    x, y = inputs_and_targets(ids)
    return lambda model: F.cross_entropy(model(x)[0].reshape(-1, model.vocab_size), y.reshape(-1))


def lm_grads(model: nn.Module, ids: np.ndarray, mode: str) -> np.ndarray:
    """Returns ||dL/dh_t|| (L, T) of a language model on a batch of passages ids (B, T + 1)."""
    x, y = inputs_and_targets(ids)
    return hidden_grads(model, x, lm_loss(y, mode)).norms.numpy()


def lm_sensitivity(model: nn.Module, ids: np.ndarray) -> np.ndarray:
    """Returns ||dh_T/dx_t|| (T,) on the first passage of ids."""
    return input_sensitivity(model, torch.as_tensor(ids[:1, :-1])).numpy()


def memory_curves(models: Mapping[str, tuple[nn.Module, nn.Module]], delay: int, n: int = 32,
                  seed: int = 5) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """Returns {'grads', 'grads0', 'sens', 'sens0'} -> {label: curve} of memory-task models (trained, initial)
    on n fresh sequences, and the first sequence's tokens."""
    task = MemoryTask(delay)
    X, y = task.sample(n, torch.Generator().manual_seed(seed))
    out: dict[str, dict[str, np.ndarray]] = {k: {} for k in CURVES}
    for label, (trained, init) in models.items():
        for suffix, model in (("", trained), ("0", init)):
            out["grads" + suffix][label] = hidden_grads(model, X, last_step_loss(y)).norms.numpy()
            out["sens" + suffix][label] = input_sensitivity(model, X[:1]).numpy()
    return out, task.tokens(X[0])


def reach_curves(models: Mapping[str, tuple[RecurrentModel, int | None]], ids: np.ndarray,
                 mode: str) -> dict[str, np.ndarray]:
    """Returns {name: ||dL/dh_t|| (T,) of the top layer} of each (model, truncation length) on passages ids."""
    x, y = inputs_and_targets(ids)
    return {name: truncated_hidden_grads(model, x, lm_loss(y, mode), bptt).norms[-1].numpy()
            for name, (model, bptt) in models.items()}


def loss_trend(losses: Sequence[float], recent: int = 10) -> tuple[float, float]:
    """Returns (the first loss, the mean of the last `recent` losses) of a run's history."""
    tail = losses[-recent:]
    return float(losses[0]), float(sum(tail) / len(tail))
