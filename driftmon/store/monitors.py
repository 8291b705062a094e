"""Monitors: one row per monitor name, with the config hash it last ran with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from driftmon.store.models import Monitor
from driftmon.store.types import check_aware, check_name


def upsert_insert(session: Session, table: Any) -> Any:
    """Return the dialect's INSERT construct that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert_monitor(session: Session, name: str, config_hash: str | None = None, *, now: datetime) -> None:
    """Create the monitor if new, and record the config hash it runs with now."""
    check_name(name, "monitor name")
    if config_hash is not None:
        check_name(config_hash, "config hash", 64)
    at = check_aware(now, "now")
    values = {"name": name, "config_hash": config_hash, "created_at": at, "updated_at": at}
    stmt = upsert_insert(session, Monitor)
    update = {"updated_at": at} | ({"config_hash": config_hash} if config_hash is not None else {})
    session.execute(stmt.values(values).on_conflict_do_update(index_elements=["name"], set_=update))


def monitor_id(session: Session, name: str) -> int | None:
    """Return the monitor's id, or None when it is not stored."""
    check_name(name, "monitor name")
    return session.execute(sa.select(Monitor.id).where(Monitor.name == name)).scalar_one_or_none()


def ensure_monitor(session: Session, name: str, *, now: datetime) -> int:
    """Return the monitor's id, inserting the monitor first when it is new (safe under concurrency)."""
    found = monitor_id(session, name)
    if found is not None:
        return found
    at = check_aware(now, "now")
    stmt = upsert_insert(session, Monitor).values(name=name, created_at=at, updated_at=at)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(sa.select(Monitor.id).where(Monitor.name == name)).scalar_one()


def lock_monitor(session: Session, name: str, *, now: datetime) -> int:
    """Return the monitor's id with its row locked until the transaction ends (inserted if new).

    Serialises the writers of one monitor's baselines across processes: on PostgreSQL a
    `SELECT ... FOR NO KEY UPDATE` (runs and results that merely reference the monitor are not
    blocked); SQLite's transactions already take the database's write lock when they begin.
    """
    mid = ensure_monitor(session, name, now=now)
    session.execute(sa.select(Monitor.id).where(Monitor.id == mid).with_for_update(key_share=True))
    return mid


def mark_changed(session: Session, monitor_id: int) -> None:
    """Advance the monitor's change marker (in the transaction that changes what it exports)."""
    session.execute(
        sa.update(Monitor)
        .where(Monitor.id == monitor_id)
        .values(changes=Monitor.changes + 1)
        .execution_options(synchronize_session=False)
    )


def monitor_changes(session: Session) -> dict[str, int]:
    """Return every stored monitor's change marker by name: one small query, polled by each process."""
    return dict(session.execute(sa.select(Monitor.name, Monitor.changes)).all())
