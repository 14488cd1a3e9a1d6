"""Gradients through time: the spectral radius of a recurrence, a long-range memory task, clipping and truncation.

Everything here is computed for real with torch (no analytic curves), on fresh models the
caller owns: nothing in this module changes a model it was handed, except training a run.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnnviz.config import ModelConfig, TrainConfig
from rnnviz.models import RecurrentModel, init_weights, make_rnn
from rnnviz.tasks import Score
from rnnviz.tracing import HiddenGrads, hidden_grads, replay
from rnnviz.train import TrainRun

# --- the linear recurrence h_t = A h_{t-1} and its spectral radius ---------------------------------


def spectral_radius(W: torch.Tensor) -> float:
    """Returns max |eigenvalue| of a square matrix."""
    return float(torch.linalg.eigvals(W.detach().double()).abs().max())


def scale_to_radius(W: torch.Tensor, radius: float) -> torch.Tensor:
    """Returns a new matrix: W rescaled so that its spectral radius is `radius` (W itself is untouched)."""
    return W.detach() * (radius / spectral_radius(W))


def random_matrix(size: int, seed: int = 0) -> torch.Tensor:
    """Returns a Gaussian size x size matrix with entries of variance 1/size (spectral radius near 1)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(size, size, generator=g, dtype=torch.float64) / size**0.5


@dataclass(frozen=True)
class RecurrenceNorms:
    """||h_t|| for t = 0..T of h_t = A h_{t-1} and of h_t = tanh(A h_{t-1}), from the same A and h_0."""

    radius: float
    size: int  # H, the number of units
    linear: np.ndarray  # (T+1,)
    tanh: np.ndarray  # (T+1,)
    tanh_max_abs: np.ndarray  # (T+1,) largest |h_t,i| under tanh: always below 1

    def rate(self, last: int = 50) -> float:
        """Returns the measured growth per step of the linear recurrence over its last `last` steps."""
        return float((self.linear[-1] / self.linear[-1 - last]) ** (1.0 / last))


def recurrence_norms(radius: float, steps: int = 100, size: int = 32, seed: int = 0) -> RecurrenceNorms:
    """Returns the state norms of the linear and the tanh recurrence with a random A of spectral radius `radius`."""
    A = scale_to_radius(random_matrix(size, seed), radius)  # (H, H) float64: 1.5^100 fits easily
    g = torch.Generator().manual_seed(seed + 1)
    h0 = torch.randn(size, generator=g, dtype=torch.float64)
    h0 = h0 / h0.norm()  # ||h_0|| = 1, every entry well inside (-1, 1)
    lin, th = [h0], [h0]
    for _ in range(steps):
        lin.append(A @ lin[-1])
        th.append(torch.tanh(A @ th[-1]))
    lin_norms = torch.stack(lin).norm(dim=1).numpy()
    tanh_states = torch.stack(th)  # (T+1, H)
    return RecurrenceNorms(radius, size, lin_norms, tanh_states.norm(dim=1).numpy(), tanh_states.abs().amax(dim=1).numpy())


def set_recurrent_radius(rnn: nn.RNNBase, radius: float) -> nn.RNNBase:
    """Returns rnn after rescaling every layer's W_hh in place to spectral radius `radius` (plain RNNs only).

    Call it only on a fresh model you own: it changes the weights.
    """
    if rnn.mode not in ("RNN_TANH", "RNN_RELU"):
        raise ValueError("set_recurrent_radius is for plain RNNs (a single H x H recurrent matrix)")
    with torch.no_grad():
        for k in range(rnn.num_layers):
            W = getattr(rnn, f"weight_hh_l{k}")
            W.copy_(scale_to_radius(W, radius).to(W.dtype))
    return rnn


# --- a long-range memory task: report the first symbol after k distractors ------------------------


class MemoryModel(RecurrentModel):
    """One-hot tokens -> recurrence -> logits over the symbols to remember, at every step."""

    def __init__(self, vocab_size: int, n_out: int, cfg: ModelConfig):
        super().__init__()
        self.cfg, self.vocab_size = cfg, vocab_size
        self.rnn = make_rnn(cfg, vocab_size)
        self.out = nn.Linear(cfg.hidden_size, n_out)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return F.one_hot(x, self.vocab_size).float()  # (B, T, V)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(h)  # (B, T, S)


