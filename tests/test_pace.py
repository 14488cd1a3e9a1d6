"""Teaching speed: steps per refresh at lesson speed, for a private run and a replayed preset, and the lab's control.

No wall-clock assertions: a refresh's interval is given (last_tick=None means one REFRESH_SECONDS), and
the steps each refresh takes are counted.
"""

from __future__ import annotations

import math

import pytest
from conftest import app_test
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz import pace
from rnnviz.ui import lab

PAGE = "pages/3_Training_lab.py"


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5000), st.sampled_from(["slow", "lesson"]), st.integers(1, 80))
def test_a_pacer_hands_out_exactly_rate_times_time(total, speed, refreshes):
    rate = pace.steps_per_second(speed, total)
    pacer = pace.Pacer(rate)
    given_out = [pacer.allow(0.5) for _ in range(refreshes)]
    assert all(n >= 0 for n in given_out)
    assert sum(given_out) == math.floor(rate * 0.5 * refreshes + 1e-9)
    assert max(given_out) <= math.ceil(rate * 0.5)


def test_speeds_spread_a_run_over_their_duration():
    assert pace.steps_per_second("full", 1500) is None and pace.Pacer(None).allow(0.5) is None
    assert pace.run_seconds("lesson", 1500) == pytest.approx(pace.LESSON_SECONDS)
    assert 30 <= pace.run_seconds("lesson", 1500) <= 60  # a class watches it for 30-60 s
    assert pace.run_seconds("slow", 1500) > pace.run_seconds("lesson", 1500)
    assert pace.Pacer(10.0).allow(100.0) == 10 * pace.MAX_CATCH_UP_S  # a stalled refresh catches up a little only


def _start(preset: str | None = None, steps: int = 1500):
    at = app_test(PAGE)
    at.run()
    if preset is None:
        at.number_input(key="lab_hidden").set_value(8).run()
        at.number_input(key="lab_steps").set_value(steps).run()
        assert at.session_state["lab_speed"] == "full"  # custom settings default to full speed
        at.button_group(key="lab_speed").set_value("lesson").run()
    else:
        at.selectbox(key="lab_preset").set_value(preset).run()
        assert at.session_state["lab_speed"] == "lesson"  # presets default to lesson speed
    at.button(key="lab_start").click().run()
    at.button(key="lab_pause").click().run()  # the first refresh has run; now step it by hand
    run = at.session_state[lab.LAB_KEY]
    assert run.speed == "lesson"
    run.status = "running"
    run.pacer.credit = 0.0  # steps the first refresh was allowed but had no time for are carried over: start clean
    return at, run


def _steps_per_refresh(run, refreshes: int) -> list[int]:
    taken = []
    for _ in range(refreshes):
        run.last_tick = None  # the refresh interval: REFRESH_SECONDS
        taken.append(lab.tick(run, seconds=5.0, paced=True))
    return taken


def test_lesson_speed_takes_rate_times_interval_steps_each_refresh():
    at, run = _start(steps=1500)
    rate = pace.steps_per_second("lesson", 1500)
    taken = _steps_per_refresh(run, 6)
    per_refresh = rate * lab.REFRESH_SECONDS
    assert all(math.floor(per_refresh) <= n <= math.ceil(per_refresh) for n in taken), taken
    assert abs(sum(taken) - 6 * per_refresh) <= 1
    at.button_group(key="lab_speed").set_value("full").run()  # changed while it trains
    assert run.speed == "full" and run.pacer.rate is None


def test_a_replayed_preset_moves_at_lesson_speed_in_whole_checkpoints():
    at, run = _start(preset="sine-gru")
    assert run.shared is not None
    rate = pace.steps_per_second("lesson", run.cfg.train.steps)
    before = run.steps_done
    taken = _steps_per_refresh(run, 12)
    expected = 12 * rate * lab.REFRESH_SECONDS
    assert abs(run.steps_done - before - expected) <= run.shared.every, (taken, run.shared.every)
    assert all(n % run.shared.every == 0 for n in taken)  # a replay moves from checkpoint to checkpoint
    other, classmate = _start(preset="sine-gru")  # the server trained these steps already: a replay, said so
    assert sum(_steps_per_refresh(classmate, 3)) > 0  # a checkpoint needs a few refreshes' allowance at lesson speed
    other.run()
    text = other.get("progress")[0].proto.text
    assert classmate.steps_done < len(run.shared.history) and "replay of the class run" in text
    assert "lesson speed" in text or classmate.status != "running"
