"""The recurrent matrix page runs alone and shows eigenvalues that are the model's own."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import torch
from conftest import app_test, english_residue

from rnnviz.catalog import t
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


def test_a_class_link_presets_the_model_block_and_passage_and_hides_what_it_names():
    at = app_test("pages/10_Recurrent_matrix.py", timeout=240)
    at.query_params.update({"model": "default GRU", "block": "layer 1, n", "text": "abc abc abc",
                            "hide": "block,text"})
    at.run()
    assert not at.exception
    keys = {w.key for w in at.selectbox} | {w.key for w in at.text_input}
    assert "matrix_block" not in keys and "matrix_text" not in keys and "matrix_model" in keys
    assert at.selectbox(key="matrix_model").value == "default GRU"
    charts = {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
    assert ", n<br>" in charts["matrix_eigs"]["layout"]["title"]["text"]
    assert "default GRU" in charts["matrix_eigs"]["layout"]["title"]["text"]
    h = charts["matrix_h"]["data"][-1]
    assert len(_decode(h["y"])) == len("abc abc abc") - 1  # the linked passage is the one read
    import urllib.parse

    link = next(c.proto.code_text for c in at.get("code") if "Recurrent_matrix?" in c.proto.code_text)
    params = dict(urllib.parse.parse_qsl(link.split("?", 1)[1]))
    assert params["model"] == "default GRU" and params["block"] == "layer 1, n" and params["text"] == "abc abc abc"


# Words drawn by shared modules (the model chooser, the training-time slider, the class link, the code expander)
# that are still on their way to the catalogues: counted in the report, not held against this page.
SHARED_NOT_YET = ("No model trained yet", "Show the code that ran", "Link for a class", "Send this link",
                  "Open the guided lesson", "Training time", "Your own models come from")


def test_the_page_reads_in_chinese():
    at = app_test("pages/10_Recurrent_matrix.py", timeout=240)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception, at.exception
    left, total = english_residue(at)
    left = [text for text in left if not text.startswith(SHARED_NOT_YET)]
    assert len(left) <= 0.03 * total, left
    charts = {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
    assert charts["matrix_eigs"]["layout"]["title"]["text"].startswith("特征值，第 1 层")
    assert charts["matrix_eigs"]["layout"]["xaxis"]["title"]["text"] == t("recurrent_matrix.eigen.x", "zh")
    assert at.selectbox(key="matrix_block").label == t("recurrent_matrix.block_label", "zh")
    assert {trace["name"] for trace in charts["matrix_h"]["data"]} == {"初始化时", "训练后"}


def test_the_page_reads_in_english_and_a_block_link_opens_in_either_language():
    for lang, title in (("en", "Eigenvalues, layer 1, n<br>"), ("zh", "特征值，第 1 层，n<br>")):
        at = app_test("pages/10_Recurrent_matrix.py", timeout=240)
        at.query_params.update({"lang": lang, "model": "default GRU", "block": "layer 1, n"})
        at.run()
        assert not at.exception
        assert at.selectbox(key="matrix_block").value == "layer 1, n"  # the value a link carries is the same code
        charts = {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
        assert charts["matrix_eigs"]["layout"]["title"]["text"].startswith(title)


def _revealed(at) -> list[str]:
    """Returns the revealed answers on the page (a prediction box's success or info line)."""
    return [m.value for m in [*at.success, *at.info] if m.value.startswith(("Right:", "The model says:"))]


def test_the_predictions_are_answered_from_the_model_on_the_page_and_revealed_after_a_choice(tiny_defaults):
    from rnnviz.catalog import names
    from rnnviz.predictions import radius_above_one, radius_change
    from rnnviz.ui import spectrum
    from rnnviz.ui.cache import DEFAULT_RUNS, default_run, untrained_model

    at = app_test("pages/10_Recurrent_matrix.py", timeout=240)
    at.run()
    assert not at.exception and not _revealed(at)  # nothing revealed before a choice
    cfg = DEFAULT_RUNS["lm"]
    cfg = replace(cfg, model=replace(cfg.model, cell="rnn_tanh"))
    model = default_run("lm", "rnn_tanh").model  # the same in-process cache the page filled
    after, before = spectrum.both_spectra(model, untrained_model(cfg)).radius((0, "W_hh"))
    assert at.metric[0].value == f"{after:.3f}"  # the radius the page shows
    for key, answer in (("predict.recurrent_matrix.radius", radius_above_one(after)),
                        ("predict.recurrent_matrix.trained", radius_change(after, before))):
        assert answer.code in names(f"{key}.options")
        at.radio(key=f"{key}.choice").set_value(names(f"{key}.options")[0]).run()
        at.button(key=f"{key}.reveal").click().run()
        assert not at.exception
        shown = " ".join(_revealed(at))
        assert t(f"{key}.options.{answer.code}") in shown and f"{after:.3g}" in shown
