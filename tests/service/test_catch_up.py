"""Catch-up starts at the source's first row: start-up ticks and `backfill` skip windows before the data.

Every test runs on an injected clock: the data starts 5 hours before "now" and the look-back is
24 windows, so 5 windows hold data and 19 would only be stored as `insufficient_data`.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.jobs import FirstRow, backfill, catch_up_windows, find_first_row
from driftmon.scheduler import MonitorWorker
from driftmon.scheduler.first_rows import FirstRows
from driftmon.store import claim_run, finish_run, run_history
from driftmon.windows import TimeRange, Window

from .helpers import HOUR, T0, Clock, config, event_rows, monitor, poll, write_parquet, write_sqlite

NOW = T0 + 12 * HOUR
DATA_START = NOW - 5 * HOUR


def hour(k: int) -> Window:
    return Window(T0 + k * HOUR, T0 + (k + 1) * HOUR)


class CountingFinder:
    """find_first_row, counting the calls."""

    def __init__(self) -> None:
        self.calls: list[TimeRange] = []

    def __call__(self, monitor: MonitorConfig, within: TimeRange) -> FirstRow:
        self.calls.append(within)
        return find_first_row(monitor, within)


def write_postgres(url: str, start: datetime, windows: int) -> None:
    stamps, x, c = event_rows(start, windows, HOUR, rows=300, seed=3)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE events (event_time TIMESTAMPTZ, x DOUBLE PRECISION, c TEXT)")
        conn.execute(
            sa.text("INSERT INTO events VALUES (:t, :x, :c)"),
            [{"t": t, "x": float(v), "c": k} for t, v, k in zip(stamps, x, c, strict=True)],
        )
    engine.dispose()


def live_source(
    request: pytest.FixtureRequest, kind: str, tmp_path: Path, start: datetime, hours: int
) -> dict[str, Any]:
    if kind == "file":
        return {"kind": "file", "path": str(write_parquet(tmp_path / "live.parquet", start, hours, seed=3))}
    if kind == "sqlite":
        return {
            "kind": "sql",
            "url": write_sqlite(tmp_path / "events.sqlite", start, hours),
            "table": "events",
        }
    url = str(request.getfixturevalue("postgres_url"))
    write_postgres(url, start, hours)
    return {"kind": "sql", "url": url, "table": "events"}


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, Any]:
    return {"path": str(write_parquet(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, rows=200, seed=7))}


def worker_for(
    store: sessionmaker[Session], raw: dict[str, Any], clock: Clock, finder: CountingFinder
) -> MonitorWorker:
    cfg = config(raw, scheduler={"max_backfill_windows": 24})
    return MonitorWorker(
        cfg.monitors, sessions=store, settings=cfg.scheduler, clock=clock, first_rows=FirstRows(finder)
    )


def stored(store: sessionmaker[Session]) -> list[tuple[Window, str]]:
    with store() as session:
        records = run_history(session, "m", limit=1000)
    return sorted((Window(r.window_start, r.window_end), r.status) for r in records)


@pytest.mark.parametrize("kind", ["file", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_start_up_catch_up_begins_at_the_first_row(
    request: pytest.FixtureRequest,
    store: sessionmaker[Session],
    tmp_path: Path,
    reference: dict[str, Any],
    kind: str,
) -> None:
    source = live_source(request, kind, tmp_path, DATA_START, 5)
    if source["kind"] == "sql":  # every row of the table, as a training set would be
        reference = {"query": "SELECT x, c FROM events"}
    clock, finder = Clock(NOW), CountingFinder()
    worker = worker_for(store, monitor("m", source, reference), clock, finder)
    outcomes = worker.tick("m")
    assert [o.window for o in outcomes] == [hour(k) for k in range(7, 12)]
    assert [o.status for o in outcomes] == ["succeeded"] * 5
    assert stored(store) == [(hour(k), "succeeded") for k in range(7, 12)]
    assert finder.calls == [TimeRange(hour(-12).start, hour(11).end)]
    # Nothing is behind: the windows before the data are not owed.
    assert worker.plan("m").due == ()
    assert worker.plan("m").behind == 0
    # The next hour is a steady tick: one window, and the first row is not looked up again.
    clock.advance(HOUR)
    assert [o.window for o in worker.tick("m")] == [hour(12)]
    assert len(finder.calls) == 1


def test_the_first_row_is_remembered_until_the_source_changes(
    store: sessionmaker[Session], tmp_path: Path, reference: dict[str, Any]
) -> None:
    source = {"kind": "file", "path": str(write_parquet(tmp_path / "live.parquet", DATA_START, 5, seed=3))}
    clock, finder = Clock(NOW), CountingFinder()
    worker = worker_for(store, monitor("m", source, reference), clock, finder)
    for _ in range(3):  # catch-up plans over the same look-back ask the source once
        assert len(worker.plan("m").due) == 5
    assert len(finder.calls) == 1
    moved = {
        "kind": "file",
        "path": str(write_parquet(tmp_path / "other.parquet", NOW - 2 * HOUR, 2, seed=4)),
    }
    worker.configure(config(monitor("m", moved, reference)).monitors)
    assert worker.plan("m").due == (hour(10), hour(11))
    assert len(finder.calls) == 2


def test_an_empty_source_runs_only_the_newest_window_and_is_asked_again(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "events.sqlite"
    write_sqlite(path, T0 - 24 * HOUR, 24)
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE events RENAME TO training")
    conn.close()
    url = write_sqlite(path, NOW, 0)  # the events table exists, without a row
    clock, finder = Clock(NOW), CountingFinder()
    raw = monitor("m", {"kind": "sql", "url": url, "table": "events"}, {"table": "training"})
    worker = worker_for(store, raw, clock, finder)
    outcomes = worker.tick("m")
    assert [(o.window, o.status) for o in outcomes] == [(hour(11), "insufficient_data")]
    write_sqlite(tmp_path / "events.sqlite", NOW, 2)  # data arrives
    clock.advance(2 * HOUR)
    assert [o.window for o in worker.tick("m")] == [hour(12), hour(13)]
    assert len(finder.calls) == 2


def test_an_unreachable_source_catches_up_as_before_and_fails_clearly(
    store: sessionmaker[Session], tmp_path: Path, reference: dict[str, Any]
) -> None:
    source = {"kind": "sql", "url": f"sqlite:///{tmp_path}/absent.sqlite", "table": "events"}
    clock, finder = Clock(NOW), CountingFinder()
    worker = worker_for(store, monitor("m", source, {"table": "training"}), clock, finder)
    assert len(worker.plan("m").due) == 24
    (outcome,) = worker.tick("m")  # the first failure stops the tick; it is retried with backoff
    assert outcome.window == hour(-12)
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "absent.sqlite does not exist" in outcome.error


def test_a_reference_range_of_the_own_data_is_not_caught_up(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write_parquet(tmp_path / "live.parquet", T0, 12, seed=3)
    fixed = {"start": T0.isoformat(), "end": (T0 + 8 * HOUR).isoformat()}
    raw = monitor("m", {"kind": "file", "path": str(path)}, fixed)
    worker = worker_for(store, raw, Clock(NOW), CountingFinder())
    assert config(raw).monitors[0].own_reference_end == T0 + 8 * HOUR
    assert [o.window for o in worker.tick("m")] == [hour(k) for k in range(8, 12)]


def test_backfill_from_the_first_row_and_an_explicit_range_as_asked(
    store: sessionmaker[Session], tmp_path: Path, reference: dict[str, Any]
) -> None:
    source = {"kind": "file", "path": str(write_parquet(tmp_path / "live.parquet", DATA_START, 5, seed=3))}
    m = config(monitor("m", source, reference)).monitors[0]
    seen: list[tuple[Window, bool]] = []
    start = hour(-12).start
    outcome = backfill(
        m,
        start,
        NOW,
        sessions=store,
        now=NOW,
        from_first_row=True,
        progress=lambda w, o: seen.append((w, o is None)),
    )
    assert [r.window for r in outcome.runs] == [hour(k) for k in range(7, 12)]
    assert outcome.before_data == tuple(hour(k) for k in range(-12, 7))
    assert len(outcome.windows) == 24
    assert [w for w, _ in seen] == [hour(k) for k in range(-12, 12)]  # every window reported, in order
    assert sum(skipped for _, skipped in seen) == 19
    asked = backfill(m, start, NOW, sessions=store, now=NOW)
    assert asked.count("insufficient_data") == 19
    assert len(asked.skipped) == 5


def test_catch_up_windows_keep_the_newest_and_those_after_the_first_row() -> None:
    m = config(monitor("m", {"kind": "file", "path": "/x.parquet"}, {"path": "/r.parquet"})).monitors[0]
    windows = [hour(k) for k in range(6)]
    searched = TimeRange(hour(0).start, hour(5).end)
    assert catch_up_windows(m, windows) == windows
    assert catch_up_windows(m, windows, FirstRow(None, None, "unreachable")) == windows
    assert catch_up_windows(m, windows, FirstRow(hour(3).start, searched)) == windows[3:]
    assert catch_up_windows(m, windows, FirstRow(hour(3).start + HOUR / 2, searched)) == windows[3:]
    assert catch_up_windows(m, windows, FirstRow(None, searched)) == [hour(5)]
    partial = TimeRange(hour(0).start, hour(3).end)
    assert catch_up_windows(m, windows, FirstRow(None, partial)) == windows[4:]
    assert catch_up_windows(m, [], FirstRow(None, searched)) == []


def test_a_source_slow_to_say_where_its_data_starts_does_not_hold_the_catch_up(
    store: sessionmaker[Session], tmp_path: Path, reference: dict[str, Any]
) -> None:
    source = {"kind": "file", "path": str(write_parquet(tmp_path / "live.parquet", DATA_START, 5, seed=3))}
    answer = threading.Event()
    calls: list[TimeRange] = []

    def slow(monitor: MonitorConfig, within: TimeRange) -> FirstRow:
        calls.append(within)
        answer.wait(30)
        return find_first_row(monitor, within)

    cfg = config(monitor("m", source, reference), scheduler={"max_backfill_windows": 24})
    worker = MonitorWorker(
        cfg.monitors,
        sessions=store,
        settings=cfg.scheduler,
        clock=Clock(NOW),
        first_rows=FirstRows(slow, wait=0.05),
    )
    assert len(worker.plan("m").due) == 24  # no answer yet: every window, as before
    assert len(worker.plan("m").due) == 24  # still the same question, not a second one
    assert len(calls) == 1
    answer.set()
    poll(lambda: len(worker.plan("m").due) == 5, timeout=30, what="the late answer to be used")
    assert len(calls) == 1


def test_a_window_in_progress_elsewhere_at_start_up_is_run_once_it_is_stale(
    store: sessionmaker[Session], tmp_path: Path, reference: dict[str, Any]
) -> None:
    path = write_parquet(tmp_path / "live.parquet", DATA_START, 6, seed=3)  # and the next hour
    clock, finder = Clock(NOW), CountingFinder()
    worker = worker_for(store, monitor("m", {"kind": "file", "path": str(path)}, reference), clock, finder)
    stale_after = timedelta(minutes=10)  # twice the monitor's 5 min timeout
    with store() as session, session.begin():
        for k in range(-12, 7):  # an earlier process stored the windows before the data
            claim = claim_run(session, "m", hour(k).start, hour(k).end, now=NOW, stale_after=stale_after)
            finish_run(session, claim, status="insufficient_data", finished_at=NOW)
        # ...and another one holds the first window with data.
        claim_run(session, "m", hour(7).start, hour(7).end, now=NOW, stale_after=stale_after)
    assert [o.window for o in worker.tick("m")] == [hour(k) for k in range(8, 12)]
    clock.advance(HOUR + timedelta(minutes=11))  # the claim is stale, and hour 12 is complete
    assert [(o.window, o.status) for o in worker.tick("m")] == [
        (hour(7), "succeeded"),
        (hour(12), "succeeded"),
    ]
