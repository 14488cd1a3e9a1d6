"""Task models on torch's fused nn.RNN / nn.GRU / nn.LSTM, plus d2l's autoregressive MLP.

Every recurrent task model exposes ``rnn`` (the fused module whose weights the explicit
cells replay), ``inputs(x)`` (what the recurrence reads at each step), ``recurrent(x)`` (the top
layer's states) and ``head(h)`` (what those states become), so inspection and training share one model.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from rnnviz.cells import SPECS, cell_name
from rnnviz.config import CELLS, ModelConfig
from rnnviz.errors import ConfigError

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def make_rnn(cfg: ModelConfig, input_size: int, bidirectional: bool = False) -> nn.RNNBase:
    """Returns the fused recurrent module for a config (batch_first, as everywhere in rnnviz)."""
    if cfg.cell not in CELLS:
        raise ConfigError("errors.train.unknown_cell", cell=cfg.cell, cells=", ".join(CELLS))
    if not 1 <= cfg.hidden_size <= 4096 or not 1 <= cfg.num_layers <= 8:
        raise ConfigError("errors.train.model_size")
    kwargs = dict(input_size=input_size, hidden_size=cfg.hidden_size, num_layers=cfg.num_layers,
                  bias=cfg.bias, batch_first=True, bidirectional=bidirectional)
    if cfg.cell == "gru":
        return nn.GRU(**kwargs)
    if cfg.cell == "lstm":
        return nn.LSTM(**kwargs)
    return nn.RNN(nonlinearity=cfg.cell.removeprefix("rnn_"), **kwargs)


class RecurrentModel(nn.Module):
    """Base for task models: inputs -> fused recurrence -> head."""

    rnn: nn.RNNBase
    cfg: ModelConfig

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Returns the per-step input vectors (B, T, D) for raw inputs x."""
        raise NotImplementedError

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Returns outputs for top-layer states h (B, T, H)."""
        raise NotImplementedError

    def fed(self, x: torch.Tensor) -> torch.Tensor:
        """Returns what the recurrence is fed: inputs(x), or token ids (B, T) where the first layer looks them up."""
        return self.inputs(x)

    def recurrent(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Returns (the top layer's states at every step (B, T, H), final state): what the head reads."""
        return run_rnn(self.rnn, self.fed(x), state)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Returns (head outputs at every step, final state)."""
        out, state = self.recurrent(x, state)  # (B, T, H)
        return self.head(out), state


def looks_up(vocab_size: int, cfg: ModelConfig) -> bool:
    """Returns whether a language model reads its tokens by lookup: when V is wider than the G*H gate rows.

    The lookup replaces the (B*T, V) x (V, G*H) one-hot product by a row gather plus a (G*H) x (G*H)
    identity product inside the fused module, so it pays off once V > G*H (the Tang poems' ~2,500
    characters against 192 rows for a 64-unit GRU; never for The Time Machine's 28).
    """
    return vocab_size > len(SPECS[cfg.cell].blocks) * cfg.hidden_size


class LanguageModel(RecurrentModel):
    """d2l's character/word LM: one-hot tokens -> recurrence -> logits over the vocabulary.

    With a large vocabulary (``lookup``) the first layer reads row x of W_ih.T instead of multiplying
    W_ih by a one-hot vector: the same numbers, the same parameter, without the V-wide matmul.
    """

    def __init__(self, vocab_size: int, cfg: ModelConfig, lookup: bool | None = None):
        super().__init__()
        self.cfg, self.vocab_size = cfg, vocab_size
        self.rnn = make_rnn(cfg, vocab_size)
        self.out = nn.Linear(cfg.hidden_size, vocab_size)
        self.lookup = looks_up(vocab_size, cfg) if lookup is None else lookup

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return F.one_hot(x, self.vocab_size).float()  # (B, T, V)

    def fed(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.lookup else self.inputs(x)  # (B, T) ids or (B, T, V)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(h)  # (B, T, V)


def run_rnn(rnn: nn.RNNBase, fed: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
    """Returns the fused module's (outputs, final state) for input vectors (B, T, D) or token ids (B, T).

    Token ids are looked up: F.embedding(ids, W_ih.T) is W_ih @ one_hot(ids) exactly (a sum with one
    non-zero term), and the fused kernel then runs with an identity in place of the first layer's W_ih,
    so its recurrence, biases and later layers are torch's own. Gradients reach weight_ih_l0 through the lookup.
    """
    if fed.is_floating_point():
        return rnn(fed, state)
    if rnn.bidirectional or rnn.proj_size:
        raise ValueError("token lookup covers one direction without projections")
    weights = flat_weights(rnn)
    xp = _Lookup.apply(weights[0], fed)  # (B, T, G*H)
    eye = torch.eye(xp.shape[-1], dtype=xp.dtype)
    if state is None:
        zeros = xp.new_zeros(rnn.num_layers, fed.shape[0], rnn.hidden_size)
        state = (zeros, zeros) if cell_name(rnn) == "lstm" else zeros
    return fused_kernel(rnn)(xp, state, [eye, *weights[1:]])


def flat_weights(rnn: nn.RNNBase) -> list[torch.Tensor]:
    """Returns a one-direction module's parameters in the order its fused kernel takes them (torch's order)."""
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if rnn.bias else ())
    return [getattr(rnn, f"{name}_l{k}") for k in range(rnn.num_layers) for name in names]


def fused_kernel(rnn: nn.RNNBase) -> Callable[[torch.Tensor, State, list[torch.Tensor]], tuple[torch.Tensor, State]]:
    """Returns f(x (B, T, D), state, weights) -> (outputs, final state): the kernel nn.GRU & co. call (torch.gru,
    torch.lstm, torch.rnn_tanh..., named as the registry) with the module's other arguments, one direction."""
    cell = cell_name(rnn)
    kernel, rest = getattr(torch, cell), (rnn.bias, rnn.num_layers, float(rnn.dropout), rnn.training, False, True)
    if cell == "lstm":
        def lstm(x: torch.Tensor, state: State, weights: list[torch.Tensor]) -> tuple[torch.Tensor, State]:
            out, h, c = kernel(x, state, weights, *rest)
            return out, (h, c)
        return lstm
    return lambda x, state, weights: kernel(x, state, weights, *rest)


