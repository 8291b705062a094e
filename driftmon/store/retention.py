"""Retention: delete old runs, their results and old alert events; baselines are never touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.store.errors import StoreInputError
from driftmon.store.models import AlertEvent, ColumnResult, LatestResult, Run
from driftmon.store.types import check_aware


@dataclass(frozen=True, slots=True)
class RetentionReport:
    cutoff: datetime
    runs: int
    results: int
    alert_events: int


def delete_results_older_than(session: Session, days: int, *, now: datetime) -> RetentionReport:
    """Delete runs whose window ended more than `days` days before `now`, with their results, and
    alert events older than that. Baselines stay; a run still `running` stays (a backfill may own it).
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise StoreInputError(f"retention days must be a whole number of at least 1, got {days!r}")
    cutoff = check_aware(now, "now") - timedelta(days=days)
    old_runs = sa.select(Run.id).where(Run.window_end < cutoff, Run.status != "running")
    old_results = sa.select(ColumnResult.id).where(ColumnResult.run_id.in_(old_runs))
    # Children first, explicitly: correct even on a connection without ON DELETE CASCADE.
    session.execute(
        sa.delete(LatestResult).where(LatestResult.result_id.in_(old_results)),
        execution_options={"synchronize_session": False},
    )
    results = session.execute(
        sa.delete(ColumnResult).where(ColumnResult.run_id.in_(old_runs)),
        execution_options={"synchronize_session": False},
    )
    events = session.execute(
        sa.delete(AlertEvent).where(AlertEvent.at < cutoff), execution_options={"synchronize_session": False}
    )
    session.execute(
        sa.update(AlertEvent).where(AlertEvent.run_id.in_(old_runs)).values(run_id=None),
        execution_options={"synchronize_session": False},
    )
    runs = session.execute(
        sa.delete(Run).where(Run.id.in_(old_runs)), execution_options={"synchronize_session": False}
    )
    return RetentionReport(
        cutoff=cutoff,
        runs=runs.rowcount,  # type: ignore[attr-defined]
        results=results.rowcount,  # type: ignore[attr-defined]
        alert_events=events.rowcount,  # type: ignore[attr-defined]
    )
