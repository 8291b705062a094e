"""Alert states: where each (monitor, column, statistic) stands, streaks included, between runs.

Alert events record transitions only; a streak in progress ("1 of 2 windows above warning")
changes no severity and so leaves no event. The state machine's whole state is kept here as
a JSON document (driftmon.alerts.AlertState.to_dict), one row per series, written in the same
transaction as the run that moved it, so a restart or another worker continues the streak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from driftmon.store.baselines import json_document
from driftmon.store.models import ColumnResult, Monitor
from driftmon.store.monitors import ensure_monitor, upsert_insert
from driftmon.store.types import (
    MAX_NAME_LENGTH,
    MAX_STATISTIC_LENGTH,
    Base,
    JSONDocument,
    UTCDateTime,
    check_aware,
    check_name,
)


class AlertStateRow(Base):
    """The alert state machine's state for one statistic of one column of one monitor."""

    __tablename__ = "alert_states"

    monitor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    column_name: Mapped[str] = mapped_column(sa.String(MAX_NAME_LENGTH), primary_key=True)
    statistic: Mapped[str] = mapped_column(sa.String(MAX_STATISTIC_LENGTH), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class AlertStateRecord:
    monitor: str
    column: str
    statistic: str
    state: dict[str, Any]
    updated_at: datetime


def load_alert_states(session: Session, monitor: str, *, lock: bool = False) -> list[AlertStateRecord]:
    """Return the monitor's stored alert states, by column and statistic.

    `lock` holds the monitor's row until the transaction ends, so two runs of the same
    monitor update its states one after the other, never from the same old state. SQLite
    needs no lock: its write transactions are serialised already.
    """
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(Monitor.id).where(Monitor.name == monitor).with_for_update())
    query = (
        sa.select(AlertStateRow)
        .join(Monitor, Monitor.id == AlertStateRow.monitor_id)
        .where(Monitor.name == monitor)
        .order_by(AlertStateRow.column_name, AlertStateRow.statistic)
    )
    return [
        AlertStateRecord(monitor, row.column_name, row.statistic, row.state, row.updated_at)
        for row in session.execute(query).scalars()
    ]


def save_alert_states(
    session: Session, monitor: str, states: Mapping[tuple[str, str], Mapping[str, Any]], *, now: datetime
) -> None:
    """Insert or replace the states of `monitor`, keyed by (column, statistic)."""
    at = check_aware(now, "now")
    rows = []
    for (column, statistic), state in states.items():
        check_name(column, "column name")
        check_name(statistic, "statistic", MAX_STATISTIC_LENGTH)
        document = json_document(dict(state), f"alert state of monitor {monitor!r} column {column!r}")
        rows.append({"column_name": column, "statistic": statistic, "state": document, "updated_at": at})
    if not rows:
        return
    mid = ensure_monitor(session, monitor, now=at)
    stmt = upsert_insert(session, AlertStateRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["monitor_id", "column_name", "statistic"],
        set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt, [{"monitor_id": mid, **row} for row in rows])


def record_window_alert_states(
    session: Session, run_id: int, states: Mapping[str, Mapping[str, str]]
) -> None:
    """Store, on each column result of run `run_id`, the severity its rules reached at that window."""
    for column, severities in states.items():
        session.execute(
            sa.update(ColumnResult)
            .where(ColumnResult.run_id == run_id, ColumnResult.column_name == column)
            .values(alert_states=dict(severities))
        )
