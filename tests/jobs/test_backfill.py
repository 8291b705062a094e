"""backfill(): complete windows only, oldest first, stored windows skipped, failed ones retried."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig
from driftmon.jobs import RunOutcome, backfill, backfill_windows, run_window
from driftmon.store import run_history
from driftmon.windows import Window
from tests.jobs.conftest import HOUR, T0, monitor

MINUTE = HOUR / 60


def test_backfill_runs_complete_windows_and_skips_stored_ones(
    sessions: sessionmaker[Session], stable: MonitorConfig
) -> None:
    now = T0 + 5 * HOUR  # windows ending after 05:00 are not complete yet
    run_window(stable, Window(T0 + HOUR, T0 + 2 * HOUR), sessions=sessions, now=now)
    seen: list[tuple[Window, RunOutcome | None]] = []
    outcome = backfill(
        stable, T0, T0 + 8 * HOUR, sessions=sessions, now=now, progress=lambda w, o: seen.append((w, o))
    )
    hours = [Window(T0 + h * HOUR, T0 + (h + 1) * HOUR) for h in range(5)]
    assert outcome.windows == tuple(hours)
    assert outcome.skipped == (hours[1],)
    assert [r.window for r in outcome.runs] == [hours[0], *hours[2:]]
    assert outcome.count("succeeded") == 4
    assert [w for w, _ in seen] == hours
    assert [o is None for _, o in seen] == [False, True, False, False, False]
    again = backfill(stable, T0, T0 + 8 * HOUR, sessions=sessions, now=now)
    assert (again.runs, again.skipped) == ((), tuple(hours))
    with sessions() as s:
        assert len(run_history(s, "m")) == 5


def test_windows_inside_the_delay_are_left_for_later(data: Path) -> None:
    delayed = monitor(
        data / "live", {"path": str(data / "reference.parquet")}, ["x"], window={"size": "1h", "delay": "15m"}
    )
    complete, pending = backfill_windows(delayed, T0, T0 + 4 * HOUR, now=T0 + 3 * HOUR + 10 * MINUTE)
    assert [w.end for w in complete] == [T0 + HOUR, T0 + 2 * HOUR]
    assert [w.end for w in pending] == [T0 + 3 * HOUR, T0 + 4 * HOUR]


def test_failed_windows_are_retried(
    sessions: sessionmaker[Session], stable: MonitorConfig, data: Path
) -> None:
    now = T0 + 6 * HOUR
    bad = data / "live" / "part-1.parquet"
    bad.write_bytes(b"not parquet")
    first = backfill(stable, T0, T0 + 2 * HOUR, sessions=sessions, now=now)
    assert [r.status for r in first.runs] == ["failed", "failed"]
    assert len(first.failed) == 2
    bad.unlink()
    second = backfill(stable, T0, T0 + 2 * HOUR, sessions=sessions, now=now)
    assert [(r.status, r.attempt) for r in second.runs] == [("succeeded", 2), ("succeeded", 2)]
    assert second.skipped == ()
