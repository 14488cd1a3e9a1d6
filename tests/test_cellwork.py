"""The cell at work: every box of one step, recomputed from the weights, equals the replay's numbers."""

from __future__ import annotations

import math

import pytest
import torch

from rnnviz.cells import SPECS, layer_weights, project_inputs, textbook_gru_step
from rnnviz.cellwork import cell_at_work
from rnnviz.config import ModelConfig
from rnnviz.models import make_rnn
from rnnviz.tracing import replay


def _replayed(cell: str, hidden: int, inputs: int, steps: int, seed: int | None = None, layers: int = 1):
    """Returns (a fused cell module, a random input (1, steps, inputs), its replay's trace)."""
    if seed is not None:
        torch.manual_seed(seed)
    rnn = make_rnn(ModelConfig(cell=cell, hidden_size=hidden, num_layers=layers), input_size=inputs)
    x = torch.randn(1, steps, inputs)
    with torch.no_grad():
        trace, _ = replay(rnn, x)
    return rnn, x, trace


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", list(SPECS))
def test_every_box_recomputes_the_replays_value(cell, layers):
    rnn, _, trace = _replayed(cell, 6, 4, 9, seed=layers, layers=layers)
    for layer in range(layers):
        for t in (0, 4, 8):
            for unit in (0, 5):
                work = cell_at_work(rnn, trace, layer, t, unit)
                assert [b.name for b in work.boxes][-1] == "h"
                for box in work.products:
                    assert box.recomputed == pytest.approx(box.value, abs=1e-6)
                for box in set(work.boxes) - set(work.products):
                    recorded = float(trace.layers[layer].get(box.name)[0, t, unit])
                    assert box.value == pytest.approx(recorded, abs=1e-6)
                    assert box.recomputed == pytest.approx(recorded, abs=1e-5), (cell, layer, t, unit, box.name)
                    assert box.latex.endswith(f"{box.value:.3f}".replace("-", "−"))
                if cell == "gru":  # h_t is what it keeps plus what it writes
                    assert work.box("h").value == pytest.approx(work.box("keep").value + work.box("write").value, abs=1e-5)
                    assert work.box("n").recomputed == pytest.approx(
                        math.tanh(work.box("n").inputs[0][1] + work.box("rh").value), abs=1e-6)
                if cell == "lstm":
                    assert work.box("c").value == pytest.approx(work.box("fc").value + work.box("ig").value, abs=1e-5)
                for name, vector in work.vectors.items():
                    torch.testing.assert_close(torch.from_numpy(vector), trace.layers[layer].get(name)[0, t])


def test_the_textbook_candidate_is_d2ls_step_with_the_same_weights():
    rnn, x, trace = _replayed("gru", 5, 3, 6, seed=3)
    with torch.no_grad():
        w = layer_weights(rnn, 0)
        h_prev = trace.layers[0].h[:, 3]
        expected = textbook_gru_step(project_inputs(x[:, 4], w), h_prev, w).n[0]
    for unit in range(5):
        work = cell_at_work(rnn, trace, 0, 4, unit)
        assert work.textbook_n == pytest.approx(float(expected[unit]), abs=1e-5)
        assert work.textbook_n != pytest.approx(work.box("n").value, abs=1e-9)  # a different model


def test_a_step_outside_the_trace_is_refused():
    rnn, _, trace = _replayed("lstm", 3, 2, 4)
    for bad in ((0, 4, 0), (0, -1, 0), (0, 0, 3), (1, 0, 0)):
        with pytest.raises(IndexError):
            cell_at_work(rnn, trace, *bad)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn_tanh"])
def test_a_lookup_model_reads_token_ids_and_the_numbers_still_match(cell):
    from rnnviz.models import LanguageModel
    from rnnviz.plots.cellwork import diagram
    from rnnviz.tracing import trace_model

    torch.manual_seed(5)
    model = LanguageModel(40, ModelConfig(cell=cell, hidden_size=4), lookup=True)
    ids = torch.tensor([[3, 17, 3, 39, 0, 8]])
    trace = trace_model(model, ids)
    assert not trace.inputs.is_floating_point()  # the first layer read ids, not vectors
    W_ih = model.rnn.weight_ih_l0.detach()
    for t in range(6):
        for unit in range(4):
            work = cell_at_work(model.rnn, trace, 0, t, unit)
            for box in set(work.boxes) - set(work.products):
                recorded = float(trace.layers[0].get(box.name)[0, t, unit])
                assert box.recomputed == pytest.approx(recorded, abs=1e-5), (cell, t, unit, box.name)
            assert work.token == int(ids[0, t])
            assert work.x_norm == pytest.approx(float(W_ih[:, ids[0, t]].norm()), abs=1e-6)  # the column it adds
            assert work.h_prev == pytest.approx(float(trace.layers[0].h[0, t - 1, unit]) if t else 0.0)
    fig = diagram(cell_at_work(model.rnn, trace, 0, 3, 1), token="q")
    words = [a.text for a in fig.layout.annotations if a.text]
    assert any("'q'" in w and "W<sub>ih</sub>" in w and f"{float(W_ih[:, 39].norm()):.3f}" in w for w in words)


def test_a_vector_input_shows_its_norm_and_the_previous_cell_state():
    rnn, x, trace = _replayed("lstm", 3, 5, 4, seed=6)
    work = cell_at_work(rnn, trace, 0, 2, 1)
    assert work.token is None and work.x_norm == pytest.approx(float(x[0, 2].norm()), abs=1e-6)
    assert work.c_prev == pytest.approx(float(trace.layers[0].c[0, 1, 1]), abs=1e-7)
    assert cell_at_work(rnn, trace, 0, 0, 1).c_prev == 0.0
