"""The live refresh interval: half a second while there is a core per training session, at most 1.5 s."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from rnnviz.refresh import (
    BASE_S,
    CEILING_S,
    CHARTS_EVERY,
    MIN_TICK_SECONDS,
    TICK_SECONDS,
    busy,
    charts_interval,
    process_cores,
    refresh_interval,
    tick_seconds,
)
from rnnviz.serve import CORES_ENV, REPLICAS_ENV


def test_base_interval_while_every_session_has_a_core():
    assert refresh_interval(0, 2) == refresh_interval(1, 2) == refresh_interval(2, 2) == BASE_S


def test_interval_grows_with_sessions_per_core_up_to_the_ceiling():
    assert refresh_interval(3, 2) == BASE_S * 1.5
    assert refresh_interval(4, 2) == 2 * BASE_S
    assert refresh_interval(30, 2) == refresh_interval(15, 1) == CEILING_S


@settings(max_examples=40, deadline=None)
@given(active=hs.integers(0, 500), cores=hs.floats(0.25, 64), more=hs.integers(1, 50))
def test_interval_is_bounded_and_never_shrinks_with_more_sessions(active, cores, more):
    now, busier = refresh_interval(active, cores), refresh_interval(active + more, cores)
    assert BASE_S <= now <= busier <= CEILING_S


def test_replicas_share_the_machines_cores():
    one = process_cores({})
    assert one >= 1
    assert process_cores({REPLICAS_ENV: "2"}) == one / 2
    assert process_cores({REPLICAS_ENV: "not a number"}) == one


def test_a_replica_kept_to_one_core_counts_the_class_servers_cores():
    assert process_cores({REPLICAS_ENV: "2", CORES_ENV: "2"}) == 1.0  # its own affinity would say 1 core: 0.5
    assert process_cores({REPLICAS_ENV: "4", CORES_ENV: "16"}) == 4.0
    assert process_cores({REPLICAS_ENV: "2", CORES_ENV: "many"}) == process_cores({REPLICAS_ENV: "2"})


def test_a_session_alone_trains_the_full_chunk_and_a_class_a_share_of_the_interval():
    alone = refresh_interval(1, 1)
    assert tick_seconds(1, alone, draw=0.05) == TICK_SECONDS
    assert tick_seconds(1000, CEILING_S, draw=0.05) == MIN_TICK_SECONDS
    chunk = tick_seconds(15, CEILING_S, draw=0.025)  # 15 students on a process: chunk and drawing fill the interval
    assert MIN_TICK_SECONDS < chunk < TICK_SECONDS and 15 * (chunk + 0.025) == pytest.approx(CEILING_S)


@settings(max_examples=40, deadline=None)
@given(active=hs.integers(1, 200), draw=hs.floats(0.0, 0.3), more=hs.integers(1, 50))
def test_chunks_stay_in_bounds_and_shrink_with_more_sessions(active, draw, more):
    now = tick_seconds(active, refresh_interval(active, 1), draw)
    busier = tick_seconds(active + more, refresh_interval(active + more, 1), draw)
    assert MIN_TICK_SECONDS <= busier <= now <= TICK_SECONDS


def test_busy_means_more_training_sessions_than_cores():
    assert not busy(1, 1) and not busy(2, 2) and busy(3, 2) and busy(30, 1)


def test_charts_refresh_with_the_progress_alone_and_every_other_time_under_load():
    assert charts_interval(1, 2) == refresh_interval(1, 2) == BASE_S
    assert charts_interval(30, 1) == CHARTS_EVERY * refresh_interval(30, 1) == CHARTS_EVERY * CEILING_S


def test_live_timers_are_set_afresh_only_when_the_load_changed_enough_and_not_at_every_refresh():
    from rnnviz.refresh import RETIME_AFTER_S, RETIME_RATIO, retime

    later = RETIME_AFTER_S + 0.1
    assert retime(BASE_S, 0.0, CEILING_S, later)  # started alone, then the class came: slow down
    assert retime(CEILING_S, 0.0, BASE_S, later)  # the class left: back to the half second
    assert not retime(BASE_S, 0.0, CEILING_S, RETIME_AFTER_S - 0.1)  # not again right after a full run
    assert not retime(1.0, 0.0, 1.0 * RETIME_RATIO * 0.99, later)  # a session more or less: keep the timers
    assert retime(1.0, 0.0, 1.0 * RETIME_RATIO, later)
