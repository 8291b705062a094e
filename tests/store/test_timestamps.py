"""Timestamps are timezone-aware UTC on every backend, and naive ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import NaiveDatetimeError, claim_run, run_history
from driftmon.store.models import Run
from tests.store.conftest import STALE

TOKYO = timezone(timedelta(hours=9))


def test_aware_timestamps_round_trip_as_utc(sessions: sessionmaker[Session]) -> None:
    start = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=TOKYO)  # 00:00:00.123456 UTC
    end = start + timedelta(hours=1)
    with sessions() as s, s.begin():
        claim_run(s, "m", start, end, now=end, stale_after=STALE)
    with sessions() as s:
        (run,) = run_history(s, "m")
    assert run.window_start == start
    assert run.window_start.tzinfo is UTC
    assert run.window_start.isoformat() == "2026-03-01T00:00:00.123456+00:00"
    assert run.started_at.utcoffset() == timedelta(0)


def test_comparisons_use_utc_instants(sessions: sessionmaker[Session]) -> None:
    # The same instant written in two zones is one value: text order on SQLite is time order.
    start = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with sessions() as s, s.begin():
        claim_run(s, "m", start, start + timedelta(hours=1), now=start, stale_after=STALE)
    with sessions() as s:
        same = start.astimezone(TOKYO)
        assert s.execute(sa.select(sa.func.count()).where(Run.window_start == same)).scalar_one() == 1
        earlier = datetime(2026, 3, 2, 8, 0, tzinfo=TOKYO)  # 2026-03-01 23:00 UTC
        assert s.execute(sa.select(sa.func.count()).where(Run.window_start > earlier)).scalar_one() == 1


def test_naive_timestamps_are_refused(sessions: sessionmaker[Session]) -> None:
    naive = datetime(2026, 3, 1, 0, 0)
    with (
        sessions() as s,
        s.begin(),
        pytest.raises(NaiveDatetimeError, match="window_start must be a timezone-aware"),
    ):
        claim_run(
            s,
            "m",
            naive,
            naive.replace(tzinfo=UTC) + timedelta(hours=1),
            now=datetime.now(UTC),
            stale_after=STALE,
        )
    with sessions() as s:
        assert run_history(s, "m") == []


def test_naive_timestamps_are_refused_by_the_column_type(sessions: sessionmaker[Session]) -> None:
    # Writes that bypass the repository functions hit the same wall.
    with sessions() as s, pytest.raises(sa.exc.StatementError, match="timezone-aware"):
        s.execute(sa.select(Run.id).where(Run.window_start == datetime(2026, 1, 1)))
