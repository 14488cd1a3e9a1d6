"""Shape explorer: the tensors that flow through a configured nn.RNN / nn.GRU / nn.LSTM, layer by layer and
direction by direction, parameter counts by formula against torch's, and which states depend on which inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnviz.catalog import t
from rnnviz.cells import SPECS
from rnnviz.config import ModelConfig
from rnnviz.errors import ConfigError
from rnnviz.models import count_params, init_weights, make_rnn, param_count_formula

DIRECTIONS = ("forward", "backward")  # catalogue names of a layer's two directions (index 0, 1)


@dataclass(frozen=True)
class ShapeSpec:
    """What the learner configures: cell, sizes, depth, direction, batch and length; vocab > 0 adds an embedding."""

    cell: str = "gru"
    input_size: int = 8
    hidden_size: int = 16
    num_layers: int = 2
    bidirectional: bool = False
    batch: int = 4
    steps: int = 7
    vocab: int = 10  # 0 = feed vectors directly; d2l's encoder embeds a vocabulary of 10 into 8 dimensions
    bias: bool = True


def build(spec: ShapeSpec, seed: int = 0) -> tuple[nn.Embedding | None, nn.RNNBase]:
    """Returns the (optional) embedding and the fused recurrent module of a spec, seeded."""
    if not (1 <= spec.batch <= 256 and 1 <= spec.steps <= 512 and 1 <= spec.input_size <= 1024):
        raise ConfigError("architectures.errors.sizes")
    rnn = make_rnn(ModelConfig(cell=spec.cell, hidden_size=spec.hidden_size, num_layers=spec.num_layers,
                               bias=spec.bias), spec.input_size, spec.bidirectional)
    embed = nn.Embedding(spec.vocab, spec.input_size) if spec.vocab > 0 else None
    # A private generator (not torch's global RNG, which every session on the server shares).
    return (init_weights(embed, seed) if embed is not None else None), init_weights(rnn, seed)


def single_layer(rnn: nn.RNNBase, k: int) -> nn.RNNBase:
    """Returns a one-layer module holding layer k of a fused module (both directions), for per-layer outputs."""
    layer = type(rnn)(**_kwargs(rnn, rnn.input_size if k == 0 else rnn.hidden_size * (2 if rnn.bidirectional else 1)))
    own = re.compile(rf"(weight|bias)_(ih|hh)_l{k}(_reverse)?")
    layer.load_state_dict({n.replace(f"_l{k}", "_l0"): p for n, p in rnn.named_parameters() if own.fullmatch(n)})
    return layer


def _kwargs(rnn: nn.RNNBase, input_size: int) -> dict:
    kw = dict(input_size=input_size, hidden_size=rnn.hidden_size, num_layers=1, bias=rnn.bias, batch_first=True,
              bidirectional=rnn.bidirectional)
    if isinstance(rnn, nn.RNN):
        kw["nonlinearity"] = rnn.nonlinearity
    return kw


@dataclass(frozen=True)
class Flow:
    """The tensors one forward pass produced, with the fused module's own output and final state."""

    table: pd.DataFrame  # one row per tensor: name, shape that ran (batch_first), d2l's time-major shape, meaning
    output: torch.Tensor  # (B, T, dirs*H)
    state: torch.Tensor  # (L*dirs, B, H) (h_n; LSTM also has c_n of the same shape)
    layer_states: list[torch.Tensor]  # per layer (dirs, B, H), from running each layer alone


def _row(name: str, shape: tuple[int, ...], d2l: tuple[int, ...] | None, meaning: str) -> dict:
    fmt = lambda s: "(" + ", ".join(str(v) for v in s) + ")"  # noqa: E731
    return {t("architectures.table.tensor"): name, t("architectures.table.shape"): fmt(shape),
            t("architectures.table.d2l"): fmt(d2l) if d2l else t("architectures.table.same"),
            t("architectures.table.meaning"): meaning}


def flow(spec: ShapeSpec, seed: int = 0) -> Flow:
    """Returns every tensor of one forward pass: tokens, embeddings, each layer's output and final states."""
    embed, rnn = build(spec, seed)
    B, T, H, dirs = spec.batch, spec.steps, spec.hidden_size, 2 if spec.bidirectional else 1
    g = torch.Generator().manual_seed(seed)
    rows = []
    if embed is not None:
        tokens = torch.randint(0, spec.vocab, (B, T), generator=g)  # (B, T)
        rows.append(_row(t("architectures.table.tokens"), (B, T), (T, B),
                         t("architectures.table.tokens_meaning", batch=B, steps=T, vocab=spec.vocab)))
        x = embed(tokens)  # (B, T, D)
        rows.append(_row(t("architectures.table.embedded"), tuple(x.shape), (T, B, spec.input_size),
                         t("architectures.table.embedded_meaning", size=spec.input_size)))
    else:
        x = torch.randn(B, T, spec.input_size, generator=g)  # (B, T, D)
        rows.append(_row(t("architectures.table.inputs"), tuple(x.shape), (T, B, spec.input_size),
                         t("architectures.table.inputs_meaning", size=spec.input_size)))
    with torch.no_grad():
        output, state = rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state  # (L*dirs, B, H)
        layer_in, layer_states = x, []
        for k in range(spec.num_layers):
            out_k, s_k = single_layer(rnn, k)(layer_in)  # (B, T, dirs*H)
            s_k = s_k[0] if isinstance(s_k, tuple) else s_k  # (dirs, B, H)
            rows.append(_row(t("architectures.table.layer_output", layer=k + 1), tuple(out_k.shape), (T, B, dirs * H),
                             _layer_meaning(k, spec.num_layers, dirs, H)))
            for d in range(dirs):
                which = t(f"architectures.table.{DIRECTIONS[d]}")
                rows.append(_row(t("architectures.table.final_state", layer=k + 1, direction=which),
                                 tuple(s_k[d].shape), None, t(f"architectures.table.read_{DIRECTIONS[d]}")))
            layer_in = out_k
            layer_states.append(s_k)
    rows.append(_row(t("architectures.table.output", module=type(rnn).__name__), tuple(output.shape),
                     (T, B, dirs * H), t("architectures.table.output_meaning")))
    rows.append(_row(t("architectures.table.state_lstm" if spec.cell == "lstm" else "architectures.table.state"),
                     tuple(h_n.shape), None, t("architectures.table.state_meaning", dirs=dirs)))
    return Flow(pd.DataFrame(rows), output, h_n, layer_states)


