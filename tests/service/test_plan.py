"""What a tick runs (plan_runs), the retry backoff, and the triggers' timing: pure, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from driftmon.config import MonitorConfig
from driftmon.scheduler import (
    DelayedTrigger,
    misfire_grace_seconds,
    monitor_trigger,
    plan_runs,
    recent_windows,
    tick_interval,
)
from driftmon.scheduler.plan import TAKEOVER_SLACK, backoff, retry_at
from driftmon.store import RunRecord
from driftmon.windows import Window

from .helpers import HOUR, T0, config, file_monitor

MINUTE = timedelta(minutes=1)


def build(**settings: object) -> MonitorConfig:
    raw = file_monitor("m", "/data/live", Path("/data/ref.parquet"), **settings)
    return config(raw).monitors[0]


def run(window: Window, status: str, *, started: datetime, attempts: int = 1) -> RunRecord:
    return RunRecord(1, "m", window.start, window.end, status, started, None, attempts, None, None)


def hour(k: int) -> Window:
    return Window(T0 + k * HOUR, T0 + (k + 1) * HOUR)


def test_recent_windows_end_at_the_latest_complete_one_after_the_delay() -> None:
    m = build(window={"size": "1h", "delay": "10m"})
    now = T0 + 5 * HOUR + 9 * MINUTE  # hour 4 is closed but inside its delay
    assert recent_windows(m, now, 3) == [hour(1), hour(2), hour(3)]
    assert recent_windows(m, now + MINUTE, 1) == [hour(4)]
    assert recent_windows(m, now, 0) == []


def test_recent_cron_windows_step_back_through_the_cron_instants() -> None:
    m = build(window={"size": "1h"}, schedule={"cron": "0 9,17 * * *"})
    now = T0 + 18 * HOUR
    ends = [w.end for w in recent_windows(m, now, 3)]
    assert ends == [T0 - 7 * HOUR, T0 + 9 * HOUR, T0 + 17 * HOUR]
    assert all(w.size == HOUR for w in recent_windows(m, now, 3))


def test_plan_runs_missing_windows_oldest_first_and_skips_done_ones() -> None:
    m = build()
    now = T0 + 6 * HOUR
    stored = [run(hour(2), "succeeded", started=now), run(hour(4), "partial", started=now)]
    plan = plan_runs(m, stored, now, lookback=5, interval=HOUR, stale_after=10 * MINUTE)
    assert plan.due == (hour(1), hour(3), hour(5))
    assert plan.behind == 3


def test_lookback_bounds_the_catch_up_and_zero_still_runs_the_latest_window() -> None:
    m = build()
    now = T0 + 100 * HOUR
    assert plan_runs(m, [], now, lookback=3, interval=HOUR, stale_after=MINUTE).due == (
        hour(97),
        hour(98),
        hour(99),
    )
    assert plan_runs(m, [], now, lookback=0, interval=HOUR, stale_after=MINUTE).due == (hour(99),)


def test_a_running_window_is_left_alone_until_stale_then_taken_over() -> None:
    m = build()
    now = T0 + 2 * HOUR
    stale_after = 10 * MINUTE
    recent = [run(hour(1), "running", started=now - 5 * MINUTE)]
    fresh = plan_runs(m, recent, now, lookback=1, interval=HOUR, stale_after=stale_after)
    assert fresh.due == ()
    assert fresh.behind == 1
    # The plan says when to look again: just after the claim turns stale, not at the next tick.
    assert fresh.takeover_at == now + 5 * MINUTE + TAKEOVER_SLACK
    assert plan_runs(
        m, recent, fresh.takeover_at, lookback=1, interval=HOUR, stale_after=stale_after
    ).due == (hour(1),)
    old = [run(hour(1), "running", started=now - 11 * MINUTE)]
    stale = plan_runs(m, old, now, lookback=1, interval=HOUR, stale_after=stale_after)
    assert stale.due == (hour(1),)
    assert stale.takeover_at is None


def test_failed_windows_wait_a_doubling_backoff_counted_in_ticks() -> None:
    interval = 5 * MINUTE
    assert [backoff(a, interval) for a in (1, 2, 3, 4, 5, 6)] == [
        5 * MINUTE,
        10 * MINUTE,
        20 * MINUTE,
        40 * MINUTE,
        60 * MINUTE,  # capped at an hour
        60 * MINUTE,
    ]
    # The cap never makes retries faster than the schedule.
    assert backoff(9, 2 * HOUR) == 2 * HOUR
    m = build(schedule={"interval": "5m"})
    started = T0 + 2 * HOUR
    failed = [run(hour(1), "failed", started=started, attempts=2)]
    # Two failed attempts: retried from the second tick after the attempt (half a tick of slack).
    assert retry_at(failed[0], interval) == started + 10 * MINUTE - interval / 2
    for ticks, due in ((1, False), (2, True)):
        now = started + ticks * interval
        plan = plan_runs(m, failed, now, lookback=1, interval=interval, stale_after=HOUR)
        assert (plan.due == (hour(1),)) is due, ticks
        assert plan.behind == 1


def test_first_retry_is_the_next_tick() -> None:
    m = build(schedule={"interval": "5m"})
    started = T0 + 2 * HOUR + timedelta(seconds=3)  # an attempt starts a little after its tick
    next_tick = T0 + 2 * HOUR + 5 * MINUTE
    failed = [run(hour(1), "failed", started=started)]
    plan = plan_runs(m, failed, next_tick, lookback=1, interval=5 * MINUTE, stale_after=HOUR)
    assert plan.due == (hour(1),)


def test_interval_ticks_come_when_windows_complete() -> None:
    m = build(window={"size": "1h", "delay": "5m"}, schedule={"interval": "15m"})
    trigger = monitor_trigger(m)
    now = T0 + 10 * HOUR + 7 * MINUTE
    first = trigger.get_next_fire_time(None, now)
    assert first == T0 + 10 * HOUR + 20 * MINUTE  # epoch-aligned quarter hours, shifted by the delay
    assert trigger.get_next_fire_time(first, first + timedelta(seconds=1)) == first + 15 * MINUTE
    assert tick_interval(m, now) == 15 * MINUTE
    assert misfire_grace_seconds(15 * MINUTE) == 900


def test_cron_ticks_fire_the_delay_after_each_instant() -> None:
    m = build(window={"size": "1h", "delay": "10m"}, schedule={"cron": "0 9,17 * * *"})
    trigger = monitor_trigger(m)
    assert isinstance(trigger, DelayedTrigger)
    fire = trigger.get_next_fire_time(None, T0 + 9 * HOUR + 5 * MINUTE)
    assert fire == T0 + 9 * HOUR + 10 * MINUTE
    following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert following == T0 + 17 * HOUR + 10 * MINUTE
    assert tick_interval(m, T0 + 8 * HOUR) == 8 * HOUR  # 09:00 to 17:00
    assert tick_interval(m, T0 + 10 * HOUR) == 16 * HOUR  # 17:00 to 09:00
    assert fire.utcoffset() == timedelta(0)
    assert datetime.fromtimestamp(fire.timestamp(), UTC) == fire


@pytest.mark.parametrize("seconds", [0.2, 1, 59])
def test_misfire_grace_is_at_least_a_second(seconds: float) -> None:
    assert misfire_grace_seconds(timedelta(seconds=seconds)) == max(1, int(seconds))
