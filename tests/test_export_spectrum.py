"""Exports read back with the same values; eigenvalues match torch.linalg.eigvals of the model's weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.cells import layer_weights
from rnnviz.config import ModelConfig
from rnnviz.export import lstmvis_zip, read_lstmvis_states, read_trace_table, trace_csv, trace_parquet
from rnnviz.models import Forecaster, init_weights, make_rnn
from rnnviz.spectrum import recurrent_spectra
from rnnviz.tracing import trace_model


@pytest.fixture
def lstm_trace():
    model = init_weights(Forecaster(ModelConfig(cell="lstm", hidden_size=3, num_layers=2)), 0)
    return trace_model(model, torch.randn(1, 5)), ["a", " ", "b", "a", "c"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_table_export_round_trip(lstm_trace, fmt):
    trace, tokens = lstm_trace
    data = trace_csv(trace, tokens) if fmt == "csv" else trace_parquet(trace, tokens)
    back = read_trace_table(data, fmt)
    want = trace.to_frame(tokens)
    assert list(back.columns) == list(want.columns) and len(back) == len(want)
    np.testing.assert_allclose(back["value"].to_numpy(), want["value"].to_numpy(), rtol=1e-6)
    assert back["token"].tolist() == want["token"].tolist()


def test_lstmvis_export_round_trip(lstm_trace):
    trace, tokens = lstm_trace
    back = read_lstmvis_states(lstmvis_zip(trace, tokens))
    for k, layer in enumerate(trace.layers, start=1):
        np.testing.assert_allclose(back[f"states{k}"], layer.c[0].numpy())
        np.testing.assert_allclose(back[f"output{k}"], layer.h[0].numpy())
    assert back["words"].tolist() == [2, 1, 3, 2, 4]  # sorted vocabulary ' ', a, b, c -> ids from 1


@pytest.mark.parametrize("cell,blocks", [("rnn_tanh", 1), ("gru", 3), ("lstm", 4)])
def test_eigenvalues_match_torch(cell, blocks):
    rnn = init_weights(make_rnn(ModelConfig(cell=cell, hidden_size=6, num_layers=2), 3), 1)
    spectra = recurrent_spectra(rnn)
    assert len(spectra) == 2 * blocks
    first = spectra[0]
    W = layer_weights(rnn, 0).W_hh.detach()[:6]
    want = torch.linalg.eigvals(W)
    torch.testing.assert_close(first.eigenvalues, want)
    assert first.radius == pytest.approx(float(want.abs().max()))