@dataclass
class MemoryTask:
    """Sequences [s, d_1 .. d_k, ?]: a symbol s, k distractors, a query mark; the answer at the query is s."""

    delay: int  # k, the number of distractors between the symbol and the question
    symbols: int = 4  # chance accuracy is 1/symbols
    distractors: int = 4
    batch_size: int = 64

    @property
    def vocab_size(self) -> int:
        """Returns the number of distinct input tokens: symbols, distractors and the query mark."""
        return self.symbols + self.distractors + 1

    def sample(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (X (n, k+2) token ids, y (n,) the symbol to report)."""
        y = torch.randint(0, self.symbols, (n,), generator=g)
        noise = self.symbols + torch.randint(0, self.distractors, (n, self.delay), generator=g)
        query = torch.full((n, 1), self.vocab_size - 1)
        return torch.cat([y[:, None], noise, query], dim=1), y

    def tokens(self, ids: torch.Tensor) -> list[str]:
        """Returns readable names of one sequence's token ids: symbols A.., distractors a.., the query '?'."""
        names = [chr(65 + i) for i in range(self.symbols)] + [chr(97 + i) for i in range(self.distractors)] + ["?"]
        return [names[int(i)] for i in ids]

    def make_model(self, cfg: ModelConfig) -> MemoryModel:
        return MemoryModel(self.vocab_size, self.symbols, cfg)

    def batches(self, g: torch.Generator) -> Iterator:
        while True:
            yield self.sample(self.batch_size, g)

    def score(self, model: MemoryModel, batch) -> Score:
        X, y = batch
        logits = model(X)[0][:, -1]  # (B, S): only the answer at the query counts
        return Score(F.cross_entropy(logits, y), accuracy=float((logits.argmax(-1) == y).float().mean()))


def last_step_loss(y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """Returns loss_fn(outputs (B, T, C)) = cross-entropy of the last step's logits against y (B,)."""
    return lambda out: F.cross_entropy(out[:, -1], y)


def set_forget_bias(rnn: nn.RNNBase, value: float) -> nn.RNNBase:
    """Returns an LSTM after setting its forget-gate bias b_if + b_hf to `value` in place (a fresh model only).

    torch starts it near 0, so f = sigmoid(0) = 0.5 halves the cell state every step; a positive
    start (Gers et al. 2000; Jozefowicz et al. 2015) lets the cell keep what it read by default.
    """
    H = rnn.hidden_size
    with torch.no_grad():
        for k in range(rnn.num_layers):
            getattr(rnn, f"bias_ih_l{k}")[H: 2 * H] = value  # torch's LSTM chunks are (i, f, g, o)
            getattr(rnn, f"bias_hh_l{k}")[H: 2 * H] = 0.0
    return rnn


def memory_run(cell: str, delay: int, hidden: int = 32, lr: float = 0.01, seed: int = 0,
               steps: int = 300, forget_bias: float | None = None) -> TrainRun:
    """Returns a fresh TrainRun (Adam, clipping at 1) of `cell` on the memory task with `delay` distractors."""
    task = MemoryTask(delay)
    model = init_weights(task.make_model(ModelConfig(cell=cell, hidden_size=hidden)), seed)
    if cell == "lstm" and forget_bias is not None:
        set_forget_bias(model.rnn, forget_bias)
    return TrainRun(model, task, TrainConfig(optimizer="adam", lr=lr, clip=1.0, steps=steps, seed=seed))


def memory_eval(model: MemoryModel, task: MemoryTask, n: int = 256, seed: int = 123) -> tuple[float, np.ndarray]:
    """Returns (accuracy on n fresh sequences, ||dL/dh_t|| over t for the last-step loss on them)."""
    X, y = task.sample(n, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        accuracy = float((model(X)[0][:, -1].argmax(-1) == y).float().mean())
    grads = hidden_grads(model, X, last_step_loss(y)).norms[-1].numpy()  # (T,) top layer
    return accuracy, grads


def radius_grad_curve(radius: float, steps: int = 100, hidden: int = 32, seed: int = 0,
                      cell: str = "rnn_tanh") -> np.ndarray:
    """Returns ||dL/dh_t|| (T,) of a fresh RNN at initialisation whose W_hh has spectral radius `radius`."""
    task = MemoryTask(steps - 2)
    model = init_weights(task.make_model(ModelConfig(cell=cell, hidden_size=hidden)), seed)
    set_recurrent_radius(model.rnn, radius)  # our own fresh model: safe to change
    X, y = task.sample(32, torch.Generator().manual_seed(seed + 7))
    return hidden_grads(model, X, last_step_loss(y)).norms[-1].numpy()


# --- clipping and truncation ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClipCheck:
    """One minibatch's gradient before and after torch's clip_grad_norm_: lengths and the angle between them."""

    threshold: float
    raw_norm: float
    clipped_norm: float
    cosine: float  # cosine(g, clipped g): 1 means the direction is unchanged


def clip_check(model: nn.Module, loss: Callable[[nn.Module], torch.Tensor], threshold: float) -> ClipCheck:
    """Returns how clip_grad_norm_ changed the gradient of loss(model), computed on a private copy of the model."""
    twin = copy.deepcopy(model)  # the caller's model and its .grad stay untouched
    twin.requires_grad_(True)
    twin.zero_grad(set_to_none=True)
    loss(twin).backward()
    params = [p for p in twin.parameters() if p.grad is not None]
    raw = torch.cat([p.grad.detach().flatten() for p in params]).double()
    torch.nn.utils.clip_grad_norm_(params, threshold)
    clipped = torch.cat([p.grad.detach().flatten() for p in params]).double()
    cosine = float(F.cosine_similarity(raw, clipped, dim=0))
    return ClipCheck(threshold, float(raw.norm()), float(clipped.norm()), cosine)


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def truncated_hidden_grads(model: RecurrentModel, x: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor],
                           bptt: int | None) -> HiddenGrads:
    """Returns ||dL/dh_t|| (L, T) when backprop is cut every `bptt` steps, as truncated_forward trains."""
    inputs = model.inputs(x).detach().requires_grad_(True)  # (B, T, D)
    T = inputs.shape[1]
    size = bptt if bptt and bptt < T else T
    state, outs, hs = None, [], []
    for chunk in inputs.split(size, dim=1):
        trace, chunk_hs = replay(model.rnn, chunk, state)
        outs.append(trace.output)
        hs.append(chunk_hs)  # per layer, this chunk's steps
        state = _detach(trace.final_state())  # the gradient stops at the chunk boundary
    loss = loss_fn(model.head(torch.cat(outs, dim=1)))
    layers = len(hs[0])
    flat = [h for k in range(layers) for part in hs for h in part[k]]  # layer-major, then time
    grads = torch.autograd.grad(loss, flat, allow_unused=True)
    norms = torch.stack([g.norm() if g is not None else flat[0].new_zeros(()) for g in grads])
    return HiddenGrads(norms.reshape(layers, T).detach(), loss.item())


# --- several runs trained side by side in bounded chunks ------------------------------------------


@dataclass
class RunSet:
    """Named runs trained round-robin in time-bounded chunks, with each step's cumulative training seconds."""

    runs: dict[str, TrainRun]
    steps: int  # the budget of every run

    def __post_init__(self):
        self.seconds: dict[str, list[float]] = {name: [] for name in self.runs}

    def active(self) -> list[str]:
        """Returns the names of runs that still have steps to take and have not diverged."""
        return [n for n, r in self.runs.items() if r.steps_done < self.steps and not r.diverged]

    @property
    def finished(self) -> bool:
        """Returns True when every run used its budget or diverged."""
        return not self.active()

    def tick(self, seconds: float) -> int:
        """Trains every active run for about seconds / (number of active runs); returns the steps taken."""
        names = self.active()
        taken = 0
        for name in names:
            run, times = self.runs[name], self.seconds[name]
            start, before = time.perf_counter(), run.steps_done
            run.run(self.steps - before, seconds=seconds / len(names))
            n, elapsed = run.steps_done - before, time.perf_counter() - start
            t0 = times[-1] if times else 0.0
            times.extend(t0 + elapsed * (i + 1) / max(n, 1) for i in range(n))  # spread the chunk over its steps
            taken += n
        return taken