class _Lookup(torch.autograd.Function):
    """Rows ids of weight.T (F.embedding(ids, weight.T)), whose gradient is added into weight's own layout.

    Through F.embedding the gradient comes back as a (V, G*H) matrix that autograd then copies, transposed, into
    weight_ih's (G*H, V) layout: index_add_ along weight's columns gives the same sums 3x faster (measured at
    V=1662, G*H=192, 560 tokens: 0.19 ms against 0.63 ms a step).
    """

    @staticmethod
    def forward(ctx, weight, ids):  # (G*H, V), (B, T)
        ctx.save_for_backward(ids)
        ctx.weight_shape = weight.shape
        return F.embedding(ids, weight.T)  # (B, T, G*H)

    @staticmethod
    def backward(ctx, grad):  # grad (B, T, G*H)
        (ids,) = ctx.saved_tensors
        g_weight = grad.new_zeros(ctx.weight_shape)  # (G*H, V)
        g_weight.index_add_(1, ids.reshape(-1), grad.reshape(-1, grad.shape[-1]).t())
        return g_weight, None


class Forecaster(RecurrentModel):
    """Reads x_1..x_t one value per step and predicts x_{t+1} at every step."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.rnn = make_rnn(cfg, 1)
        self.out = nn.Linear(cfg.hidden_size, 1)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(-1) if x.dim() == 2 else x  # (B, T, 1)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(h).squeeze(-1)  # (B, T)


class SequenceClassifier(RecurrentModel):
    """Word embeddings -> recurrence -> logits for (negative, positive) at every step."""

    def __init__(self, vocab_size: int, cfg: ModelConfig, pad_index: int = 1):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=pad_index)
        self.rnn = make_rnn(cfg, cfg.embed_dim)
        self.out = nn.Linear(cfg.hidden_size, 2)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x)  # (B, T, E)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(h)  # (B, T, 2)

    def classify(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Returns logits (B, 2) read at each sentence's last real word (padding is never read)."""
        logits, _ = self(x)  # (B, T, 2)
        return logits[torch.arange(len(x)), lengths - 1]


class ARMLP(nn.Module):
    """d2l's autoregressive baseline: the last tau values -> 10 ReLU units -> the next value."""

    def __init__(self, tau: int = 4, hidden: int = 10):
        super().__init__()
        self.tau = tau
        self.net = nn.Sequential(nn.Linear(tau, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)  # (N, 1)


def init_weights(model: nn.Module, seed: int) -> nn.Module:
    """Returns the model re-initialised from its own generator (torch's default scheme).

    torch's global RNG is shared by every Streamlit session on a server, so two students
    starting runs at once would interleave draws; a private generator keeps runs reproducible.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.RNNBase):
                bound = 1.0 / math.sqrt(module.hidden_size)
                for p in module.parameters(recurse=False):
                    p.uniform_(-bound, bound, generator=g)
            elif isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                module.weight.uniform_(-bound, bound, generator=g)
                if module.bias is not None:
                    module.bias.uniform_(-bound, bound, generator=g)
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(0.0, 1.0, generator=g)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
    return model


def param_count_formula(cell: str, input_size: int, hidden: int, layers: int = 1, bias: bool = True,
                        bidirectional: bool = False) -> int:
    """Returns the recurrent core's parameter count: gates x H x (H + D) (+ 2 gates x H biases) per layer and direction."""
    dirs, spec = 2 if bidirectional else 1, SPECS[cell]
    return sum(dirs * spec.param_count(input_size if layer == 0 else hidden * dirs, hidden, bias)
               for layer in range(layers))


def count_params(module: nn.Module) -> int:
    """Returns torch's own count of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
