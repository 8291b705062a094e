"""Calendar windows in the scheduler: one tick per month after its delay, catch-up by whole months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.scheduler import (
    DelayedTrigger,
    MonitorScheduler,
    MonitorWorker,
    misfire_grace_seconds,
    monitor_trigger,
    recent_windows,
    tick_interval,
)
from driftmon.store import run_history
from driftmon.windows import Window

from .helpers import Clock, config, file_monitor, write_parquet

DAY = timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def build(window: dict[str, str], **settings: object) -> MonitorConfig:
    raw = file_monitor("m", "/data/live", Path("/data/ref.parquet"), window=window, **settings)
    return config(raw).monitors[0]


def test_a_monthly_monitor_ticks_once_a_month_after_its_delay() -> None:
    m = build({"size": "1mo", "delay": "1d"})
    trigger = monitor_trigger(m)
    assert isinstance(trigger, DelayedTrigger)
    first = trigger.get_next_fire_time(None, utc(2024, 3, 15, 8))
    assert first == utc(2024, 4, 2)  # April 1st, the end of March's window, plus the delay
    assert trigger.get_next_fire_time(None, utc(2024, 4, 2)) == utc(2024, 4, 2)
    # After firing, the next tick is a month on (never the same instant twice).
    assert trigger.get_next_fire_time(first, first) == utc(2024, 5, 2)
    assert trigger.get_next_fire_time(first, first + timedelta(seconds=1)) == utc(2024, 5, 2)
    # Across a year end and February of a leap year.
    assert trigger.get_next_fire_time(None, utc(2023, 12, 20)) == utc(2024, 1, 2)
    assert trigger.get_next_fire_time(utc(2024, 2, 2), utc(2024, 2, 2)) == utc(2024, 3, 2)
    assert tick_interval(m, utc(2024, 3, 15)) == 30 * DAY  # April 1st to May 1st
    assert tick_interval(m, utc(2024, 1, 15)) == 29 * DAY  # February 2024
    assert misfire_grace_seconds(tick_interval(m, utc(2024, 3, 15))) == 30 * 86400


def test_time_zone_ticks_follow_local_midnight() -> None:
    berlin = monitor_trigger(build({"size": "1mo", "delay": "6h", "timezone": "Europe/Berlin"}))
    # March ends at 2024-04-01 00:00 CEST = 2024-03-31T22:00Z.
    assert berlin.get_next_fire_time(None, utc(2024, 3, 20)) == utc(2024, 4, 1, 4)
    new_york = monitor_trigger(build({"size": "1d", "timezone": "America/New_York"}))
    assert new_york.get_next_fire_time(None, utc(2024, 3, 10, 12)) == utc(2024, 3, 11, 4)  # EDT
    assert new_york.get_next_fire_time(None, utc(2024, 3, 9, 12)) == utc(2024, 3, 10, 5)  # EST


def test_an_interval_schedule_ticks_a_calendar_monitor_on_the_interval() -> None:
    m = build({"size": "1q", "delay": "2h"}, schedule={"interval": "1h"})
    trigger = monitor_trigger(m)
    assert trigger.get_next_fire_time(None, utc(2024, 4, 1, 1, 30)) == utc(2024, 4, 1, 2)
    assert tick_interval(m, utc(2024, 4, 1)) == timedelta(hours=1)


def test_recent_windows_are_whole_months() -> None:
    m = build({"size": "1mo", "delay": "1d"})
    assert recent_windows(m, utc(2024, 3, 1, 23), 3) == [
        Window(utc(2023, 11, 1), utc(2023, 12, 1)),
        Window(utc(2023, 12, 1), utc(2024, 1, 1)),
        Window(utc(2024, 1, 1), utc(2024, 2, 1)),
    ]
    assert recent_windows(m, utc(2024, 3, 2), 1) == [Window(utc(2024, 2, 1), utc(2024, 3, 1))]


def test_the_worker_catches_up_months_then_runs_each_new_month_once(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    ref = write_parquet(tmp_path / "ref.parquet", utc(2025, 10, 1), 30, DAY, rows=20, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", utc(2025, 11, 1), 151, DAY, rows=20, seed=8)
    raw = file_monitor("monthly", tmp_path / "live", ref, window={"size": "1mo", "delay": "1d"})
    cfg = config(raw, scheduler={"max_backfill_windows": 3})
    clock = Clock(utc(2026, 3, 2))
    worker = MonitorWorker(cfg.monitors, sessions=store, settings=cfg.scheduler, clock=clock)
    months = [
        Window(utc(2025, 12, 1), utc(2026, 1, 1)),
        Window(utc(2026, 1, 1), utc(2026, 2, 1)),
        Window(utc(2026, 2, 1), utc(2026, 3, 1)),
    ]
    outcomes = worker.tick("monthly")
    assert [o.window for o in outcomes] == months
    assert [o.status for o in outcomes] == ["succeeded"] * 3
    assert [o.rows_read for o in outcomes] == [31 * 20, 31 * 20, 28 * 20]

    clock.now = utc(2026, 4, 1, 23, 59)  # March has ended but its delay has not passed
    assert worker.tick("monthly") == []
    clock.now = utc(2026, 4, 2)
    (march,) = worker.tick("monthly")
    assert march.window == Window(utc(2026, 3, 1), utc(2026, 4, 1))
    assert march.rows_read == 31 * 20
    assert worker.tick("monthly") == []
    with store() as session:
        stored = sorted((r.window_start, r.window_end) for r in run_history(session, "monthly"))
    assert stored == [(w.start, w.end) for w in [*months, march.window]]


def test_the_scheduler_schedules_a_monthly_monitor_for_its_next_window_end(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    raw = file_monitor(
        "monthly", tmp_path / "live", tmp_path / "ref.parquet", window={"size": "1mo", "delay": "3h"}
    )
    cfg = config(raw)

    def next_month(now: datetime) -> datetime:
        year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
        first = utc(year, month, 1)
        this = utc(now.year, now.month, 1)
        return this + timedelta(hours=3) if now < this + timedelta(hours=3) else first + timedelta(hours=3)

    before = next_month(datetime.now(UTC))
    scheduler = MonitorScheduler(cfg.monitors, sessions=store, settings=cfg.scheduler)
    scheduler.start(catch_up=False)
    try:
        tick = scheduler.next_ticks()["monthly"]
    finally:
        scheduler.stop(5.0)
    assert tick in {before, next_month(datetime.now(UTC))}
