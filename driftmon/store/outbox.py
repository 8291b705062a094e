"""The notification outbox: alert transitions waiting for delivery to the webhooks.

An entry is written in the transaction that stores its alert event, so a stored transition
is never without its pending notification, and deleted once every webhook had it (delivered,
or dead-lettered after its retries). Whoever delivers reads the entries oldest first.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.store.errors import StoreInputError
from driftmon.store.models import AlertEvent, Monitor, OutboxEntry
from driftmon.store.records import AlertEventRecord, from_row
from driftmon.store.types import check_aware


def queue_notification(session: Session, event_id: int, *, now: datetime) -> None:
    """Put the alert event's notification in the outbox (in the transaction storing the event)."""
    session.add(OutboxEntry(event_id=event_id, created_at=check_aware(now, "now")))


def outbox_entries(
    session: Session, *, exclude: Collection[int] = (), limit: int = 100
) -> list[AlertEventRecord]:
    """Return the alert events still to be notified, oldest first, leaving out the ids in `exclude`."""
    if limit < 1:
        raise StoreInputError(f"limit must be at least 1, got {limit}")
    query = (
        sa.select(AlertEvent, Monitor.name)
        .join(OutboxEntry, OutboxEntry.event_id == AlertEvent.id)
        .join(Monitor, Monitor.id == AlertEvent.monitor_id)
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(AlertEvent.id.not_in(list(exclude)))
    return [from_row(AlertEventRecord, row, monitor=name) for row, name in session.execute(query)]


def delete_outbox_entries(session: Session, event_ids: Collection[int]) -> None:
    """Remove the entries of these alert events: every webhook had them."""
    if event_ids:
        session.execute(sa.delete(OutboxEntry).where(OutboxEntry.event_id.in_(list(event_ids))))
