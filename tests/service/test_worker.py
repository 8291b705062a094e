"""The scheduler's work on a fake clock: catch-up, retries with backoff, isolation, timeouts, stop, refits."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.errors import UnknownMonitorError, WindowError
from driftmon.jobs import RunOutcome
from driftmon.scheduler import MonitorBusyError, MonitorWorker, SchedulerStoppedError, WindowNotReadyError
from driftmon.store import RunRecord, active_baseline, get_run, list_baselines, run_history
from driftmon.windows import Window

from .helpers import HOUR, T0, Clock, config, file_monitor, monitor, poll, write_parquet, write_sqlite

MINUTE = timedelta(minutes=1)


@dataclass
class Recorder:
    """A listener that keeps what the worker reports; `fail_first` makes its first report raise."""

    outcomes: list[RunOutcome] = field(default_factory=list)
    behind: dict[str, list[int]] = field(default_factory=dict)
    fail_first: bool = False

    def run_finished(self, monitor: MonitorConfig, outcome: RunOutcome) -> None:
        self.outcomes.append(outcome)
        if self.fail_first and len(self.outcomes) == 1:
            raise RuntimeError("listener broke")

    def windows_behind(self, monitor: MonitorConfig, count: int) -> None:
        self.behind.setdefault(monitor.name, []).append(count)


def make_worker(
    sessions: sessionmaker[Session],
    clock: Clock,
    *monitors: dict[str, Any],
    listener: Recorder | None = None,
    **scheduler: Any,
) -> tuple[MonitorWorker, Recorder]:
    cfg = config(*monitors, scheduler={"max_backfill_windows": 6, **scheduler})
    recorder = listener or Recorder()
    settings = cfg.scheduler
    worker = MonitorWorker(cfg.monitors, sessions=sessions, settings=settings, listener=recorder, clock=clock)
    return worker, recorder


def runs(sessions: sessionmaker[Session], name: str) -> list[RunRecord]:
    with sessions() as session:
        return sorted(run_history(session, name, limit=1000), key=lambda r: r.window_start)


def hour(k: int) -> Window:
    return Window(T0 + k * HOUR, T0 + (k + 1) * HOUR)


def windows(outcomes: list[RunOutcome]) -> list[Window]:
    return [o.window for o in outcomes]


def test_first_tick_catches_up_at_most_max_backfill_windows_oldest_first(
    any_store: sessionmaker[Session], data: Path
) -> None:
    clock = Clock(T0 + 12 * HOUR)
    raw = file_monitor("m", data / "live", data / "reference.parquet")
    worker, recorder = make_worker(any_store, clock, raw, max_backfill_windows=5)
    outcomes = worker.tick("m")
    assert windows(outcomes) == [hour(k) for k in range(7, 12)]
    assert [o.status for o in outcomes] == ["succeeded"] * 5
    assert recorder.outcomes == outcomes
    assert recorder.behind["m"] == [5, 4, 3, 2, 1, 0]
    assert [(r.window_start, r.status, r.attempts) for r in runs(any_store, "m")] == [
        (hour(k).start, "succeeded", 1) for k in range(7, 12)
    ]
    assert worker.tick("m") == []  # nothing left to do


def test_after_a_pause_each_missed_window_runs_once(store: sessionmaker[Session], data: Path) -> None:
    clock = Clock(T0 + 6 * HOUR)
    worker, _ = make_worker(store, clock, file_monitor("m", data / "live", data / "reference.parquet"))
    assert windows(worker.tick("m")) == [hour(k) for k in range(6)]
    clock.advance(4 * HOUR + 17 * MINUTE)  # the process was suspended for four ticks
    assert windows(worker.tick("m")) == [hour(k) for k in range(6, 10)]
    stored = runs(store, "m")
    assert [r.window_start for r in stored] == [hour(k).start for k in range(10)]
    assert {r.attempts for r in stored} == {1}


def test_a_listener_that_raises_does_not_stop_the_tick(store: sessionmaker[Session], data: Path) -> None:
    clock = Clock(T0 + 3 * HOUR)
    raw = file_monitor("m", data / "live", data / "reference.parquet")
    recorder = Recorder(fail_first=True)
    worker, _ = make_worker(store, clock, raw, listener=recorder, max_backfill_windows=3)
    assert len(worker.tick("m")) == 3
    assert len(recorder.outcomes) == 3


def test_a_failing_source_is_retried_with_backoff_while_other_monitors_go_on(
    store: sessionmaker[Session], data: Path, tmp_path: Path
) -> None:
    clock = Clock(T0 + 3 * HOUR)
    broken_dir = tmp_path / "broken"
    broken = file_monitor("broken", broken_dir, data / "reference.parquet", schedule={"interval": "5m"})
    fine = file_monitor("fine", data / "live", data / "reference.parquet", schedule={"interval": "5m"})
    worker, recorder = make_worker(store, clock, broken, fine, max_backfill_windows=3)

    def tick() -> tuple[list[Window], list[Window]]:
        return windows(worker.tick("broken")), windows(worker.tick("fine"))

    # One failed attempt per tick: the oldest due window, then the tick stops.
    assert tick() == ([hour(0)], [hour(0), hour(1), hour(2)])
    failed = runs(store, "broken")
    assert [(r.window_start, r.status, r.attempts) for r in failed] == [(hour(0).start, "failed", 1)]
    assert "no such file" in (failed[0].error or "")
    assert recorder.behind["broken"][-1] == 3
    clock.advance(5 * MINUTE)
    assert tick() == ([hour(0)], [])  # first retry on the next tick
    clock.advance(5 * MINUTE)
    assert tick() == ([hour(1)], [])  # hour 0 waits out a doubled backoff; hour 1 is tried
    clock.advance(5 * MINUTE)
    assert tick() == ([hour(0)], [])  # ten minutes after its second attempt
    assert [(r.status, r.attempts) for r in runs(store, "broken")] == [("failed", 3), ("failed", 1)]

    write_parquet(broken_dir / "part-0.parquet", T0, 12, seed=8)  # the source comes back
    clock.advance(5 * MINUTE)
    assert tick() == ([hour(1), hour(2)], [])  # hour 0 waits twenty minutes after its third attempt
    clock.advance(15 * MINUTE)
    assert tick() == ([hour(0)], [])
    stored = runs(store, "broken")
    assert [(r.status, r.attempts) for r in stored] == [("succeeded", 4), ("succeeded", 2), ("succeeded", 1)]
    assert {r.status for r in runs(store, "fine")} == {"succeeded"}


def test_a_missing_column_makes_runs_partial_and_they_are_not_retried(
    store: sessionmaker[Session], data: Path
) -> None:
    clock = Clock(T0 + 2 * HOUR)
    raw = file_monitor("m", data / "live", data / "reference.parquet", columns=["x", "nope"])
    worker, _ = make_worker(store, clock, raw, max_backfill_windows=2)
    outcomes = worker.tick("m")
    assert [o.status for o in outcomes] == ["partial", "partial"]
    assert "nope" in (outcomes[0].error or "")
    clock.advance(HOUR)
    assert windows(worker.tick("m")) == [hour(2)]


@pytest.fixture
def locked_source(tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    """A SQLite source database and a connection that can hold its exclusive lock (readers then wait)."""
    path = tmp_path / "source.sqlite"
    url = write_sqlite(path, T0 - 24 * HOUR, 48, rows=150)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    yield url + "?timeout=60", holder
    holder.close()


def sql_monitor(url: str, **settings: Any) -> dict[str, Any]:
    reference = {"table": "events", "start": (T0 - 24 * HOUR).isoformat(), "end": T0.isoformat()}
    return monitor("m", {"kind": "sql", "url": url, "table": "events"}, reference, **settings)


def test_a_run_past_its_timeout_fails_and_what_it_computes_later_is_discarded(
    store: sessionmaker[Session], locked_source: tuple[str, sqlite3.Connection]
) -> None:
    url, holder = locked_source
    clock = Clock(T0 + 2 * HOUR)
    worker, recorder = make_worker(store, clock, sql_monitor(url, timeout="1s"), max_backfill_windows=2)
    assert [o.status for o in worker.tick("m")] == ["succeeded", "succeeded"]  # hours 0 and 1

    holder.execute("BEGIN EXCLUSIVE")  # the source hangs: every read waits for this lock
    clock.advance(HOUR)
    (timed_out,) = worker.tick("m")
    assert timed_out.window == hour(2)
    assert timed_out.status == "failed"
    assert timed_out.stored
    assert "timed out" in (timed_out.error or "")
    assert worker.active() == ["monitor m window 2026-03-02T02:00:00Z +1h"]
    assert worker.tick("m") == []  # the hung run still holds the monitor
    with pytest.raises(MonitorBusyError, match="outlived its timeout"):
        worker.run_now("m")

    holder.execute("COMMIT")  # the late run now reads, scores, and is refused at its finish
    poll(lambda: not worker.active(), timeout=30, what="the hung run to end")
    assert timed_out.run_id is not None
    with store() as session:
        detail = get_run(session, timed_out.run_id)
    assert detail.run.status == "failed"
    assert "timed out" in (detail.run.error or "")
    assert detail.results == ()
    # The late outcome is not reported: hour 2 counts once, as timed out.
    assert [o.window for o in recorder.outcomes] == [hour(0), hour(1), hour(2)]

    clock.advance(HOUR)
    retried = worker.tick("m")
    assert [(o.window, o.status) for o in retried] == [(hour(2), "succeeded"), (hour(3), "succeeded")]


def test_run_now_runs_the_latest_window_and_refuses_what_it_cannot_do(
    store: sessionmaker[Session], data: Path
) -> None:
    clock = Clock(T0 + 3 * HOUR + 30 * MINUTE)
    raw = file_monitor("m", data / "live", data / "reference.parquet", window={"size": "1h", "delay": "10m"})
    worker, recorder = make_worker(store, clock, raw)
    outcome = worker.run_now("m")
    assert (outcome.window, outcome.status, outcome.skipped) == (hour(2), "succeeded", None)
    again = worker.run_now("m", hour(2).end)
    assert (again.skipped, again.run_id) == ("already_done", outcome.run_id)
    assert recorder.outcomes == [outcome]  # a window already stored is not counted again
    assert worker.run_now("m", hour(0).end).window == hour(0)
    with pytest.raises(UnknownMonitorError, match="named 'nope' in the configuration; monitors: 'm'"):
        worker.run_now("nope")
    with pytest.raises(WindowError, match=r"not a window boundary of monitor 'm'.* nearest are"):
        worker.run_now("m", T0 + 90 * MINUTE)
    with pytest.raises(WindowNotReadyError, match=r"not complete until 2026-03-02T04:10:00\+00:00"):
        worker.run_now("m", hour(3).end)
    assert worker.stop(1.0) == []
    with pytest.raises(SchedulerStoppedError):
        worker.run_now("m")
    assert worker.tick("m") == []


def test_stop_lets_a_run_in_flight_finish_within_the_grace(
    store: sessionmaker[Session], locked_source: tuple[str, sqlite3.Connection]
) -> None:
    url, holder = locked_source
    clock = Clock(T0 + 2 * HOUR)
    worker, recorder = make_worker(store, clock, sql_monitor(url, timeout="60s"), max_backfill_windows=2)
    worker.run_now("m", hour(0).end)  # fits the baseline before the source locks
    holder.execute("BEGIN EXCLUSIVE")
    ticking = threading.Thread(target=worker.tick, args=("m",))
    ticking.start()
    poll(worker.active, timeout=30, what="the run of hour 1 to start")
    stopped: list[list[str]] = []
    stopping = threading.Thread(target=lambda: stopped.append(worker.stop(30.0)))
    stopping.start()
    poll(lambda: worker.stopping, timeout=5, what="the stop to begin")
    holder.execute("COMMIT")  # the run can finish now, inside the grace
    stopping.join(30)
    ticking.join(30)
    assert stopped == [[]]
    assert [(r.window_start, r.status) for r in runs(store, "m")] == [
        (hour(0).start, "succeeded"),
        (hour(1).start, "succeeded"),
    ]
    assert [o.window for o in recorder.outcomes] == [hour(0), hour(1)]


def test_stop_cuts_off_a_run_after_the_grace_without_half_writing_it(
    store: sessionmaker[Session], locked_source: tuple[str, sqlite3.Connection]
) -> None:
    url, holder = locked_source
    clock = Clock(T0 + 2 * HOUR)
    worker, recorder = make_worker(store, clock, sql_monitor(url, timeout="60s"), max_backfill_windows=1)
    worker.run_now("m", hour(0).end)
    holder.execute("BEGIN EXCLUSIVE")
    ticked: list[list[RunOutcome]] = []
    ticking = threading.Thread(target=lambda: ticked.append(worker.tick("m")))
    ticking.start()
    poll(worker.active, timeout=30, what="the run of hour 1 to start")
    assert worker.stop(0.2) == ["monitor m window 2026-03-02T01:00:00Z +1h"]
    ticking.join(5)
    assert ticked == [[]]  # the tick returned at once, reporting nothing
    cut = [r for r in runs(store, "m") if r.window_start == hour(1).start]
    assert [r.status for r in cut] == ["running"]
    with store() as session:
        assert get_run(session, cut[0].id).results == ()
    assert [o.window for o in recorder.outcomes] == [hour(0)]
    holder.execute("ROLLBACK")
    poll(lambda: not worker.active(), timeout=30, what="the cut-off run's thread to end")


def test_a_rolling_reference_is_refitted_on_its_schedule(store: sessionmaker[Session], data: Path) -> None:
    clock = Clock(T0 + 8 * HOUR + 5 * MINUTE)
    raw = file_monitor("m", data / "live", data / "reference.parquet")
    raw["reference"] = {"previous": "6h", "refit_every": "2h"}
    worker, _ = make_worker(store, clock, raw)

    def versions() -> list[int]:
        with store() as session:
            return [b.version for b in list_baselines(session, "m", "x")]

    found = worker.refit("m")
    assert found is not None
    assert [f.version for f in found.fitted if f.column == "x"] == [1]
    assert worker.refit("m") is not None
    assert versions() == [1]  # the period has not moved: nothing refitted
    clock.advance(2 * HOUR)
    worker.refit("m")
    assert sorted(versions()) == [1, 2]
    with store() as session:
        active = active_baseline(session, "m", "x")
    assert active is not None
    assert active.version == 2
    assert active.reference["end"] == (T0 + 10 * HOUR).isoformat()


def test_a_tick_skipped_while_the_monitor_is_busy_is_scheduled_again_once_it_is_free(
    store: sessionmaker[Session], data: Path
) -> None:
    clock = Clock(T0 + 3 * HOUR)
    cfg = config(file_monitor("m", data / "live", data / "reference.parquet"))
    again: list[tuple[str, Any]] = []
    worker = MonitorWorker(
        cfg.monitors,
        sessions=store,
        settings=cfg.scheduler,
        clock=clock,
        takeover_tick=lambda name, at: again.append((name, at)),
    )
    busy = worker._locks["m"]  # held as a run_now or a refit holds it
    busy.acquire()
    assert worker.tick("m") == []  # skipped: the monitor is busy
    worker._release("m", busy)  # what run_now and refit do when they finish
    assert again == [("m", T0 + 3 * HOUR)]
    assert busy.acquire(blocking=False)  # free again; holding and releasing it once more
    worker._release("m", busy)
    assert again == [("m", T0 + 3 * HOUR)]  # made up once, not again
    assert windows(worker.tick("m")) == [hour(k) for k in range(3)]
