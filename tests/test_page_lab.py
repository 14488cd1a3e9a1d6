"""The training lab page: start a short run and see the charts, pause, resume, reset, bad settings, presets, links."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import torch
from conftest import app_test, live_charts, trace_y

from rnnviz import refresh
from rnnviz.presets import PRESETS_BY_SLUG, encode_query
from rnnviz.ui import lab, lab_load
from rnnviz.ui.store import MODELS_KEY

PAGE = "pages/3_Training_lab.py"


def figures(at) -> dict[str, dict]:
    """Returns the page's Plotly figures by key."""
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def small(at, task: str = "lm", steps: int = 40) -> None:
    """Switches to a small, fast model before starting (the page's own widgets, as a learner would)."""
    if task != "lm":
        at.radio(key="lab_task").set_value(task).run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(steps).run()


def started(task: str = "lm", steps: int = 40):
    """Starts a small run; a long step budget keeps it unfinished after the first tick on a fast machine."""
    at = app_test(PAGE)
    at.run()
    small(at, task, steps)
    at.button(key="lab_start").click().run()
    assert not at.exception
    return at


def started_preset(slug: str):
    """Starts the lab on a preset in a new session; returns (the app, its lab run)."""
    at = app_test(PAGE)
    at.run()
    at.selectbox(key="lab_preset").set_value(slug).run()
    at.button(key="lab_start").click().run()
    return at, at.session_state[lab.LAB_KEY]


def test_page_runs_with_empty_charts_and_start_button():
    at = app_test(PAGE)
    at.run()
    assert not at.exception and not at.error
    assert set(live_charts(at)) == {"lab_loss", "lab_grad"} and not at.get("plotly_chart")
    assert not at.button(key="lab_start").disabled and at.button(key="lab_reset").disabled


