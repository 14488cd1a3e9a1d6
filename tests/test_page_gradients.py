"""The Gradients-through-time page: per-architecture gradient curves, the spectral-radius views, the memory task."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import app_test, english_residue, live_charts, vega_layers
from test_page_hidden_states import decode, figures

from rnnviz import gradients as grad
from rnnviz.catalog import t
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


# Words these pages show that other modules write and move to the catalogues themselves (the class-link form,
# the sidebar, the code toggle, the guide; the training loop's divergence message and its gradient-norm chart);
# a page's residue is measured without them until they are.
SHARED_NOT_YET = ("Send this link to a class", "No model trained yet", "Show the code that ran", "Open the guided lesson",
                  "Training diverged", "Gradient norm per step")


def own_residue(at) -> tuple[list[str], int]:
    """Returns english_residue(at) without the words of modules these pages do not own."""
    left, total = english_residue(at)
    return [text for text in left if not any(shared in text for shared in SHARED_NOT_YET)], total


def run_page(lang: str | None = None):
    at = app_test(PAGE)
    at.session_state[ui.MEMORY_KEY] = ui.MemoryLab(steps=4)
    if lang is not None:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def test_memory_models_gradient_curves_per_architecture():
    at = run_page()
    figs = figures(at)
    assert {"gtt_grads", "gtt_sens", "gtt_recurrence", "gtt_radius_grads"} <= set(figs)
    assert "gtt_mem_acc" in live_charts(at)  # redrawn while the memory task trains: a live chart
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
    charts = live_charts(at)
    data, spec = charts["gtt_mem_acc"]
    assert sorted(next(vega_layers(spec))["encoding"]["color"]["scale"]["domain"]) == ["GRU", "LSTM, b_f = 3", "RNN (tanh)"]
    assert data["trace"].nunique() == 3 and data["y"].between(0, 1).all()
    assert charts["gtt_mem_grads"][0]["trace"].nunique() == 3
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


def title(fig: dict) -> str:
    """Returns a figure's title as one line (long titles are wrapped with <br> to fit the chart)."""
    return fig["layout"]["title"]["text"].replace("<br>", " ")


def test_the_page_reads_in_chinese():
    at = run_page("zh")
    left, total = own_residue(at)
    assert len(left) <= 0.03 * total, left
    figs = figures(at)
    assert title(figs["gtt_radius_grads"]) == t("gradients.plot.radius_title", "zh")
    assert title(figs["gtt_grads"]) == t("gradients.reach.title", "zh", batch=t("gradients.batch_short.memory", "zh"))
    assert "训练后" in figs["gtt_grads"]["data"][0]["name"]
    radius_label = at.slider(key="gtt_radius").label
    assert radius_label == t("gradients.radius.slider", "zh") and radius_label.startswith("谱半径")
    assert at.radio(key="gtt_source").value == "memory"  # the value stays a code; only its words change
    asked = " ".join(m.value for m in at.markdown)
    assert all(t(f"predict.gradients.{name}.question", "zh") in asked for name in ("first_step", "largest"))
    assert any(c.value.startswith("已标出：第 0 步") for c in at.caption)
    assert at.radio(key="gtt_source").options[0] == t("gradients.source.memory", "zh")
    # AppTest formats options outside the session (in English), so the LM view is opened by a link instead
    at = app_test(PAGE)
    at.query_params.update({"lang": "zh", "source": "lm"})
    at.run()
    assert not at.exception
    assert at.slider(key="gtt_len").label == "文本片段长度 T（字符数）"
    left, total = own_residue(at)
    assert len(left) <= 0.03 * total, left


