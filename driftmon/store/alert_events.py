"""Alert events: every firing and resolved transition, kept so alert state survives restarts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.store.baselines import json_document
from driftmon.store.errors import StoreInputError
from driftmon.store.models import ALERT_SEVERITIES, ALERT_STATES, AlertEvent, Monitor
from driftmon.store.monitors import ensure_monitor
from driftmon.store.records import AlertEventRecord, from_row
from driftmon.store.types import MAX_STATISTIC_LENGTH, check_aware, check_name, finite_or_none


def record_alert_event(
    session: Session,
    monitor: str,
    column: str,
    statistic: str,
    *,
    severity: str,
    state: str,
    at: datetime,
    value: float | None = None,
    threshold: float | None = None,
    p_value: float | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    run_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEventRecord:
    """Store one alert transition (state firing or resolved, severity warning or critical)."""
    check_name(column, "column name")
    check_name(statistic, "statistic", MAX_STATISTIC_LENGTH)
    where = f"alert for monitor {monitor!r} column {column!r} statistic {statistic!r}"
    if severity not in ALERT_SEVERITIES:
        raise StoreInputError(
            f"{where}: severity must be one of {', '.join(ALERT_SEVERITIES)}, got {severity!r}"
        )
    if state not in ALERT_STATES:
        raise StoreInputError(f"{where}: state must be one of {', '.join(ALERT_STATES)}, got {state!r}")
    row = AlertEvent(
        column_name=column,
        statistic=statistic,
        severity=severity,
        state=state,
        at=check_aware(at, "at"),
        window_start=check_aware(window_start, "window_start") if window_start is not None else None,
        window_end=check_aware(window_end, "window_end") if window_end is not None else None,
        run_id=run_id,
        value=finite_or_none(value),
        threshold=finite_or_none(threshold),
        p_value=finite_or_none(p_value),
        details=json_document(details, f"{where}: details") if details is not None else None,
    )
    row.monitor_id = ensure_monitor(session, monitor, now=row.at)
    session.add(row)
    session.flush()
    return from_row(AlertEventRecord, row, monitor=monitor)


def alert_history(
    session: Session,
    monitor: str | None = None,
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AlertEventRecord]:
    """Return alert transitions, newest first, for one monitor or all, optionally since a time."""
    query = sa.select(AlertEvent, Monitor.name).join(Monitor, Monitor.id == AlertEvent.monitor_id)
    if monitor is not None:
        query = query.where(Monitor.name == monitor)
    if since is not None:
        query = query.where(AlertEvent.at >= check_aware(since, "since"))
    if limit is not None:
        if limit < 1:
            raise StoreInputError(f"limit must be at least 1, got {limit}")
        query = query.limit(limit)
    rows = session.execute(query.order_by(AlertEvent.at.desc(), AlertEvent.id.desc()))
    return [from_row(AlertEventRecord, row, monitor=name) for row, name in rows]


def current_alert_states(session: Session, monitors: Collection[str] | None = None) -> list[AlertEventRecord]:
    """Return the latest transition per (monitor, column, statistic): state firing means it is active."""
    ranking = sa.select(
        AlertEvent.id,
        sa.func.row_number()
        .over(
            partition_by=(AlertEvent.monitor_id, AlertEvent.column_name, AlertEvent.statistic),
            order_by=(AlertEvent.at.desc(), AlertEvent.id.desc()),
        )
        .label("rank"),
    )
    if monitors is not None:
        # Inside the ranking, so only these monitors' events are ranked (the follower asks often).
        chosen = sa.select(Monitor.id).where(Monitor.name.in_(sorted(set(monitors))))
        ranking = ranking.where(AlertEvent.monitor_id.in_(chosen))
    ranked = ranking.subquery()
    query = (
        sa.select(AlertEvent, Monitor.name)
        .join(ranked, ranked.c.id == AlertEvent.id)
        .join(Monitor, Monitor.id == AlertEvent.monitor_id)
        .where(ranked.c.rank == 1)
    )
    rows = session.execute(query.order_by(Monitor.name, AlertEvent.column_name, AlertEvent.statistic))
    return [from_row(AlertEventRecord, row, monitor=name) for row, name in rows]
