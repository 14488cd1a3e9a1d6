"""The lab's live refresh stretches with load: the intervals the page asks the browser for follow
rnnviz.refresh with every training session of the process counted (the progress at refresh_interval, the
charts at charts_interval: as often alone, every third refresh under load)."""

from __future__ import annotations

import time

import streamlit
from conftest import app_test

from rnnviz.refresh import BASE_S, CEILING_S, CHARTS_EVERY
from rnnviz.ui import lab, lab_load


def _intervals(monkeypatch, others: int, seen_ago: float = -600) -> list[float]:
    """Starts a small lab run while `others` sessions train in this process (their last tick `seen_ago` seconds
    ago: negative counts them as training for the whole test); returns each run_every asked for."""
    asked, real = [], streamlit.fragment

    def spy(func=None, *, run_every=None, **kwargs):
        if run_every is not None:
            asked.append(run_every)
        return real(func, run_every=run_every, **kwargs)

    monkeypatch.setattr(streamlit, "fragment", spy)
    active = lab_load._trainers()
    active.clear()
    at = app_test("pages/3_Training_lab.py")
    at.run()
    at.number_input(key="lab_hidden").set_value(8).run()
    at.number_input(key="lab_steps").set_value(5000).run()  # still running after the first tick
    seen = time.monotonic() - seen_ago
    active.update({f"other-{i}": seen for i in range(others)})
    try:
        at.button(key="lab_start").click().run()
    finally:
        active.clear()
    assert not at.exception and at.session_state[lab.LAB_KEY].status == "running"
    assert at.session_state[lab_load.TIMERS_KEY][0] == asked[-2]  # what a refresh compares the load with
    return asked


def test_the_live_refresh_is_half_a_second_alone_and_slower_under_load(monkeypatch):
    assert _intervals(monkeypatch, 0) == [BASE_S, BASE_S]  # progress, charts
    assert _intervals(monkeypatch, 200) == [CEILING_S, CHARTS_EVERY * CEILING_S]  # 200 sessions on its cores


def test_sessions_that_stopped_training_do_not_slow_a_learner_who_starts_alone(monkeypatch):
    assert _intervals(monkeypatch, 200, seen_ago=lab_load.ACTIVE_WINDOW_S + 1) == [BASE_S, BASE_S]


class _Recorder:
    """Stands in for the process's training lock and records when it is taken and given back."""

    def __init__(self, events: list[str]):
        self.events = events

    def acquire(self, timeout: float = -1) -> bool:
        self.events.append("take")
        return True

    def release(self) -> None:
        self.events.append("give back")


def test_a_live_refresh_of_a_running_run_draws_only_in_the_processs_turn(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(lab_load, "TRAIN_LOCK", _Recorder(events))
    lab_load.turn(lambda: events.append("draw"), running=lambda: True)()
    assert events == ["take", "draw", "give back"]  # no other session's refresh draws while this one trains

    events.clear()
    lab_load.turn(lambda: events.append("draw"), running=lambda: False)()  # paused: it trains nothing, draws at once
    assert events == ["draw"]


def test_each_live_fragment_keeps_its_own_name_under_the_turn():
    # Streamlit tells fragments apart by their function's name: wrapped alike, the two would be one fragment.
    names = lab_load.turn(lab._live, lab._running).__qualname__, lab_load.turn(lab._live_charts, lab._running).__qualname__
    assert names == ("_live", "_live_charts")


class _Rerun(Exception):
    """What st.rerun raises in a script run: the rest of the fragment never runs."""


def test_a_refresh_whose_timers_no_longer_fit_asks_for_a_full_run_before_waiting_its_turn(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(lab_load, "TRAIN_LOCK", _Recorder(events))
    monkeypatch.setattr(lab_load, "timers_stale", lambda: True)
    monkeypatch.setattr(lab_load, "keep_message_for_rerun", lambda: events.append("keep message"))
    state: dict = {}
    monkeypatch.setattr(lab_load.st, "session_state", state)

    def rerun(scope: str) -> None:
        events.append(f"rerun {scope}")
        raise _Rerun

    monkeypatch.setattr(lab_load.st, "rerun", rerun)
    try:
        lab_load.turn(lambda: events.append("draw"), running=lambda: True, retime=True)()
    except _Rerun:
        pass
    assert events == ["keep message", "rerun app"] and state[lab_load.RETIMED_KEY] is True  # no turn waited for

    events.clear()
    lab_load.turn(lambda: events.append("draw"), running=lambda: True)()  # the charts' refresh never asks
    assert events == ["take", "draw", "give back"]
