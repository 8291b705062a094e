"""MonitorScheduler on real APScheduler timers: start-up catch-up, jobs, reconfiguration, stop."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.jobs import RunOutcome
from driftmon.scheduler import MonitorScheduler
from driftmon.store import run_history

from .helpers import HOUR, config, file_monitor, monitor, poll, write_parquet, write_sqlite


class Listener:
    """Takes every report of the scheduler and keeps none."""

    def run_finished(self, monitor: MonitorConfig, outcome: RunOutcome) -> None:
        pass

    def windows_behind(self, monitor: MonitorConfig, count: int) -> None:
        pass


def jobs(scheduler: MonitorScheduler) -> dict[str, datetime | None]:
    """Return APScheduler's jobs (monitor:NAME, refit:NAME, periodic:ID...) and their next runs."""
    aps = scheduler._aps
    assert aps is not None
    return {job.id: job.next_run_time for job in aps.get_jobs()}


def succeeded(sessions: sessionmaker[Session], name: str) -> int:
    with sessions() as session:
        return sum(r.status == "succeeded" for r in run_history(session, name, limit=100))


def test_the_scheduler_catches_up_at_start_and_follows_its_configuration(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    hour = datetime(now.year, now.month, now.day, now.hour, tzinfo=UTC)
    ref = write_parquet(tmp_path / "ref.parquet", hour - 48 * HOUR, 24, rows=200, seed=7)
    write_parquet(tmp_path / "live" / "a.parquet", hour - 10 * HOUR, 12, seed=8)
    a = file_monitor("a", tmp_path / "live", ref)
    b = file_monitor("b", tmp_path / "live", ref)
    b["reference"] = {"previous": "6h", "refit_every": "1h"}
    c = file_monitor("c", tmp_path / "live", ref)
    cfg = config(a, b, c, scheduler={"max_backfill_windows": 2, "max_workers": 2})
    first, second, third = cfg.monitors
    scheduler = MonitorScheduler([first, second], sessions=store, settings=cfg.scheduler, listener=Listener())
    calls: list[int] = []

    def periodic() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a periodic job that fails once keeps its schedule")

    scheduler.add_periodic("check", periodic, timedelta(seconds=1))
    scheduler.start()
    try:
        assert scheduler.running
        poll(
            lambda: succeeded(store, "a") == 2 and succeeded(store, "b") == 2, timeout=60, what="the catch-up"
        )
        scheduled = jobs(scheduler)
        assert set(scheduled) == {"monitor:a", "monitor:b", "refit:b", "periodic:check"}
        next_tick = scheduled["monitor:a"]
        assert next_tick is not None
        assert next_tick > now
        assert next_tick.minute == 0  # hourly windows: the next tick is the next hour
        poll(lambda: len(calls) >= 2, timeout=30, what="the periodic job to run twice")

        assert scheduler.configure([first, third]) == (["c"], [], ["b"])
        poll(lambda: succeeded(store, "c") == 2, timeout=60, what="the added monitor to catch up at once")
        assert set(jobs(scheduler)) == {"monitor:a", "monitor:c", "periodic:check"}
    finally:
        assert scheduler.stop(5.0) == []
    assert not scheduler.running
    assert jobs(scheduler) == {}
    assert succeeded(store, "a") == 2  # each window once


def test_stopping_during_the_start_up_catch_up_leaves_apscheduler_quiet(
    store: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopped while APScheduler submits hundreds of one-off catch-up jobs: its own thread must
    # not die with JobLookupError (it did when shutdown() raced the removal of a done one-off).
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    ref = write_parquet(tmp_path / "ref.parquet", datetime(2026, 1, 1, tzinfo=UTC), 1)
    monitors = [file_monitor(f"m{i:03d}", tmp_path / "absent", ref) for i in range(300)]
    cfg = config(*monitors, scheduler={"max_backfill_windows": 0, "max_workers": 1})
    for attempt in range(3):
        scheduler = MonitorScheduler(
            cfg.monitors, sessions=store, settings=cfg.scheduler, listener=Listener()
        )
        scheduler.start()
        time.sleep(0.05 * attempt)
        scheduler.stop(0)
    time.sleep(0.5)
    assert errors == []


def test_periodic_jobs_run_while_every_worker_waits_for_a_hung_run(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    # Following the store (and checking the database) must not wait for a free run worker:
    # here the only one is held by a tick waiting for a run whose source hangs.
    path = tmp_path / "source.sqlite"
    now = datetime.now(UTC)
    hour = datetime(now.year, now.month, now.day, now.hour, tzinfo=UTC)
    url = write_sqlite(path, hour - 24 * HOUR, 23, rows=150)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reference = {
        "table": "events",
        "start": (hour - 24 * HOUR).isoformat(),
        "end": (hour - 12 * HOUR).isoformat(),
    }
    raw = monitor("m", {"kind": "sql", "url": url + "?timeout=60", "table": "events"}, reference)
    cfg = config(raw, scheduler={"max_backfill_windows": 0, "max_workers": 1})
    scheduler = MonitorScheduler(cfg.monitors, sessions=store, settings=cfg.scheduler, listener=Listener())
    calls: list[int] = []
    scheduler.add_periodic("follow", lambda: calls.append(1), timedelta(seconds=1))
    holder.execute("BEGIN EXCLUSIVE")  # every read of the source waits for this lock
    try:
        scheduler.start()
        poll(lambda: scheduler.worker.active(), timeout=30, what="the run to hang on its source")
        seen = len(calls)
        poll(lambda: len(calls) >= seen + 2, timeout=20, what="the periodic job while the run hangs")
        assert scheduler.worker.active()  # it still does
    finally:
        holder.execute("COMMIT")
        holder.close()
        scheduler.stop(30.0)
