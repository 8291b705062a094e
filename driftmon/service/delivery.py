"""Notifications from the store's outbox, sent by the one process holding the notifier lease.

Every `driftmon serve` on a store queues its runs' alert transitions in the outbox (in the
run's transaction). One of them holds the lease (a PostgreSQL advisory lock; with SQLite the
single serving process) and delivers the outbox oldest first; an entry is deleted once every
webhook had it. When the holder dies, its connection closes, the lock is free, and another
process takes the lease at its next poll and sends what is left. So a transition is never
lost; one that was mid-delivery when its sender was killed may arrive twice.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.alerts import Notification, Severity, Transition
from driftmon.core import BinContribution
from driftmon.pages import column_path
from driftmon.service.notifications import Notifications
from driftmon.service.store import StoreFailures
from driftmon.store import AlertEventRecord, Lease, delete_outbox_entries, outbox_entries

log = logging.getLogger(__name__)

NOTIFIER_LEASE = "notifier"
_BATCH = 100  # entries in this process's queues at most (more wait in the outbox, oldest first)


def result_path(run_id: int) -> str:
    """Return the API path of a run's full result (notification links point there)."""
    return f"/api/v1/runs/{run_id}"


def _number(value: float | None) -> float:
    return math.nan if value is None else value


# The severity before a transition that did not resolve, by its kind (de-escalated: critical).
_PREVIOUS = {"fired": Severity.OK, "escalated": Severity.WARNING}


def notification_from_event(event: AlertEventRecord) -> Notification:
    """Rebuild the notification of a stored alert transition (its details hold role, n_live, bins)."""
    details = event.details or {}
    kind = str(details.get("transition", "fired"))
    stored = Severity.parse(event.severity)
    if event.state == "resolved":
        previous, severity = stored, Severity.OK
    else:
        previous, severity = _PREVIOUS.get(kind, Severity.CRITICAL), stored
    if event.window_start is None or event.window_end is None:
        raise ValueError(f"alert event {event.id} has no window: it cannot be notified")
    transition = Transition(
        statistic=event.statistic,
        previous=previous,
        severity=severity,
        value=_number(event.value),
        threshold=_number(event.threshold),
        p_value=_number(event.p_value),
        n_live=int(details.get("n_live") or 0),
        window_start=event.window_start,
        window_end=event.window_end,
    )
    bins = tuple(BinContribution.from_dict(b) for b in details.get("top_bins") or ())
    page = column_path(event.monitor, event.column, window_end=event.window_end, statistic=event.statistic)
    return Notification(
        event.monitor,
        event.column,
        str(details.get("role", "feature")),
        transition,
        bins,
        result_path(event.run_id) if event.run_id is not None else None,
        page,
    )


class OutboxDelivery:
    """Polls the outbox every `every` seconds (and when woken) while holding the notifier lease."""

    def __init__(
        self, engine: Engine, sessions: sessionmaker[Session], notifications: Notifications, *, every: float
    ) -> None:
        self.notifications = notifications
        self.every = every
        self._sessions = sessions
        self._lease = Lease(engine, NOTIFIER_LEASE)
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()  # submitted, not yet deleted from the outbox
        self._finished: set[int] = set()  # every notifier is done with them: to delete
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._stopped = threading.Event()  # the grace is over: deliveries still retrying give up
        self._thread = threading.Thread(target=self._loop, name="driftmon-outbox", daemon=True)
        self._failures = StoreFailures("notification outbox")

    @property
    def leading(self) -> bool:
        """Whether this process holds the notifier lease (as of its last poll) and is not stopped."""
        return self._lease.held and not self._stopped.is_set()

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Poll now (a run of this process stored transitions)."""
        self._wake.set()

    def deliver_once(self) -> int:
        """Delete what was delivered; holding the lease, submit the next entries; return how many."""
        self._delete_finished()
        if not self.notifications.configured:
            self._lease.release()  # no webhook here: a process that has some sends the outbox
            return 0
        if not self._lease.hold():
            return 0
        with self._lock:
            exclude = set(self._in_flight)
        room = _BATCH - len(exclude)  # a webhook that is down does not pull the backlog in
        if room <= 0:
            return 0
        with self._sessions() as session:
            events = outbox_entries(session, exclude=exclude, limit=room)
        for event in events:
            try:
                notification = notification_from_event(event)
            except Exception as exc:  # whatever it is, it must not hold up the entries after it
                log.error(
                    "alert event %d: not notified, its stored details are unreadable: %s", event.id, exc
                )
                with self._lock:
                    self._in_flight.add(event.id)
                    self._finished.add(event.id)
                continue
            with self._lock:
                self._in_flight.add(event.id)
            # Sent only while this process holds the lease: one that lost it leaves the rest to the
            # new holder (the entries are still in the outbox), rather than sending them twice.
            self.notifications.submit(notification, partial(self._done, event.id), lambda: self.leading)
        return len(events)

    def stop(self, grace: float) -> None:
        """Stop polling, give the queues what is left of `grace` seconds, delete what they sent."""
        deadline = time.monotonic() + grace
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        left = self.notifications.close(max(0.0, deadline - time.monotonic()))
        # A delivery still retrying stops at its next attempt and stays in the outbox (with a
        # PostgreSQL store the released lease says the same; SQLite's lease is always held).
        self._stopped.set()
        if left:
            log.warning(
                "%d notifications were not delivered before stopping; they stay in the store's outbox "
                "and are sent by the next driftmon to hold the notifier lease",
                left,
            )
        try:
            self._delete_finished()
        except Exception:
            log.exception(
                "notification outbox: could not delete the delivered entries; they may be sent again"
            )
        self._lease.release()

    def _done(self, event_id: int, finished: bool) -> None:
        with self._lock:
            if finished:
                self._finished.add(event_id)
            else:
                self._in_flight.discard(event_id)  # submitted again at a later poll
            settled = self._finished >= self._in_flight
        if finished and settled:
            self._wake.set()  # all it submitted is done: delete those and read on, in one poll

    def _delete_finished(self) -> None:
        with self._lock:
            finished = set(self._finished)
        if not finished:
            return
        with self._sessions() as session, session.begin():
            delete_outbox_entries(session, finished)
        with self._lock:
            self._finished -= finished
            self._in_flight -= finished

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.deliver_once()
                self._failures.succeeded()
            except Exception as exc:
                try:
                    self._failures.failed(exc)
                except Exception:
                    log.exception("notification outbox: poll failed; trying again in %gs", self.every)
            self._wake.wait(self.every)
