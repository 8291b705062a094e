"""Calendar windows through the jobs: a backfill of whole months, and runs overlapping the reference."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.jobs import backfill, run_window
from driftmon.store import get_run, run_history
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


def test_a_window_overlapping_the_reference_is_scored_with_a_warning(
    sessions: sessionmaker[Session], months: Path, caplog: pytest.LogCaptureFixture
) -> None:
    m = monitor(
        months / "live",
        {"start": "2025-10-01T00:00:00Z", "end": "2025-11-15T00:00:00Z"},
        ["x"],
        window={"size": "1mo"},
    )
    november = Window(utc(2025, 11, 1), utc(2025, 12, 1))
    with caplog.at_level(logging.WARNING, logger="driftmon.jobs.run"):
        outcome = run_window(m, november, sessions=sessions, now=utc(2026, 1, 1))
    assert outcome.status == "succeeded"
    warning = (
        "monitor 'm': window [2025-11-01T00:00:00+00:00, 2025-12-01T00:00:00+00:00) overlaps its reference "
        "period [2025-10-01T00:00:00+00:00, 2025-11-15T00:00:00+00:00); rows in both are compared with "
        "themselves, so drift is understated"
    )
    assert outcome.warnings == (warning,)
    assert outcome.to_dict()["warnings"] == [warning]
    assert outcome.error == f"warning: {warning}"
    assert warning in caplog.messages
    with sessions() as session:
        assert outcome.run_id is not None
        assert get_run(session, outcome.run_id).run.error == f"warning: {warning}"
    december = run_window(
        m, Window(utc(2025, 12, 1), utc(2026, 1, 1)), sessions=sessions, now=utc(2026, 1, 1)
    )
    assert december.warnings == ()
    assert december.error is None
