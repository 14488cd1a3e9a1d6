"""The Gradients-through-time page: per-architecture gradient curves, the spectral-radius views, the memory task."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test
from test_page_hidden_states import decode, figures

from rnnviz import gradients as grad
from rnnviz.ui import cache
from rnnviz.ui import gradients as ui

PAGE = "pages/6_Gradients_through_time.py"


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    """Shrinks the default LMs and the memory-task budget so the page runs in seconds."""
    base = cache.DEFAULT_RUNS["lm"]
    monkeypatch.setitem(cache.DEFAULT_RUNS, "lm", replace(base, model=replace(base.model, hidden_size=10),
                                                           train=replace(base.train, steps=3)))
    monkeypatch.setattr(ui, "MEMORY_STEPS", 4)


def run_page():
    at = app_test(PAGE)
    at.session_state[ui.MEMORY_KEY] = ui.MemoryLab(steps=4)
    at.run()
    assert not at.exception, at.exception
    return at


def test_memory_models_gradient_curves_per_architecture():
    at = run_page()
    figs = figures(at)
    assert {"gtt_grads", "gtt_sens", "gtt_recurrence", "gtt_radius_grads", "gtt_mem_acc"} <= set(figs)
    grads = figs["gtt_grads"]
    names = [t["name"] for t in grads["data"]]
    assert names == [f"{label}, {when}" for label in ("RNN (tanh)", "GRU", "LSTM, b_f = 3")
                     for when in ("trained", "at initialisation")]
    assert grads["layout"]["yaxis"]["type"] == "log"
    T = ui.MEMORY_DELAY + 2
    for trace in grads["data"] + figs["gtt_sens"]["data"]:
        y = decode(trace["y"])
        assert y.shape == (T,) and np.all(y[~np.isnan(y)] > 0)
    assert "t=0 reads" in grads["data"][0]["text"][0]  # hover names the token


def test_language_model_source():
    at = run_page()
    at.radio(key="gtt_source").set_value(ui.SOURCES[1]).run()
    at.slider(key="gtt_len").set_value(30).run()
    assert not at.exception
    grads = figures(at)["gtt_grads"]
    assert len(grads["data"]) == 6 and decode(grads["data"][0]["y"]).shape == (30,)
    at.radio(key="gtt_mode").set_value(ui.LOSS_MODES[1]).run()
    assert not at.exception


def test_spectral_radius_slider_computes_real_norms():
    at = run_page()
    at.slider(key="gtt_radius").set_value(1.2).run()
    assert not at.exception
    figs = figures(at)
    linear, tanh = (decode(t["y"]) for t in figs["gtt_recurrence"]["data"][:2])
    assert (linear[-1] / linear[50]) ** (1 / 50) == pytest.approx(1.2, rel=0.02)
    assert tanh[-1] < 32 ** 0.5 < linear[-1]
    mine = [t for t in figs["gtt_radius_grads"]["data"] if "(yours)" in t["name"]]
    assert len(mine) == 1 and "1.2" in mine[0]["name"]
    np.testing.assert_allclose(decode(mine[0]["y"]), grad.radius_grad_curve(1.2), rtol=1e-5)


def test_memory_task_trains_three_cells_on_button_press():
    at = run_page()
    at.select_slider(key="gtt_delay").set_value(5).run()
    at.button(key="gtt_mem_train").click().run()
    lab = at.session_state[ui.MEMORY_KEY]
    assert lab.busy and len(lab.queue) + len(lab.results) == 3  # the rerun itself ran one bounded tick
    while lab.busy:  # AppTest never fires run_every: drive the fragment's step function
        ui.memory_tick(lab, seconds=5.0)
    at.run()
    assert not at.exception
    figs = figures(at)
    acc = figs["gtt_mem_acc"]["data"]
    assert sorted(t["name"] for t in acc) == ["GRU", "LSTM, b_f = 3", "RNN (tanh)"]
    assert all(0 <= decode(t["y"])[0] <= 1 for t in acc)
    assert len(figs["gtt_mem_grads"]["data"]) == 3
    assert at.button(key="gtt_mem_clear").disabled is False


def test_a_class_link_presets_the_source_radius_and_delay_and_hides_the_named_controls():
    at = app_test(PAGE)
    at.session_state[ui.MEMORY_KEY] = ui.MemoryLab(steps=4)
    at.query_params.update({"source": "lm", "radius": "1.2", "k": "10", "hide": "radius,k"})
    at.run()
    assert not at.exception
    assert at.radio(key="gtt_source").value == ui.SOURCES[1] and at.slider(key="gtt_len")  # the LM view's controls
    keys = {w.key for w in [*at.slider, *at.select_slider]}
    assert "gtt_radius" not in keys and "gtt_delay" not in keys and "gtt_forget" in keys
    assert any("max |λ| = 1.20" in c.value for c in at.caption)
    assert any("k = 10" in b.label for b in at.button)
