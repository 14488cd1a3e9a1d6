"""One step of a cell with its real numbers: every gate of one unit, split into what x_t and h_{t-1} gave it.

``cell_at_work(rnn, trace, layer, t, unit)`` recomputes the step at t from the fused module's own weights and
the replay's previous state, box by box (each gate, each product, c_t, h_t), and keeps beside each box the
formula with its numbers filled in. The values equal the replay's (tests/test_cellwork.py checks every cell
type, 1 and 2 layers), so the diagram a lesson draws is the model that ran, not a drawing of one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnviz.cells import SPECS, cell_name, layer_weights, project_inputs
from rnnviz.tracing import Trace

SIGMOID, TANH, RELU, LINEAR = "sigmoid", "tanh", "relu", "linear"
_NEGATIVE_OPERAND = re.compile(r"(\+|\\cdot) −([0-9.]+)")  # a negative number after + or ·


def _act(kind: str, v: float) -> float:
    if kind == SIGMOID:
        return 1.0 / (1.0 + math.exp(-v))
    if kind == TANH:
        return math.tanh(v)
    if kind == RELU:
        return max(v, 0.0)
    return v


@dataclass(frozen=True)
class Box:
    """One box of the dataflow: its value for the chosen unit, what went in, and the filled-in formula."""

    name: str  # a recorded state ('r', 'z', 'n', 'h', 'c', 'i', 'f', 'g', 'o', 'pre') or a product ('rh', 'keep',
    # 'write' of a GRU; 'fc', 'ig' of an LSTM), which the replay does not record but the formula of h_t / c_t adds
    value: float  # the replay's value at (t, unit)
    activation: str  # sigmoid, tanh, relu or linear: the colour scale a chart uses
    inputs: tuple[tuple[str, float], ...]  # (LaTeX name, value) of each term that went in
    latex: str  # the formula with the numbers filled in, ending with '= value'
    recomputed: float  # the box's value recomputed from its inputs with its formula

    def __post_init__(self) -> None:  # "0.9 + (−2.1)", not "0.9 + −2.1" (which reads as a binary minus)
        object.__setattr__(self, "latex", _NEGATIVE_OPERAND.sub(r"\1 (−\2)", self.latex))


@dataclass(frozen=True)
class CellAtWork:
    """A cell's step t for one unit of one layer, box by box, and every gate vector of that step."""

    cell: str
    layer: int
    t: int
    unit: int
    boxes: tuple[Box, ...]
    vectors: dict[str, np.ndarray]  # name -> (H,) values of the whole layer at t (the small bars)
    textbook_n: float | None = None  # GRU: the textbook candidate (reset before the matmul) with the same weights
    x_norm: float = 0.0  # ||x_t||; for a token id read by lookup, the norm of its W_ih column (what it adds)
    token: int | None = None  # the token id x_t, when the layer read ids (a lookup model's first layer)
    h_prev: float = 0.0  # this unit's h_{t-1} (0 before the first step)
    c_prev: float | None = None  # this unit's c_{t-1} (LSTM)

    def box(self, name: str) -> Box:
        return next(b for b in self.boxes if b.name == name)

    @property
    def products(self) -> tuple[Box, ...]:
        """Returns the elementwise products (boxes the replay does not record)."""
        return tuple(b for b in self.boxes if b.name not in SPECS[self.cell].states)


def _layer_input(trace: Trace, layer: int) -> torch.Tensor:
    """Returns what layer `layer` read at every step (B, T, D): the inputs, or the layer below's states."""
    return trace.inputs if layer == 0 else trace.layers[layer - 1].h


def _num(v: float) -> str:
    return f"{v:.3f}".replace("-", "−") if v < 0 else f"{v:.3f}"


def number(v: float) -> str:
    """Returns a value as the formulas show it: three decimals, a true minus sign."""
    return _num(v)


def _wrap(kind: str, inner: str) -> str:
    return {SIGMOID: rf"\sigma({inner})", TANH: rf"\tanh({inner})", RELU: rf"\mathrm{{ReLU}}({inner})"}.get(kind, inner)


def _gate(name: str, kind: str, ax: float, ah: float, value: float) -> Box:
    inner = f"{_num(ax)} + {_num(ah)}"
    latex = rf"{name}_t = {_wrap(kind, inner)} = {_num(value)}"
    return Box(name, value, kind, ((rf"W_{{x{name}}}x_t+b_{{x{name}}}", ax), (rf"W_{{h{name}}}h_{{t-1}}+b_{{h{name}}}", ah)),
               latex, _act(kind, ax + ah))


