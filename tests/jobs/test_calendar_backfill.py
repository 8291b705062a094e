"""Calendar windows through the jobs: a backfill of whole months, and runs overlapping the reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.jobs import backfill
from driftmon.store import run_history
from driftmon.windows import Window
from tests.jobs.conftest import STABLE, monitor, write_events

DAY = timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def months(tmp_path: Path) -> Path:
    """Events every hour from 2025-10-01 to 2026-03-10 (10 rows an hour), and a reference file."""
    hours = int((utc(2026, 3, 10) - utc(2025, 10, 1)) / timedelta(hours=1))
    write_events(tmp_path / "live" / "events.parquet", utc(2025, 10, 1), hours, STABLE, rows_per_hour=10)
    write_events(tmp_path / "reference.parquet", utc(2025, 9, 1), 24 * 7, STABLE, rows_per_hour=10, seed=7)
    return tmp_path


def test_backfill_of_three_months_scores_exactly_those_months(
    sessions: sessionmaker[Session], months: Path
) -> None:
    m = monitor(
        months / "live",
        {"path": str(months / "reference.parquet")},
        ["x", "c"],
        window={"size": "1mo", "delay": "2d"},
    )
    now = utc(2026, 3, 2, 12)  # February's delay has not passed: it is left for later
    outcome = backfill(m, utc(2025, 11, 15), utc(2026, 3, 1), sessions=sessions, now=now)
    expected = (
        Window(utc(2025, 12, 1), utc(2026, 1, 1)),
        Window(utc(2026, 1, 1), utc(2026, 2, 1)),
    )
    assert outcome.windows == expected
    assert [r.status for r in outcome.runs] == ["succeeded", "succeeded"]
    assert [r.rows_read for r in outcome.runs] == [31 * 24 * 10, 31 * 24 * 10]
    later = backfill(m, utc(2025, 11, 15), utc(2026, 3, 1), sessions=sessions, now=utc(2026, 3, 3))
    assert later.skipped == expected
    assert [r.window for r in later.runs] == [Window(utc(2026, 2, 1), utc(2026, 3, 1))]
    assert later.runs[0].rows_read == 28 * 24 * 10
    with sessions() as session:
        stored = sorted((r.window_start, r.window_end) for r in run_history(session, "m"))
    assert stored == [(w.start, w.end) for w in (*expected, later.runs[0].window)]


def test_berlin_months_read_the_rows_of_the_local_month(
    sessions: sessionmaker[Session], months: Path
) -> None:
    m = monitor(
        months / "live",
        {"path": str(months / "reference.parquet")},
        ["x"],
        window={"size": "1mo", "timezone": "Europe/Berlin"},
    )
    outcome = backfill(m, utc(2025, 10, 1), utc(2025, 12, 1), sessions=sessions, now=utc(2026, 1, 1))
    # November in Berlin: 2025-10-31T23:00Z to 2025-11-30T23:00Z (CET all month: 30 days).
    assert outcome.windows == (Window(utc(2025, 10, 31, 23), utc(2025, 11, 30, 23)),)
    assert outcome.runs[0].rows_read == 30 * 24 * 10
