"""The Clipping-and-truncation page: two live runs with and without clipping, truncated gradient reach and runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import app_test, live_charts, trace_y, vega_layers
from test_page_gradients import own_residue, title
from test_page_hidden_states import decode, figures

from rnnviz.catalog import t
from rnnviz.ui import clipping as ui

PAGE = "pages/7_Clipping_and_truncation.py"


def run_page(lang: str | None = None):
    at = app_test(PAGE)
    if lang is not None:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def test_reach_stops_at_the_chunk_boundary():
    at = run_page()
    reach = figures(at)["trunc_reach"]
    curves = {t["name"]: decode(t["y"]) for t in reach["data"]}
    assert set(curves) == {"bptt 5", "bptt 35", "bptt full"}
    T = ui.TRUNC_LENGTH
    assert np.isnan(curves["bptt 5"][: T - 5]).all()  # T = 100: only the last chunk [95, 100) is reached
    assert not np.isnan(curves["bptt 5"][-5:]).any()
    assert np.isnan(curves["bptt 35"][:70]).all() and not np.isnan(curves["bptt 35"][70:]).any()
    assert not np.isnan(curves["bptt full"]).any()
    at.radio(key="trunc_mode").set_value(ui.LOSS_MODES[1]).run()
    assert not at.exception
    assert not np.isnan(decode(figures(at)["trunc_reach"]["data"][0]["y"])).any()  # every step is scored


def test_clipped_and_unclipped_runs_side_by_side():
    at = run_page()
    at.slider(key="clip_steps").set_value(50).run()
    at.button(key=f"{ui.CLIP_KEY}_start").click().run()
    assert not at.exception
    runs = at.session_state[ui.CLIP_KEY]
    while not runs.finished:  # AppTest never fires run_every: drive the tick directly
        runs.tick(2.0)
    at.run()
    assert not at.exception
    assert {"clip_loss", "clip_norm_clipped", "clip_norm_plain"} <= set(live_charts(at))
    clipped, plain = runs.runs["clipped"], runs.runs["not clipped"]
    theta = at.select_slider(key="clip_theta").value
    assert all(m.applied_norm <= theta * (1 + 1e-6) for m in clipped.history)
    assert clipped.history[0].loss == pytest.approx(plain.history[0].loss)  # same seed, same first batch
    # The default (ReLU RNN, SGD at lr 10) blows up without clipping and keeps learning with it.
    assert plain.diverged and not clipped.diverged
    # predict first: the unclipped run's verdict waits for a guess, and the answer comes from this run
    box = at.radio(key="predict.clipping.diverges.choice")
    assert box.value is None and not any("diverged" in e.value for e in at.error)
    assert "yes" in box.options or "yes, it blows up" in box.options
    box.set_value("no").run()
    at.button(key="predict.clipping.diverges.reveal").click().run()
    assert not at.exception
    assert any("diverged" in e.value for e in at.error)
    assert any("yes, it blows up" in i.value and f"{ui.peak_norm(plain):.3g}" in i.value for i in at.info)
    cosine = [m for m in at.metric if m.label.startswith("cosine")][0]
    assert float(cosine.value) == pytest.approx(1.0, abs=1e-6)
    applied = trace_y(live_charts(at)["clip_norm_clipped"], 1)
    assert len(applied) == len(clipped.history)
    assert np.all(applied <= theta * (1 + 1e-6))


def test_truncation_runs_start_and_stop():
    at = run_page()
    at.multiselect(key="trunc_cuts").set_value(["5", "full"]).run()
    at.selectbox(key="trunc_cell").set_value("rnn_tanh").run()
    at.button(key=f"{ui.TRUNC_KEY}_start").click().run()
    runs = at.session_state[ui.TRUNC_KEY]
    assert set(runs.runs) == {"bptt 5", "bptt full"}
    assert runs.runs["bptt 5"].cfg.bptt == 5 and runs.runs["bptt full"].cfg.bptt is None
    runs.tick(2.0)
    at.button(key=f"{ui.TRUNC_KEY}_stop").click().run()
    assert not at.exception
    assert {"trunc_loss_steps", "trunc_loss_time"} <= set(live_charts(at))
    assert at.session_state[f"{ui.TRUNC_KEY}_running"] is False


def test_a_class_link_presets_both_experiments_and_hides_the_named_controls():
    at = app_test(PAGE)
    at.query_params.update({"cell": "gru", "lr": "1.0", "theta": "0.5", "steps": "50", "cuts": "10,full",
                            "tcell": "lstm", "mode": "every", "hide": "cell,lr,cuts"})
    at.run()
    assert not at.exception
    keys = {w.key for w in [*at.selectbox, *at.select_slider, *at.multiselect]}
    assert not {"clip_cell", "clip_lr", "trunc_cuts"} & keys and {"clip_theta", "trunc_cell"} <= keys
    assert at.select_slider(key="clip_theta").value == 0.5 and at.selectbox(key="trunc_cell").value == "lstm"
    assert at.radio(key="trunc_mode").value == ui.LOSS_MODES[1]
    assert {t["name"] for t in figures(at)["trunc_reach"]["data"]} == {"bptt 10", "bptt full"}
    at.button(key=f"{ui.CLIP_KEY}_start").click().run()
    runs = at.session_state[ui.CLIP_KEY].runs
    clipped = runs["clipped"]
    assert clipped.cfg.clip == 0.5 and clipped.cfg.lr == 1.0 and clipped.cfg.steps == 50
    assert clipped.model.rnn.__class__.__name__ == "GRU"  # the hidden cell control kept the link's value


def test_the_page_and_its_runs_read_in_chinese():
    at = run_page("zh")
    left, total = own_residue(at)
    assert len(left) <= 0.03 * total, left
    reach = figures(at)["trunc_reach"]
    assert title(reach) == t("clipping.trunc.reach_title", "zh") == "梯度能往回传多远：到分段边界（虚线）就停止"
    assert {trace["name"] for trace in reach["data"]} == {"截断 5 步", "截断 35 步", "完整 BPTT"}
    assert at.select_slider(key="clip_theta").label == "阈值 θ"
    assert any(t("predict.clipping.truncation.question", "zh") in m.value for m in at.markdown)
    # (AppTest formats a widget's value outside the session, in English: read the options, not the value)
    assert at.radio(key="trunc_mode").options == ["只用最后一步的损失", "每个时间步的损失（语言模型的训练方式）"]
    # Any interaction sends every widget's value back, formatted outside the session: give the session runs instead
    runs = ui.new_runset(ui.clip_cfgs("rnn_relu", 10.0, 1.0, 50))
    runs.tick(0.5)
    at = app_test(PAGE)
    at.query_params["lang"] = "zh"
    at.session_state[ui.CLIP_KEY] = runs
    at.run()
    assert not at.exception
    _, spec = live_charts(at)["clip_loss"]
    assert "".join(spec["title"]["text"]) == "训练损失：相同的起点，相同的小批量"
    assert set(next(vega_layers(spec))["encoding"]["color"]["scale"]["domain"]) >= {"裁剪", "不裁剪"}
    assert any(m.label == "cos(g, 裁剪后的 g)" for m in at.metric)
    left, total = own_residue(at)
    assert len(left) <= 0.03 * total, left


def test_the_page_reads_in_english():
    at = run_page("en")
    reach = figures(at)["trunc_reach"]
    assert title(reach) == "How far back the gradient reaches: it stops at the chunk boundary (dashed)"
    assert at.select_slider(key="clip_theta").label == "Threshold θ"
    assert at.radio(key="trunc_mode").options == ["the last step's loss only", "every step's loss (how the LM trains)"]
    assert at.title[0].value == "Taming gradients through time: clipping and truncation"


def test_the_truncation_prediction_is_answered_from_the_truncated_runs_gradient():
    from rnnviz.catalog import names

    at = run_page()
    runs = at.session_state[ui.TRUNC_KEY]
    answers = {}
    for mode in ui.LOSS_MODES:
        answers[mode] = ui.truncation_answer(runs, ui.reach_curves(runs, mode), mode)
        assert answers[mode].code in names("predict.clipping.truncation.options")
    # the last step's loss never reaches step 0 through a 5-step cut; every step's loss reaches it from its own chunk
    assert answers["last"].code == "none" and answers["every"].code == "smaller"
    assert 0 < answers["every"].params["truncated"] < answers["every"].params["full"]
    box = at.radio(key="predict.clipping.truncation.choice")
    none = t("predict.clipping.truncation.options.none")
    assert box.value is None and not any(none in i.value for i in at.info)
    box.set_value("same").run()
    at.button(key="predict.clipping.truncation.reveal").click().run()
    assert not at.exception
    revealed = [i.value for i in at.info if none in i.value]
    assert revealed and f"{answers['last'].params['full']:.3g}" in revealed[0]


def test_new_runs_ask_the_prediction_again():
    at = run_page()
    at.slider(key="clip_steps").set_value(50).run()
    at.button(key=f"{ui.CLIP_KEY}_start").click().run()
    runs = at.session_state[ui.CLIP_KEY]
    while not runs.finished:
        runs.tick(2.0)
    at.run()
    at.radio(key="predict.clipping.diverges.choice").set_value("yes").run()
    at.button(key="predict.clipping.diverges.reveal").click().run()
    assert any(i.value.startswith("Right:") for i in at.success)
    at.button(key=f"{ui.CLIP_KEY}_start").click().run()
    assert not at.exception and "predict.clipping.diverges.shown" not in at.session_state