def cell_at_work(rnn: nn.RNNBase, trace: Trace, layer: int, t: int, unit: int, sample: int = 0) -> CellAtWork:
    """Returns step t of `layer` for `unit`, recomputed box by box from rnn's weights and the replay's states."""
    cell = cell_name(rnn)
    H, T = rnn.hidden_size, trace.layers[layer].h.shape[1]
    if not (0 <= layer < len(trace.layers) and 0 <= t < T and 0 <= unit < H):
        raise IndexError(f"step {t}, unit {unit}, layer {layer} is outside this trace")
    spec, rec, w = SPECS[cell], trace.layers[layer], layer_weights(rnn, layer)
    with torch.no_grad():
        x_t = _layer_input(trace, layer)[sample, t]  # (D,), or a 0-d token id: project_inputs looks it up
        h_prev = rec.h[sample, t - 1] if t > 0 else torch.zeros(H)
        xp = project_inputs(x_t, w)  # (G*H,)
        hp = torch.nn.functional.linear(h_prev, w.W_hh, w.b_hh)  # (G*H,)
        token = None if x_t.is_floating_point() else int(x_t)
        x_norm = float(torch.linalg.vector_norm(w.W_ih[:, token] if token is not None else x_t))
    ax = {g: float(xp[j * H + unit]) for j, g in enumerate(spec.blocks)}
    ah = {g: float(hp[j * H + unit]) for j, g in enumerate(spec.blocks)}
    got = {name: float(rec.get(name)[sample, t, unit]) for name in spec.states}
    hu = float(h_prev[unit])
    vectors = {name: rec.get(name)[sample, t].detach().numpy().copy() for name in spec.states}
    boxes: list[Box] = []
    textbook_n = None
    if cell == "gru":
        r, z, n, h = got["r"], got["z"], got["n"], got["h"]
        boxes += [_gate("r", SIGMOID, ax["r"], ah["r"], r), _gate("z", SIGMOID, ax["z"], ah["z"], z)]
        boxes.append(Box("n", n, TANH, ((r"W_{xn}x_t+b_{xn}", ax["n"]), ("r_t", r), (r"W_{hn}h_{t-1}+b_{hn}", ah["n"])),
                         rf"n_t = \tanh({_num(ax['n'])} + {_num(r)} \cdot {_num(ah['n'])}) = {_num(n)}",
                         math.tanh(ax["n"] + r * ah["n"])))
        boxes.append(Box("rh", r * ah["n"], LINEAR, (("r_t", r), (r"W_{hn}h_{t-1}+b_{hn}", ah["n"])),
                         rf"r_t \odot (W_{{hn}}h_{{t-1}}+b_{{hn}}) = {_num(r)} \cdot {_num(ah['n'])} = {_num(r * ah['n'])}",
                         r * ah["n"]))
        boxes.append(Box("keep", z * hu, LINEAR, (("z_t", z), ("h_{t-1}", hu)),
                         rf"z_t \odot h_{{t-1}} = {_num(z)} \cdot {_num(hu)} = {_num(z * hu)}", z * hu))
        boxes.append(Box("write", (1 - z) * n, LINEAR, (("z_t", z), ("n_t", n)),
                         rf"(1 - z_t) \odot n_t = {_num(1 - z)} \cdot {_num(n)} = {_num((1 - z) * n)}", (1 - z) * n))
        boxes.append(Box("h", h, LINEAR, (("z_t", z), ("n_t", n), ("h_{t-1}", hu)),
                         rf"h_t = (1 - {_num(z)}) \cdot {_num(n)} + {_num(z)} \cdot {_num(hu)} = {_num(h)}",
                         (1 - z) * n + z * hu))
        with torch.no_grad():  # d2l's candidate: the reset multiplies h_{t-1} before the matmul
            W_hn = w.W_hh[2 * H:3 * H]
            b_hn = w.b_hh[2 * H + unit] if w.b_hh is not None else 0.0
            r_vec = rec.r[sample, t]
            textbook_n = math.tanh(ax["n"] + float(W_hn[unit] @ (r_vec * h_prev)) + float(b_hn))
    elif cell == "lstm":
        c_prev = float(rec.c[sample, t - 1, unit]) if t > 0 else 0.0
        i, f, g, o, c, h = (got[k] for k in ("i", "f", "g", "o", "c", "h"))
        boxes += [_gate("i", SIGMOID, ax["i"], ah["i"], i), _gate("f", SIGMOID, ax["f"], ah["f"], f),
                  _gate("g", TANH, ax["g"], ah["g"], g), _gate("o", SIGMOID, ax["o"], ah["o"], o)]
        boxes.append(Box("fc", f * c_prev, LINEAR, (("f_t", f), ("c_{t-1}", c_prev)),
                         rf"f_t \odot c_{{t-1}} = {_num(f)} \cdot {_num(c_prev)} = {_num(f * c_prev)}", f * c_prev))
        boxes.append(Box("ig", i * g, LINEAR, (("i_t", i), ("g_t", g)),
                         rf"i_t \odot g_t = {_num(i)} \cdot {_num(g)} = {_num(i * g)}", i * g))
        boxes.append(Box("c", c, LINEAR, (("f_t", f), ("c_{t-1}", c_prev), ("i_t", i), ("g_t", g)),
                         rf"c_t = {_num(f)} \cdot {_num(c_prev)} + {_num(i)} \cdot {_num(g)} = {_num(c)}",
                         f * c_prev + i * g))
        boxes.append(Box("h", h, LINEAR, (("o_t", o), ("c_t", c)),
                         rf"h_t = {_num(o)} \cdot \tanh({_num(c)}) = {_num(h)}", o * math.tanh(c)))
    else:
        kind = TANH if spec.nonlinearity == "tanh" else RELU
        pre, h = got["pre"], got["h"]
        boxes.append(Box("pre", pre, LINEAR, ((r"W_{xh}x_t+b_{xh}", ax["h"]), (r"W_{hh}h_{t-1}+b_{hh}", ah["h"])),
                         rf"a_t = {_num(ax['h'])} + {_num(ah['h'])} = {_num(pre)}", ax["h"] + ah["h"]))
        boxes.append(Box("h", h, kind, (("a_t", pre),), rf"h_t = {_wrap(kind, _num(pre))} = {_num(h)}", _act(kind, pre)))
    c_prev = float(rec.c[sample, t - 1, unit]) if cell == "lstm" and t > 0 else 0.0 if cell == "lstm" else None
    return CellAtWork(cell, layer, t, unit, tuple(boxes), vectors, textbook_n, x_norm, token, hu, c_prev)