def _layer_meaning(k: int, layers: int, dirs: int, H: int) -> str:
    states = (t("architectures.table.both_directions", dirs=dirs, size=H) if dirs == 2
              else t("architectures.table.all_units", size=H))
    if k + 1 < layers:
        return t("architectures.table.into_layer", states=states, layer=k + 2)
    return t("architectures.table.into_output", states=states)


def param_table(rnn: nn.RNNBase) -> pd.DataFrame:
    """Returns one row per layer and direction: the formula's count next to torch's count of those tensors."""
    cell = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "GRU": "gru", "LSTM": "lstm"}[rnn.mode]
    gates, H, dirs = len(SPECS[cell].blocks), rnn.hidden_size, 2 if rnn.bidirectional else 1
    rows = []
    for k in range(rnn.num_layers):
        D = rnn.input_size if k == 0 else H * dirs
        for d in range(dirs):
            suffix = f"_l{k}" + ("_reverse" if d else "")
            own = sum(p.numel() for n, p in rnn.named_parameters() if n.endswith(suffix))
            by_formula = gates * H * (H + D) + (2 * gates * H if rnn.bias else 0)
            formula = f"{gates}·{H}·({H}+{D})" + (f" + 2·{gates}·{H}" if rnn.bias else "")
            rows.append({t("architectures.table.layer"): k + 1,
                         t("architectures.table.direction"): t(f"architectures.table.{DIRECTIONS[d]}"),
                         t("architectures.table.formula"): formula,
                         t("architectures.table.by_formula"): by_formula, t("architectures.table.by_torch"): own})
    return pd.DataFrame(rows)


def param_totals(spec: ShapeSpec) -> tuple[int, int]:
    """Returns (param_count_formula, count_params of torch's module) for the recurrent core of a spec."""
    _, rnn = build(spec)
    return (param_count_formula(spec.cell, spec.input_size, spec.hidden_size, spec.num_layers, spec.bias,
                                spec.bidirectional), count_params(rnn))


def one_layer_params(spec: ShapeSpec) -> int:
    """Returns N: the parameters of one layer in one direction with the spec's cell, input and hidden sizes."""
    return param_count_formula(spec.cell, spec.input_size, spec.hidden_size, 1, spec.bias, False)


def output_widths(spec: ShapeSpec) -> tuple[int, int]:
    """Returns the output's last dimension as torch's module produces it with bidirectional off and on."""
    widths = []
    for both in (False, True):
        _, rnn = build(replace(spec, bidirectional=both, batch=1))
        with torch.no_grad():
            widths.append(int(rnn(torch.zeros(1, spec.steps, spec.input_size))[0].shape[-1]))  # (1, T, dirs*H)
    return widths[0], widths[1]


def dependency_mask(layers: int, steps: int, layer: int, t: int, bidirectional: bool = False) -> np.ndarray:
    """Returns (layers + 1, steps) bools: which inputs (row 0) and states (row k = layer k >= 1) state (layer, t) reads."""
    if not (1 <= layer <= layers and 0 <= t < steps):
        raise ConfigError("architectures.errors.pick_state", layers=layers, last=steps - 1)
    mask = np.zeros((layers + 1, steps), dtype=bool)
    # Forward only: h_t^(l) = f(h_{t-1}^(l), h_t^(l-1)), so it reads every state at or below it up to t.
    # Bidirectional: the backward half of every layer reads from the end, so every step of every lower layer.
    mask[: layer + 1, :] = True if bidirectional else False
    mask[: layer + 1, : t + 1] = True
    return mask


def input_jacobian(cell: str, steps: int, bidirectional: bool, hidden: int = 8, seed: int = 0) -> np.ndarray:
    """Returns ||d output_t / d x_s|| (steps, steps) for a random one-layer module.

    Zero above the diagonal (no look-ahead) unless bidirectional.
    """
    rnn = init_weights(make_rnn(ModelConfig(cell=cell, hidden_size=hidden), 1, bidirectional), seed)
    x = torch.randn(1, steps, 1, generator=torch.Generator().manual_seed(seed))  # (1, T, 1)
    jac = torch.autograd.functional.jacobian(lambda v: rnn(v)[0], x)  # (1, T, dirs*H, 1, T, 1)
    return jac[0, :, :, 0, :, 0].norm(dim=1).numpy()  # (T out, T in)
