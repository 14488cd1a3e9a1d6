"""A run's story (milestone samples, fits, accuracies): kept, bounded, in the run files; old files still load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import app_test
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz import history, runfile
from rnnviz.errors import CheckpointError
from rnnviz.history import MAX_MOMENTS, Moment
from rnnviz.ui import lab

PAGE = "pages/3_Training_lab.py"


def test_milestones_are_the_log_spaced_steps():
    assert history.milestones(5000) == [0, 25, 50, 100, 200, 500, 1000, 2000, 5000]
    assert history.milestones(99) == [0, 25, 50]
    assert history.is_milestone(200) and not history.is_milestone(201)


def test_due_at_milestones_and_the_last_step_once_each():
    story: list[Moment] = []
    recorded = []
    for step in range(0, 131):
        if history.due(story, step, total=130):
            story = history.record(story, Moment(step))
            recorded.append(step)
    assert recorded == [0, 25, 50, 100, 130]
    assert not history.due(story, 130, total=130)
    assert history.due([Moment(0)], 30, total=500)  # a checkpoint past a milestone (a replay jumps): kept at 30


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=60, unique=True))
def test_record_keeps_the_first_step_and_stays_bounded_and_ordered(steps):
    story: list[Moment] = []
    for step in sorted(steps):
        story = history.record(story, Moment(step))
    kept = [m.step for m in story]
    assert len(kept) <= MAX_MOMENTS and kept == sorted(set(kept))
    assert kept[0] == min(steps) and kept[-1] == max(steps)


def test_moments_say_what_each_task_did():
    m = history.lm_moment(25, "time traveller " + "x" * 500, "time traveller", 0.8)
    assert len(m.sample) == history.MAX_SAMPLE_CHARS and m.prefix == "time traveller" and m.temperature == 0.8
    values = np.arange(10.0)
    f = history.forecast_moment(50, values, values + 2.0, n_train=6)
    assert f.error == pytest.approx(2.0) and f.first == (8.0, 9.0, 10.0)
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 1.0]])
    c = history.classifier_moment(100, logits, torch.tensor([0, 1, 1, 1]))
    assert c.accuracy == pytest.approx(0.75)
    assert list(history.frame([c], "sentiment").columns) == ["step", "held-out accuracy"]


def test_records_round_trip():
    story = [history.lm_moment(0, "ab", "a", 1.0), Moment(25, error=0.5, first=(1.0, 2.0)), Moment(50, accuracy=0.6)]
    assert history.from_records(json.loads(json.dumps(history.to_records(story)))) == story
    assert history.from_records(None) == []  # a file written before the story existed


@pytest.mark.parametrize("raw", [
    "story", [{"step": -1}], [{"step": 1.5}], [{"step": True}], [{"step": 3}, {"step": 2}],
    [{"step": 0, "sample": 7}], [{"step": 0, "error": float("nan")}], [{"step": 0, "first": [1, 2, 3, 4]}],
    [{"step": 0, "code": "x"}], [{"step": s} for s in range(MAX_MOMENTS + 1)], [None],
])
def test_a_damaged_story_is_refused_with_a_message(raw):
    with pytest.raises(CheckpointError, match="sample history"):
        history.from_records(raw)


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12))
def test_any_json_story_is_read_or_refused_never_crashes(raw):
    try:
        story = history.from_records(raw)
    except CheckpointError:
        return
    assert len(story) <= MAX_MOMENTS


def _finished_lm(steps: int = 120):
    """Runs a tiny language model in the lab to the end, recording its story as the live panel does."""
    at = app_test(PAGE)
    at.run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(steps).run()
    at.session_state["lab_temp"] = 0.5  # the live sample's temperature, before its slider is drawn
    at.button(key="lab_start").click().run()
    run = at.session_state[lab.LAB_KEY]
    observe = lambda r: lab.lab_history.observe(r, "time traveller", 0.5)  # noqa: E731
    while lab.tick(run, seconds=1.0, observe=observe):
        pass
    return at, run


def test_a_lab_run_keeps_its_story_shows_it_and_writes_it_into_its_files():
    at, run = _finished_lm(120)
    story = run.run.story
    assert [m.step for m in story] == [0, 25, 50, 100, 120]
    assert all(m.sample.startswith("time traveller") and m.temperature == 0.5 for m in story)
    assert len({m.sample for m in story}) > 1  # the samples change as it learns
    at.run()
    timeline = next(c.value for c in at.code if c.value.startswith("step     0"))
    assert [int(line.split("·")[0].split()[1]) for line in timeline.splitlines()] == [0, 25, 50, 100, 120]
    assert list(history.frame(story, "lm")["step"]) == [0, 25, 50, 100, 120]
    assert any(f"Sample at step {run.steps_done}" in m.value for m in at.markdown)  # the bar's step, no lag
    doc = json.loads(runfile.run_json(run.name, run.cfg, run.run.history, None, story))
    assert [m["step"] for m in doc["story"]] == [0, 25, 50, 100, 120]
    assert runfile.read_run_json(json.dumps(doc).encode()).story == tuple(story)
    weights = runfile.weights_bytes(run.name, run.cfg, run.run.model, run.run.history, story)
    assert runfile.read_weights(weights).story == tuple(story)
    del doc["story"]  # a file from before the story existed still loads
    assert runfile.read_run_json(json.dumps(doc).encode()).story == ()
    old = runfile.weights_bytes(run.name, run.cfg, run.run.model, run.run.history)
    assert runfile.read_weights(old).story == ()


def test_a_busy_server_reuses_a_recent_sample_that_names_its_own_step():
    _, run = _finished_lm(30)
    step, text = lab.lab_history.sample_text(run, "time traveller", 0.5)
    assert step == run.steps_done and text.startswith("time traveller")
    run.run.run(5)  # five more steps: a fresh sample is of the new step, unless a recent one may be kept
    assert lab.lab_history.sample_text(run, "time traveller", 0.5, max_age=60.0) == (step, text)
    assert lab.lab_history.sample_text(run, "time traveller", 0.5)[0] == step + 5  # no age allowed: this step's
    assert lab.lab_history.sample_text(run, "time", 0.5, max_age=60.0)[1].startswith("time")  # other prefix: new


def test_uploading_a_run_file_restores_its_story():
    at, run = _finished_lm(60)
    data = runfile.weights_bytes("told", run.cfg, run.run.model, run.run.history, run.run.story)
    at.file_uploader(key="lab_upload").set_value(("told.pt", data, "application/octet-stream")).run()
    assert not at.exception
    restored = at.session_state[lab.LAB_KEY]
    assert restored is not run and [m.step for m in restored.run.story] == [0, 25, 50, 60]


def test_a_replayed_preset_stops_at_every_milestone_for_its_story():
    at = app_test(PAGE)
    at.run()
    at.selectbox(key="lab_preset").set_value("sine-gru").run()
    at.button(key="lab_start").click().run()
    run = at.session_state[lab.LAB_KEY]
    assert run.shared is not None
    observe = lambda r: lab.lab_history.observe(r, "", 0.0)  # noqa: E731
    while lab.tick(run, seconds=1.0, observe=observe):
        pass
    assert [m.step for m in run.run.story] == [0, 25, 50, 100, 200, 300]
    assert all(m.error is not None and len(m.first) == history.FIRST_VALUES for m in run.run.story)


def test_a_classifier_run_keeps_its_held_out_accuracy_by_step():
    at = app_test(PAGE)
    at.run()
    at.radio(key="lab_task").set_value("sentiment").run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(30).run()
    at.button(key="lab_start").click().run()
    run = at.session_state[lab.LAB_KEY]
    observe = lambda r: lab.lab_history.observe(r, "", 0.0)  # noqa: E731
    while lab.tick(run, seconds=1.0, observe=observe):
        pass
    assert [m.step for m in run.run.story] == [0, 25, 30]
    assert all(0.0 <= m.accuracy <= 1.0 for m in run.run.story)
    at.run()
    table = next(d.value for d in at.dataframe if "held-out accuracy" in d.value.columns)
    assert list(table["step"]) == [0, 25, 30]
