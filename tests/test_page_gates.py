"""The Gates page runs on tiny default models and draws gate charts whose gate values lie in [0, 1]."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test
from test_page_hidden_states import decode, figures

from rnnviz.ui import cache

PAGE = "pages/5_Gates.py"
SIGMOID_TRACES = {"r", "z", "i", "f", "o"}


@pytest.fixture(autouse=True)
def tiny_defaults(monkeypatch):
    """Shrinks the default LMs (all three cells) so the page trains them in well under a second."""
    base = cache.DEFAULT_RUNS["lm"]
    tiny = replace(base, model=replace(base.model, hidden_size=10), train=replace(base.train, steps=3))
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", tiny)


def run_page(model: str | None = None):
    at = app_test(PAGE)
    at.run()
    if model is not None:
        at.selectbox(key="gt_model").set_value(model).run()
    assert not at.exception, at.exception
    return at


def assert_gate_heatmaps(fig: dict, expected: list[str]) -> None:
    """Checks one heatmap per quantity, sigmoid gates on a fixed 0..1 axis with every value inside it."""
    names = [t["name"] for t in fig["data"] if t["type"] == "heatmap"]  # not the clickable points laid on the cells
    assert names == expected
    layout = fig["layout"]
    assert (layout["coloraxis"]["cmin"], layout["coloraxis"]["cmax"]) == (0, 1)
    assert layout["coloraxis2"]["cmid"] == 0
    for trace in (tr for tr in fig["data"] if tr["type"] == "heatmap"):
        z = decode(trace["z"])
        if trace["name"] in SIGMOID_TRACES:
            assert trace["coloraxis"] == "coloraxis"
            assert np.all((z >= 0) & (z <= 1))
        else:
            assert trace["coloraxis"] != "coloraxis"


@pytest.mark.parametrize("model, expected", [
    ("default GRU", ["r", "z", "n", "h"]),
    ("default LSTM", ["i", "f", "g", "o", "c", "h"]),
])
def test_gate_heatmaps_and_timeline(model, expected):
    at = run_page(model)
    figs = figures(at)
    assert {"gt_heatmaps", "gt_timeline", "gt_memory", "gt_resets", "gt_saturation", "gt_compare"} <= set(figs)
    assert_gate_heatmaps(figs["gt_heatmaps"], expected)
    timeline = figs["gt_timeline"]
    for trace in timeline["data"]:
        y = decode(trace["y"])
        if trace["yaxis"] == "y":  # top panel: the sigmoid gates
            assert np.all((y >= 0) & (y <= 1))
    assert timeline["layout"]["yaxis"]["range"] == [-0.02, 1.02]
    assert len([t for t in timeline["data"] if t["yaxis"] == "y"]) == len(set(expected) & SIGMOID_TRACES)


def test_before_training_and_unit_range():
    at = run_page()
    at.radio(key="gt_when").set_value("before training").run()
    at.slider(key="gt_units").set_value((2, 6)).run()
    assert not at.exception
    fig = figures(at)["gt_heatmaps"]
    assert decode(fig["data"][0]["z"]).shape[0] == 4  # units 2..5 only
    assert "before training" in fig["layout"]["title"]["text"]
    assert_gate_heatmaps(fig, ["r", "z", "n", "h"])


def test_summaries_are_fractions_and_steps():
    at = run_page()
    figs = figures(at)
    for trace in figs["gt_saturation"]["data"] + figs["gt_resets"]["data"]:
        y = decode(trace["y"])
        assert np.all((y >= 0) & (y <= 1))
    memory = figs["gt_memory"]["data"]
    assert [t["name"] for t in memory] == ["before training", "after training"]
    length = at.slider(key="gt_length").value
    assert all(np.all((decode(t["y"]) >= 0) & (decode(t["y"]) <= length)) for t in memory)


def test_compare_three_cells_and_textbook_toggle():
    at = run_page()
    compare = figures(at)["gt_compare"]
    assert [t["name"] for t in compare["data"] if t["type"] == "heatmap"] == ["rnn_tanh", "gru", "lstm"]
    assert compare["layout"]["coloraxis"]["cmid"] == 0
    assert len(at.dataframe) >= 1
    at.toggle(key="gt_textbook").set_value(True).run()
    assert not at.exception
    gap = decode(figures(at)["gt_textbook_gap"]["data"][0]["y"])
    assert gap.shape == (at.slider(key="gt_length").value,) and np.all(gap >= 0) and gap.max() > 0
    assert len(at.latex) > 3  # torch's GRU plus the textbook candidate


def lab_like_run(steps: int = 20):
    """Returns a tiny GRU language-model run trained like the lab does, keeping snapshots as it goes."""
    from rnnviz.config import ModelConfig, RunConfig, TrainConfig
    from rnnviz.data import load_corpus
    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun

    cfg = RunConfig(task="lm", model=ModelConfig(cell="gru", hidden_size=8),
                    train=TrainConfig(optimizer="adam", lr=0.05, clip=1.0, steps=steps))
    task = make_task(cfg, load_corpus(cfg.text))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train, max_snapshots=4, snapshot_every=5)
    run.run(steps)
    return cfg, run


def test_scrubber_shows_the_gates_of_each_checkpoint():
    import torch

    from rnnviz.inputs import corpus_passage, prepare_text
    from rnnviz.tracing import trace_model
    from rnnviz.ui import store

    cfg, run = lab_like_run()
    steps = [s.step for s in run.snapshots]
    assert steps[0] == 0 and len(steps) >= 3
    live = {k: v.clone() for k, v in run.model.state_dict().items()}
    at = app_test(PAGE)
    at.session_state[store.MODELS_KEY] = {"mine1": store.ModelEntry("mine1", cfg, run)}  # what add_model stores
    at.session_state[store.ACTIVE_KEY] = "mine1"
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="gt_model").value == "mine: mine1"
    slider = at.select_slider(key="gt_scrub")
    assert list(slider.options) == [str(s) for s in steps]
    seen = {}
    for step in (steps[0], steps[1]):
        at.select_slider(key="gt_scrub").set_value(step).run()
        assert not at.exception, at.exception
        fig = figures(at)["gt_heatmaps"]
        assert f"step {step} of {run.steps_done}" in fig["layout"]["title"]["text"].replace("<br>", " ")
        seen[step] = {t["name"]: decode(t["z"]) for t in fig["data"] if t["type"] == "heatmap"}
        # The figure is the replay of exactly that snapshot's weights, computed here independently.
        model = lab_like_run(0)[1].model
        model.load_state_dict(next(s.state for s in run.snapshots if s.step == step))
        corpus = run.task.corpus
        raw = corpus_passage(corpus, at.number_input(key="gt_start").value, at.slider(key="gt_length").value)
        text_ids = prepare_text(raw, corpus.vocab, clean=False).ids
        z_want = trace_model(model.eval(), text_ids).layers[0].z[0].detach().numpy().T  # (H, T)
        np.testing.assert_allclose(seen[step]["z"], z_want, atol=1e-5)
    assert not np.allclose(seen[steps[0]]["z"], seen[steps[1]]["z"], atol=1e-3)  # the gates changed with training
    assert all(torch.equal(v, live[k]) for k, v in run.model.state_dict().items())  # the live model is untouched


# ---- the page in Chinese and in English --------------------------------------------------------------------

@pytest.mark.parametrize("model", ["default GRU", "default LSTM"])
def test_the_page_reads_in_chinese(model):
    from conftest import figure_texts
    from test_page_hidden_states import own_residue, run_in

    at = run_in("zh", PAGE, model=model)
    left, total = own_residue(at)
    assert len(left) <= 0.03 * total, left
    words = [text.replace("<br>", "") for text in figure_texts(at)]  # long titles wrap
    assert any(text.endswith("黄色 = 打开（1），紫色 = 关闭（0）") for text in words)  # the heatmaps' title
    assert "记忆保持者：" + ("z" if model == "default GRU" else "f") + " > 0.9 的最长连续段" in words
    assert ("重置门 r" if model == "default GRU" else "遗忘门 f") in words  # gate names from cells.toml
    assert at.radio(key="gt_when").label == "权重" and at.title[0].value.startswith("门控")
    assert at.selectbox(key="gt_model").value == model  # the link's code, shown translated
    assert "默认 " + model.split()[1] in at.selectbox(key="gt_model").options
    at.radio(key="gt_when").set_value("before training").run()  # a Chinese page can be driven
    assert not at.exception, at.exception
    assert any(text.startswith(model.split()[1] + " 的门，训练前") for text in figure_texts(at))


def test_the_page_reads_in_english():
    from conftest import figure_texts
    from test_page_hidden_states import run_in

    at = run_in("en", PAGE)
    words = [text.replace("<br>", " ") for text in figure_texts(at)]  # long titles wrap
    assert "GRU gates after training: yellow = open (1), purple = closed (0)" in words
    assert "reset r" in words and at.radio(key="gt_when").label == "Weights"
    assert not any("门" in text for text in words)