def test_the_page_reads_in_english():
    at = run_page("en")
    figs = figures(at)
    assert title(figs["gtt_radius_grads"]) == "Fresh tanh RNN: ‖∂L/∂h_t‖ for each radius of W_hh"
    assert title(figs["gtt_grads"]).startswith("‖∂L/∂h_t‖ on the same 32 memory-task sequences: solid trained")
    assert at.slider(key="gtt_radius").label == "Spectral radius max |λ| of A (and of W_hh below)"
    assert at.radio(key="gtt_source").options[0] == "memory task (k = 20): models that must remember"
    assert at.title[0].value == "Gradients through time: why a plain RNN forgets"


def marks(at) -> dict[str, int | None]:
    from rnnviz.ui.selection import marked_step

    figs = figures(at)
    return {key: marked_step(figs[key]) for key in ("gtt_grads", "gtt_sens")}


def test_a_click_on_a_gradient_curve_marks_that_step_on_both_charts_and_in_the_url():
    from conftest import select_point

    at = run_page()
    assert marks(at) == {"gtt_grads": 0, "gtt_sens": 0}
    select_point(at, "gtt_sens", {"x": 7, "y": 0.5, "curve_number": 1, "point_number": 7, "point_index": 7})
    assert not at.exception, at.exception
    assert marks(at) == {"gtt_grads": 7, "gtt_sens": 7}  # the chart above follows the one clicked below
    assert str(at.query_params["at"]).strip("[]'") == "7"
    grads = figures(at)["gtt_grads"]["data"][0]  # the first model, trained: its value at the marked step
    assert any("Marked: step 7, which reads" in c.value and f"{decode(grads['y'])[7]:.3g}" in c.value
               for c in at.caption)
    select_point(at, "gtt_grads", {"x": 15, "y": 0.1, "curve_number": 0, "point_number": 15, "point_index": 15})
    assert marks(at) == {"gtt_grads": 15, "gtt_sens": 15}


def test_a_link_with_a_step_reopens_it():
    at = app_test(PAGE)
    at.session_state[ui.MEMORY_KEY] = ui.MemoryLab(steps=4)
    at.query_params["at"] = "12"
    at.run()
    assert not at.exception
    assert marks(at) == {"gtt_grads": 12, "gtt_sens": 12}


def reveal(at, key: str, guess: str) -> str:
    """Guesses, reveals, and returns the revealed line."""
    box = at.radio(key=f"{key}.choice")
    assert box.value is None and at.button(key=f"{key}.reveal").disabled
    box.set_value(guess).run()
    at.button(key=f"{key}.reveal").click().run()
    assert not at.exception
    return next(m.value for m in [*at.success, *at.info] if t(f"{key}.question") not in m.value
                and ("Right:" in m.value or "The model says:" in m.value))


def test_which_model_reaches_the_first_step_is_read_off_the_gradient_chart():
    from rnnviz.catalog import names

    at = run_page()
    trained = {tr["name"].removesuffix(", trained"): decode(tr["y"]) for tr in figures(at)["gtt_grads"]["data"]
               if tr["name"].endswith(", trained")}
    best = max(trained, key=lambda label: trained[label][0] / trained[label][-1])
    code = next(c for c in names("predict.gradients.first_step.options")
                if t(f"predict.gradients.first_step.options.{c}") in best)
    line = reveal(at, "predict.gradients.first_step", code)
    assert line.startswith("Right:") and t(f"predict.gradients.first_step.options.{code}") in line


@pytest.mark.parametrize("radius", [0.9, 2.0])
def test_where_the_gradient_is_largest_follows_the_spectral_radius(radius):
    from rnnviz.predictions import largest_gradient

    at = run_page()
    if radius != 0.9:
        at.slider(key="gtt_radius").set_value(radius).run()
    mine = next(tr for tr in figures(at)["gtt_radius_grads"]["data"] if "(yours)" in tr["name"])
    answer = largest_gradient(np.nan_to_num(decode(mine["y"])))
    assert answer.code == ("last" if radius < 1 else "first")  # vanishing: the last steps; exploding: the first
    line = reveal(at, "predict.gradients.largest", "middle")
    assert line.startswith("The model says:") and t(f"predict.gradients.largest.options.{answer.code}") in line
