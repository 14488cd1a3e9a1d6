"""One explicit step per architecture, reading the fused module's own weights, returning every gate by name.

torch's packing (pinned by tests/test_cells.py against the fused forward):
  nn.RNN : h = act(W_ih x + b_ih + W_hh h_prev + b_hh)
  nn.GRU : chunks (r, z, n); n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h = (1 - z) * n + z * h_prev
  nn.LSTM: chunks (i, f, g, o); c = f * c_prev + i * g; h = o * tanh(c)
The input projections W_ih x + b_ih are computed for all timesteps at once (``project_inputs``);
a step only does the recurrent matmul.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

SIGMOID_GATES = frozenset({"r", "z", "i", "f", "o"})


@dataclass(frozen=True)
class LayerWeights:
    """The fused module's parameters for one layer (the same tensors, not copies)."""

    W_ih: torch.Tensor  # (G*H, D)
    W_hh: torch.Tensor  # (G*H, H)
    b_ih: torch.Tensor | None  # (G*H,)
    b_hh: torch.Tensor | None  # (G*H,)


@dataclass(frozen=True)
class RNNStep:
    pre: torch.Tensor  # (B, H) pre-activation
    h: torch.Tensor  # (B, H)


@dataclass(frozen=True)
class GRUStep:
    r: torch.Tensor  # (B, H) reset gate
    z: torch.Tensor  # (B, H) update gate
    n: torch.Tensor  # (B, H) candidate
    h: torch.Tensor  # (B, H)


@dataclass(frozen=True)
class LSTMStep:
    i: torch.Tensor  # (B, H) input gate
    f: torch.Tensor  # (B, H) forget gate
    g: torch.Tensor  # (B, H) candidate
    o: torch.Tensor  # (B, H) output gate
    c: torch.Tensor  # (B, H) cell state
    h: torch.Tensor  # (B, H)


Step = RNNStep | GRUStep | LSTMStep


def cell_name(rnn: nn.RNNBase) -> str:
    """Returns the registry name of a fused module: 'rnn_tanh', 'rnn_relu', 'gru' or 'lstm'."""
    return next(name for name, s in SPECS.items()
                if type(rnn) is s.torch_class and s.nonlinearity in (None, getattr(rnn, "nonlinearity", None)))


def layer_weights(rnn: nn.RNNBase, layer: int) -> LayerWeights:
    """Returns layer `layer`'s own weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}."""
    bias = rnn.bias
    return LayerWeights(
        getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}"),
        getattr(rnn, f"bias_ih_l{layer}") if bias else None, getattr(rnn, f"bias_hh_l{layer}") if bias else None,
    )


def project_inputs(x: torch.Tensor, w: LayerWeights) -> torch.Tensor:
    """Returns W_ih x_t + b_ih for every timestep in one matmul: (B, T, D) -> (B, T, G*H).

    Token ids (B, T) are looked up instead: row x of W_ih.T is W_ih @ one_hot(x), the same numbers.
    """
    if not x.is_floating_point():
        xp = torch.nn.functional.embedding(x, w.W_ih.T)
        return xp + w.b_ih if w.b_ih is not None else xp
    return torch.nn.functional.linear(x, w.W_ih, w.b_ih)


def _recurrent(h: torch.Tensor, w: LayerWeights) -> torch.Tensor:
    return torch.nn.functional.linear(h, w.W_hh, w.b_hh)  # (B, G*H)


def rnn_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights, nonlinearity: str = "tanh") -> RNNStep:
    """Returns h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) and its pre-activation."""
    pre = xp + _recurrent(h, w)
    return RNNStep(pre, torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre))


def gru_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights) -> GRUStep:
    """Returns torch's GRU step: reset r multiplies (W_hn h + b_hn), after the matmul."""
    x_r, x_z, x_n = xp.chunk(3, dim=-1)
    h_r, h_z, h_n = _recurrent(h, w).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return GRUStep(r, z, n, (1 - z) * n + z * h)


def textbook_gru_step(xp: torch.Tensor, h: torch.Tensor, w: LayerWeights) -> GRUStep:
    """Returns d2l's GRU step with the same weights: r multiplies h before the matmul (a different model)."""
    x_r, x_z, x_n = xp.chunk(3, dim=-1)
    W_hr, W_hz, W_hn = w.W_hh.chunk(3, dim=0)
    b_hr, b_hz, b_hn = w.b_hh.chunk(3) if w.b_hh is not None else (0.0, 0.0, 0.0)
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    return GRUStep(r, z, n, (1 - z) * n + z * h)


