"""A tiny encoder-decoder (d2l 10.6-10.7) on a toy task: reverse or sort a short sequence of digits.

The encoder reads the source; its final state initialises the decoder and, as the context
vector c, is also concatenated to every decoder input (as in d2l's Seq2SeqDecoder). In
training the decoder reads the target shifted right by one, starting at <bos> (teacher forcing).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from rnnviz.config import ModelConfig
from rnnviz.errors import ConfigError
from rnnviz.models import init_weights, make_rnn

DIGITS = 10
BOS = DIGITS  # token 10 starts every decoder input
TASKS = ("reverse", "sort")


@dataclass(frozen=True)
class Seq2SeqConfig:
    """The toy task and the model: sequence length, cell, width, optimizer settings and seed."""

    task: str = "reverse"
    length: int = 6
    cell: str = "gru"
    hidden_size: int = 48
    embed_dim: int = 16
    batch_size: int = 64
    lr: float = 0.01
    seed: int = 0


def target_of(src: torch.Tensor, task: str) -> torch.Tensor:
    """Returns the target sequence (B, L) for source digits (B, L)."""
    if task == "reverse":
        return src.flip(1)
    if task == "sort":
        return src.sort(dim=1).values
    raise ConfigError("architectures.errors.unknown_task", task=task, choices=", ".join(TASKS))


def decoder_input(tgt: torch.Tensor) -> torch.Tensor:
    """Returns the target shifted right by one with <bos> in front (B, L): what the decoder reads in training."""
    return torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], dim=1)


def make_batch(cfg: Seq2SeqConfig, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (source, target), both (n, L) digits."""
    src = torch.randint(0, DIGITS, (n, cfg.length), generator=generator)
    return src, target_of(src, cfg.task)


class Seq2Seq(nn.Module):
    """Embedding -> encoder RNN -> context c; decoder RNN reads [embed(y_{t-1}), c] from the encoder's state."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        core = ModelConfig(cell=cfg.cell, hidden_size=cfg.hidden_size)
        self.embed = nn.Embedding(DIGITS + 1, cfg.embed_dim)
        self.encoder = make_rnn(core, cfg.embed_dim)
        self.decoder = make_rnn(core, cfg.embed_dim + cfg.hidden_size)
        self.out = nn.Linear(cfg.hidden_size, DIGITS)

    def encode(self, src: torch.Tensor):
        """Returns (encoder states (B, L, H), final encoder state: the decoder's initial state)."""
        return self.encoder(self.embed(src))

    def decode(self, dec_in: torch.Tensor, state, context: torch.Tensor):
        """Returns (logits (B, T, 10), state) for decoder inputs (B, T) and the context vector (B, H)."""
        e = self.embed(dec_in)  # (B, T, E)
        c = context[:, None, :].expand(-1, e.shape[1], -1)  # (B, T, H): the same c at every step
        out, state = self.decoder(torch.cat([e, c], dim=-1), state)  # (B, T, H)
        return self.out(out), state

    def forward(self, src: torch.Tensor, dec_in: torch.Tensor) -> torch.Tensor:
        """Returns teacher-forced logits (B, L, 10)."""
        _, state = self.encode(src)
        return self.decode(dec_in, state, context_of(state))[0]


def context_of(state) -> torch.Tensor:
    """Returns the context vector c: the encoder's final top-layer hidden state (B, H)."""
    h = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c)
    return h[-1]


def greedy(model: Seq2Seq, src: torch.Tensor) -> torch.Tensor:
    """Returns the decoder's own output (B, L), each step fed its previous prediction (no teacher)."""
    with torch.no_grad():
        _, state = model.encode(src)
        context, y, out = context_of(state), torch.full_like(src[:, :1], BOS), []
        for _ in range(src.shape[1]):
            logits, state = model.decode(y, state, context)
            y = logits.argmax(-1)  # (B, 1)
            out.append(y)
    return torch.cat(out, dim=1)


@dataclass
class Seq2SeqRun:
    """A seq2seq model being trained: its optimizer, private generator, losses and held-out accuracies."""

    cfg: Seq2SeqConfig
    model: Seq2Seq = field(init=False)
    losses: list[float] = field(default_factory=list)
    accuracy: list[tuple[int, float, float]] = field(default_factory=list)  # (step, token acc, whole-sequence acc)

    def __post_init__(self):
        self.model = init_weights(Seq2Seq(self.cfg), self.cfg.seed)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.cfg.lr)
        self.generator = torch.Generator().manual_seed(self.cfg.seed + 1)
        self.test = make_batch(self.cfg, 256, torch.Generator().manual_seed(10_000 + self.cfg.seed))

    def step(self) -> float:
        """Runs one teacher-forced minibatch step; returns its cross-entropy loss."""
        src, tgt = make_batch(self.cfg, self.cfg.batch_size, self.generator)
        self.model.train()
        logits = self.model(src, decoder_input(tgt))  # (B, L, 10)
        loss = F.cross_entropy(logits.reshape(-1, DIGITS), tgt.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.losses.append(loss.item())
        return self.losses[-1]

    def train(self, max_steps: int, seconds: float) -> int:
        """Runs up to max_steps steps within `seconds` of wall time, then scores; returns steps taken."""
        deadline, done = time.perf_counter() + seconds, 0
        while done < max_steps and time.perf_counter() < deadline:
            if not math.isfinite(self.step()):
                break
            done += 1
        self.accuracy.append((len(self.losses), *self.score()))
        return done

    def score(self) -> tuple[float, float]:
        """Returns (share of digits right, share of whole sequences right) by greedy decoding of held-out sources."""
        src, tgt = self.test
        pred = greedy(self.model, src)
        right = pred == tgt
        return float(right.float().mean()), float(right.all(dim=1).float().mean())


@dataclass(frozen=True)
class Example:
    """One held-out source run through the model: what each part of the encoder-decoder read and wrote."""

    src: list[int]
    dec_in: list[str]  # the shifted target as the decoder reads it in training, '<bos>' first
    tgt: list[int]
    pred: list[int]  # greedy decoding, each step fed its own previous prediction
    enc_states: torch.Tensor  # (L, H) top-layer encoder state after each source token


def example(model: Seq2Seq, cfg: Seq2SeqConfig, index: int = 0) -> Example:
    """Returns the index-th held-out example (same sources as Seq2SeqRun.test) with the encoder's states."""
    src, tgt = make_batch(cfg, 256, torch.Generator().manual_seed(10_000 + cfg.seed))
    src, tgt = src[index % 256: index % 256 + 1], tgt[index % 256: index % 256 + 1]  # (1, L)
    with torch.no_grad():
        states, _ = model.encode(src)  # (1, L, H)
    dec = ["<bos>" if v == BOS else str(v) for v in decoder_input(tgt)[0].tolist()]
    return Example(src[0].tolist(), dec, tgt[0].tolist(), greedy(model, src)[0].tolist(), states[0])
