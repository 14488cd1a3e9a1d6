"""The recurrent matrix page runs alone and shows eigenvalues that are the model's own."""

from __future__ import annotations

import json

import numpy as np
import torch
from conftest import app_test

from rnnviz.cells import layer_weights


def _decode(values):
    import base64

    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def test_page_runs_and_plots_the_default_models_eigenvalues():
    at = app_test("pages/10_Recurrent_matrix.py", timeout=240)
    at.run()
    assert not at.exception
    charts = {el.proto.id: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
    assert len(charts) == 3
    eig_fig = next(f for f in charts.values() if "Eigenvalues" in f["layout"]["title"]["text"])
    trained = next(t for t in eig_fig["data"] if t.get("name") == "trained")
    from rnnviz.ui.cache import default_run  # the same in-process cache the page filled

    W_hh = layer_weights(default_run("lm", "rnn_tanh").model.rnn, 0).W_hh.detach()
    want = np.sort_complex(torch.linalg.eigvals(W_hh).numpy())
    got = np.sort_complex(_decode(trained["x"]) + 1j * _decode(trained["y"]))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_eigenvalues_in_the_figure_match_torch():
    from rnnviz.config import ModelConfig
    from rnnviz.models import init_weights, make_rnn
    from rnnviz.plots.spectrum import eigenvalue_plane
    from rnnviz.spectrum import recurrent_spectra

    rnn = init_weights(make_rnn(ModelConfig(cell="rnn_tanh", hidden_size=5), 3), 0)
    eig = recurrent_spectra(rnn)[0].eigenvalues.numpy()
    fig = json.loads(eigenvalue_plane(eig, eig, "t").to_json())
    xs = _decode(fig["data"][2]["x"])
    want = torch.linalg.eigvals(rnn.weight_hh_l0.detach()).numpy()
    np.testing.assert_allclose(np.sort(xs), np.sort(want.real), rtol=1e-5)