def lstm_step(xp: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w: LayerWeights) -> LSTMStep:
    """Returns torch's LSTM step with gates packed (i, f, g, o)."""
    i, f, g, o = (xp + _recurrent(h, w)).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return LSTMStep(i, f, g, o, c, o * torch.tanh(c))


def step(cell: str, xp: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, w: LayerWeights) -> Step:
    """Returns one step of the named cell (c is only read by the LSTM)."""
    spec = SPECS[cell]
    if spec.has_cell_state:
        return spec.step(xp, h, c, w)
    return spec.step(xp, h, w, spec.nonlinearity) if spec.nonlinearity else spec.step(xp, h, w)


# ---- the registry: what each cell is, in one place ---------------------------------------------------------

@dataclass(frozen=True)
class CellSpec:
    """Everything the app knows about one recurrent cell; every other table derives from the registry below.

    Adding a cell is one entry here, its step function above, and its parity test in tests/test_cells.py.
    Learner-facing words about a cell (gate names, what to look for) live in the catalogues, keyed by ``name``.
    """

    name: str  # 'gru': the config's, the URL's and the run file's name
    label: str  # 'GRU': a model name, the same in every language
    blocks: tuple[str, ...]  # torch's fused weight blocks, in its packing order ('r', 'z', 'n')
    states: tuple[str, ...]  # everything one step returns, in the order the charts show it
    keep: str | None  # the gate that, near 1, carries the old state forward (None: the cell has no gate)
    first_gate: str  # the gate a class looks at first
    torch_class: type[nn.RNNBase]
    nonlinearity: str | None  # nn.RNN's nonlinearity; None for gated cells
    step: Callable[..., Step]  # the explicit step the lessons show: (xp, h, w), (xp, h, c, w) with a cell state
    color: str  # the cell's colour in every chart that compares cells
    formulas: tuple[str, ...]  # LaTeX of one step in d2l's notation with torch's weight names, one line each

    @property
    def gated(self) -> bool:
        return self.keep is not None

    @property
    def has_cell_state(self) -> bool:
        return "c" in self.states

    def param_count(self, input_size: int, hidden: int, bias: bool = True) -> int:
        """Returns one layer and direction's parameters: gates x H x (H + D), plus two bias vectors per gate."""
        g = len(self.blocks)
        return g * hidden * (hidden + input_size) + (2 * g * hidden if bias else 0)


_RNN_LINE = r"h_t = {act}(W_{{xh}} x_t + b_{{xh}} + W_{{hh}} h_{{t-1}} + b_{{hh}})"
SPECS: dict[str, CellSpec] = {spec.name: spec for spec in (
    CellSpec("rnn_tanh", "RNN (tanh)", ("h",), ("pre", "h"), None, "h", nn.RNN, "tanh",
             rnn_step, "#d62728", (_RNN_LINE.format(act=r"\tanh"),)),
    CellSpec("rnn_relu", "RNN (ReLU)", ("h",), ("pre", "h"), None, "h", nn.RNN, "relu",
             rnn_step, "#ff7f0e",
             (_RNN_LINE.format(act=r"\mathrm{ReLU}"),)),
    CellSpec("gru", "GRU", ("r", "z", "n"), ("r", "z", "n", "h"), "z", "z", nn.GRU, None,
             gru_step, "#1f77b4",
             (r"r_t = \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}) \qquad "
              r"z_t = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz})",
              r"n_t = \tanh\big(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big)",
              r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}")),
    CellSpec("lstm", "LSTM", ("i", "f", "g", "o"), ("i", "f", "g", "o", "c", "h"), "f", "f", nn.LSTM, None,
             lstm_step, "#2ca02c",
             (r"i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) \quad f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)"
              r" \quad o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)",
              r"g_t = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \qquad c_t = f_t \odot c_{t-1} + i_t \odot g_t"
              r" \qquad h_t = o_t \odot \tanh(c_t)")),
)}
TEXTBOOK_GRU = r"n_t = \tanh\big(W_{xn} x_t + b_{xn} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big)"


def spec(cell: str) -> CellSpec:
    """Returns the registry entry of a cell name (KeyError for a name the config gate would have refused)."""
    return SPECS[cell]