def test_start_trains_shows_charts_and_keeps_the_model_for_the_lessons():
    at = started(steps=5000)
    run = at.session_state[lab.LAB_KEY]
    assert run.status in ("running", "done") and run.steps_done > 0
    assert run.name in at.session_state[MODELS_KEY] and at.session_state[MODELS_KEY][run.name].run is run.run
    before = run.steps_done
    lab.tick(run, seconds=0.2)  # AppTest never fires run_every: drive the fragment's step directly
    assert run.steps_done > before
    at.run()
    charts = live_charts(at)
    loss = trace_y(charts["lab_loss"])
    assert len(loss) == run.steps_done and np.isfinite(loss).all()
    assert charts["lab_grad"][1]["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    assert "step" in at.get("progress")[0].proto.text
    assert any("Sample at step" in m.value for m in at.markdown)


def test_tick_is_bounded_in_time():
    at = started()
    run = at.session_state[lab.LAB_KEY]
    run.status = "running"
    start = time.perf_counter()
    lab.tick(run, seconds=0.05)
    assert time.perf_counter() - start < 1.0


def test_pause_stops_training_resume_continues_reset_forgets():
    at = started(steps=5000)
    at.button(key="lab_pause").click().run()
    run = at.session_state[lab.LAB_KEY]
    if run.steps_done < run.cfg.train.steps:
        assert run.status == "paused"
        steps = run.steps_done
        assert lab.tick(run) == 0 and run.steps_done == steps
        at.button(key="lab_resume").click().run()
        assert run.status in ("running", "done") and run.steps_done >= steps
    at.button(key="lab_reset").click().run()
    assert not at.exception
    assert lab.LAB_KEY not in at.session_state and run.name not in at.session_state[MODELS_KEY]


def test_pause_stops_a_refresh_still_training_in_another_thread_before_the_page_draws():
    """A button press starts a new script run at once while the previous refresh may still be training: Pause
    must stop that refresh after the step it is on, and the page must show the step the run stopped at."""
    at = started(steps=5000)
    run = at.session_state[lab.LAB_KEY]
    before = run.steps_done
    old = threading.Thread(target=lab.tick, args=(run,), kwargs={"seconds": 60.0})
    old.start()
    deadline = time.monotonic() + 30
    while run.steps_done < before + 3 and time.monotonic() < deadline:  # the old refresh is training
        old.join(timeout=0.01)
    assert run.steps_done >= before + 3 and old.is_alive()
    at.button(key="lab_pause").click().run()
    assert not old.is_alive()  # it stopped after its step, long before its 60 s were up
    old.join()
    assert run.status == "paused" and not at.exception
    assert f"step {run.steps_done} / 5000" in at.get("progress")[0].proto.text  # the page shows where it stopped
    assert len(trace_y(live_charts(at)["lab_loss"])) == run.steps_done


def test_a_preset_paused_while_the_class_run_trains_stays_at_its_step():
    at, run = started_preset("sine-gru")
    before, weights = run.steps_done, [p.detach().clone() for p in run.run.model.parameters()]
    shared_advance = run.shared.advance

    def advance_then_pause(target: int, seconds: float) -> None:  # Pause pressed while the shared run trained
        shared_advance(target, seconds)
        run.status = "paused"

    run.shared.advance = advance_then_pause
    try:
        assert lab.tick(run, seconds=1.0) == 0
    finally:
        del run.shared.advance
    assert len(run.shared.history) > before  # the class's run went on, for everyone
    assert run.steps_done == before and len(run.run.history) == before  # this learner's copy did not
    for p, w in zip(run.run.model.parameters(), weights):
        assert torch.equal(p, w)


def test_run_finishes_and_forecaster_shows_its_fit():
    at = started("forecast")
    run = at.session_state[lab.LAB_KEY]
    while lab.tick(run, seconds=1.0):
        pass
    assert run.status == "done" and run.steps_done == 40
    at.run()
    data, spec = live_charts(at)["lab_fit"]
    assert set(data["trace"]) == {0, 1} and "One-step-ahead fit" in " ".join(spec["title"]["text"])
    assert "step 40 / 40" in at.get("progress")[0].proto.text  # the step is named above the chart
    assert at.button(key="lab_resume").disabled
    at.button(key="lab_one_step").click().run()  # a finished run: One step walks a new run of the settings
    new = at.session_state[lab.LAB_KEY]
    assert new is not run and new.steps_done == 1 and new.status == "paused" and run.steps_done == 40


def test_sentiment_run_shows_held_out_accuracy():
    at = started("sentiment")
    assert any("held-out" in m.label for m in at.metric)


def test_bad_link_shows_a_message_and_keeps_the_defaults():
    at = app_test(PAGE)
    at.query_params["lr"] = "fast"
    at.run()
    assert not at.exception
    assert any("lr" in e.value for e in at.error)
    assert not at.button(key="lab_start").disabled  # the defaults are still there to train


def test_a_shared_link_reproduces_a_preset_and_the_url_follows_the_settings():
    at = app_test(PAGE)
    at.query_params.update(encode_query(PRESETS_BY_SLUG["clipped-rnn"].cfg))
    at.run()
    assert at.selectbox(key="lab_preset").value == "clipped-rnn"
    assert at.number_input(key="lab_lr").value == 5.0 and at.checkbox(key="lab_clip_on").value
    at.checkbox(key="lab_clip_on").uncheck().run()
    assert at.selectbox(key="lab_preset").value == "exploding-rnn"  # the same settings without clipping


def test_divergence_stops_keeps_the_last_good_model_and_says_what_to_do():
    at, run = started_preset("exploding-rnn")
    for _ in range(50):
        if lab.tick(run, seconds=0.5) == 0 and run.status != "running":
            break
    assert run.status == "diverged"
    assert all(torch.isfinite(p).all() for p in run.run.model.parameters())
    at.run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "diverged" in message and "clipping" in message


def test_two_sessions_share_one_preset_run_but_own_their_models():
    (_, a), (_, b) = started_preset("sine-gru"), started_preset("sine-gru")
    assert a.shared is not None and a.shared is b.shared
    assert a.run.model is not b.run.model
    while lab.tick(a, seconds=1.0) or lab.tick(b, seconds=1.0):
        pass
    assert a.steps_done == b.steps_done == a.cfg.train.steps
    for pa, pb in zip(a.run.model.parameters(), b.run.model.parameters()):
        assert pa.data_ptr() != pb.data_ptr()
        torch.testing.assert_close(pa, pb)
    with torch.no_grad():  # a learner changing their copy never touches the other's
        next(a.run.model.parameters()).add_(1.0)
    assert not torch.equal(next(a.run.model.parameters()), next(b.run.model.parameters()))


def test_each_refresh_trains_less_when_many_sessions_train_at_once():
    active = lab_load._trainers()
    active.clear()
    assert lab_load.tick_budget() == refresh.TICK_SECONDS  # alone: the full budget
    now = __import__("time").monotonic()
    active.update({f"student{i}": now for i in range(100 * (__import__("os").cpu_count() or 1))})
    assert lab_load.tick_budget() == refresh.MIN_TICK_SECONDS  # a class on 2 cores: short ticks, frequent refreshes
    active.clear()


def _upload(at, name: str, data: bytes) -> None:
    at.file_uploader(key="lab_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception


def test_upload_restores_a_downloaded_run_and_refuses_anything_else():
    from rnnviz import runfile

    at = started("forecast")
    run = at.session_state[lab.LAB_KEY]
    lab.tick(run, seconds=0.3)
    data = runfile.weights_bytes("saved run", run.cfg, run.run.model, run.run.history)

    fresh = app_test(PAGE)
    fresh.run()
    _upload(fresh, "saved.pt", b"\x80\x04 not a checkpoint at all")
    assert any("cannot be restored" in e.value or "not a weights file" in e.value for e in fresh.error)
    assert lab.LAB_KEY not in fresh.session_state
    _upload(fresh, "saved.pt", data)
    restored = fresh.session_state[lab.LAB_KEY]
    assert restored.name == "saved run" and restored.cfg == run.cfg and restored.steps_done == run.steps_done
    assert restored.name in fresh.session_state[MODELS_KEY]  # the inspection lessons see it
    assert [s.step for s in restored.run.snapshots] == [run.steps_done]  # the scrubber starts at the restored step
    for a, b in zip(restored.run.model.parameters(), run.run.model.parameters()):
        torch.testing.assert_close(a, b)
    assert fresh.radio(key="lab_task").value == "forecast" and fresh.number_input(key="lab_hidden").value == 8


# --- one step, snapshots for the scrubber, class links -------------------------------------------------------


def test_one_step_starts_a_paused_run_and_takes_exactly_one_step_each_press():
    at = app_test(PAGE)
    at.run()
    small(at, "forecast")
    assert not at.button(key="lab_one_step").disabled
    at.button(key="lab_one_step").click().run()
    assert not at.exception
    run = at.session_state[lab.LAB_KEY]
    assert run.status == "paused" and run.steps_done == 1 and len(run.run.history) == 1
    figs = figures(at)
    assert {"lab_step_gate_fig", "lab_step_weights"} <= set(figs)
    diff = figs["lab_step_gate_fig"]["layout"]
    assert diff["coloraxis2"]["cmid"] == 0  # the difference map is diverging around 0
    assert any("What step 1 changed" in s.value for s in at.subheader)
    at.button(key="lab_one_step").click().run()
    assert run.steps_done == 2 and len(run.run.history) == 2 and run.status == "paused"
    assert any("What step 2 changed" in s.value for s in at.subheader)


def test_one_step_after_pause_adds_one_step_and_is_off_while_running():
    at = started(steps=5000)
    run = at.session_state[lab.LAB_KEY]
    if run.status == "running":
        assert at.button(key="lab_one_step").disabled
    at.button(key="lab_pause").click().run()
    steps = run.steps_done
    at.button(key="lab_one_step").click().run()
    assert not at.exception
    assert run.steps_done == steps + 1 and len(run.run.history) == steps + 1
    at.button(key="lab_resume").click().run()  # resuming after single steps trains on
    assert run.status in ("running", "done") and run.steps_done >= steps + 1


def test_one_step_on_a_preset_makes_it_the_learners_own_and_leaves_the_class_run_alone():
    at = app_test(PAGE)
    at.run()
    at.selectbox(key="lab_preset").set_value("sine-gru").run()
    shared = lab.shared_run(PRESETS_BY_SLUG["sine-gru"].cfg)
    shared_steps = len(shared.history)
    at.button(key="lab_one_step").click().run()
    run = at.session_state[lab.LAB_KEY]
    assert run.shared is None and run.steps_done == 1 and len(shared.history) == shared_steps
    assert at.session_state[MODELS_KEY][run.name].run is run.run  # the lessons inspect the stepped model
    shared.advance(1, seconds=5.0)
    assert shared.history[0].loss == run.run.history[0].loss  # from step 0 it is the class's own first step


def test_a_private_lab_run_keeps_a_bounded_number_of_distinct_snapshots():
    at = started("forecast", steps=300)
    run = at.session_state[lab.LAB_KEY]
    while lab.tick(run, seconds=1.0):
        pass
    snaps = run.run.snapshots
    assert 12 <= run.run.max_snapshots <= 16 and 2 <= len(snaps) <= run.run.max_snapshots
    steps = [s.step for s in snaps]
    assert steps == sorted(set(steps)) and steps[0] == 0 and steps[-1] >= 0.8 * run.cfg.train.steps
    first, last = snaps[0].state, snaps[-1].state
    assert any(not torch.equal(first[k], last[k]) for k in first)


def test_a_preset_run_keeps_snapshots_of_the_shared_runs_checkpoints():
    at, run = started_preset("sine-gru")
    while lab.tick(run, seconds=1.0):
        pass
    snaps = run.run.snapshots
    steps = [s.step for s in snaps]
    assert 2 <= len(snaps) <= run.run.max_snapshots and steps == sorted(set(steps))
    for snap in snaps[1:]:
        at_step, weights = run.shared.snapshot_upto(snap.step)
        assert at_step == snap.step
        for k in weights:
            torch.testing.assert_close(snap.state[k], weights[k])
            assert snap.state[k].data_ptr() != weights[k].data_ptr()  # a copy, never the shared tensor


def _class_link(at) -> str:
    return next(c.value for c in at.code if "Training_lab?" in c.value and "hide=" in c.value)


def test_a_class_link_reproduces_the_run_hides_the_ticked_controls_and_keeps_their_values():
    import urllib.parse

    at = app_test(PAGE)
    at.run()
    small(at, "forecast")
    at.selectbox(key="lab_cell").set_value("lstm").run()
    at.number_input(key="lab_lr").set_value(0.003).run()
    at.checkbox(key="lab_class_link_hide_cell").check().run()
    at.checkbox(key="lab_class_link_hide_lr").check().run()
    at.checkbox(key="lab_class_link_guide").check().run()
    link = _class_link(at)
    assert link.startswith("./Training_lab?")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    assert query["hide"] == "cell,lr" and query["guide"] == "1"
    at.button(key="lab_start").click().run()
    cfg = at.session_state[lab.LAB_KEY].cfg

    student = app_test(PAGE)
    student.query_params.update(query)
    student.run()
    assert not student.exception
    assert not [w for w in student.selectbox if w.key == "lab_cell"]
    assert not [w for w in student.number_input if w.key == "lab_lr"]
    assert [w for w in student.number_input if w.key == "lab_hidden"]  # the rest stay visible
    assert any("fixed by your teacher's link" in i.value for i in student.info)
    student.button(key="lab_start").click().run()
    assert student.session_state[lab.LAB_KEY].cfg == cfg
    student.radio(key="lab_task").set_value("lm").run()  # a visible control resets the others ...
    assert student.session_state["lab_cell"] == "lstm" and student.session_state["lab_lr"] == 0.003  # ... not these
    assert student.query_params.get("hide") in ("cell,lr", ["cell,lr"])  # the URL still hides them


def test_an_upload_answered_in_the_run_that_finishes_training_keeps_its_message():
    """A run that finishes training reruns the page; the upload's message must survive that rerun.

    Every refresh carries a fresh empty upload until training ends, so the run that finishes is one that also
    answers an upload: what happened by chance, depending on the machine's speed, when a bad file arrived just
    as a run ended (and the page showed nothing).
    """
    at = started(steps=60)
    run = at.session_state[lab.LAB_KEY]
    for _ in range(200):
        if run.status != "running":
            break
        at.file_uploader(key="lab_upload").set_value(("empty.json", b"", "application/octet-stream"))
        at.run()
        assert not at.exception
        assert any("JSON" in str(e.value) for e in at.error), \
            f"step {run.steps_done} ({run.status}): no message: {[e.value for e in at.error]}"
    assert run.status == "done", "the run never finished: the test proves nothing"
    at.run()  # the next refresh does not repeat the message
    assert not [e for e in at.error if "JSON" in str(e.value)]


def test_every_empty_upload_gets_a_message():
    at = started(steps=5000)
    for name in ("empty.json", "empty.pt", "EMPTY.JSON"):
        at.file_uploader(key="lab_upload").set_value((name, b"", "application/octet-stream")).run()
        assert not at.exception
        assert [e for e in at.error if len(str(e.value)) > 20], f"{name}: no message"
