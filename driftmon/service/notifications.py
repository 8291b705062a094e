"""Deliver alert notifications in the background: one thread and queue per webhook, in order.

A run never waits for a webhook: its transitions are queued, and each notifier delivers them
in order with its own retries, so a receiver that is down delays only its own queue. At
shutdown the queues get what is left of the grace period; anything still undelivered then is
written to that notifier's dead-letter log, so no notification is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence

from driftmon.alerts import Notification, WebhookNotifier
from driftmon.config import NotifierSettings, ServerSettings
from driftmon.scheduler import run_context
from driftmon.windows import Window

__all__ = ["Notifications", "NotifierQueue", "build_notifier"]

log = logging.getLogger(__name__)


def build_notifier(settings: NotifierSettings, server: ServerSettings) -> WebhookNotifier:
    """Return the webhook notifier a `notifiers:` entry describes (links use server.public_url)."""
    return WebhookNotifier(
        settings.url.get_secret_value(),
        dead_letter_path=settings.dead_letter,
        format=settings.format,
        timeout=settings.timeout.total_seconds(),
        retries=settings.retries,
        link_base_url=server.public_url,
        name=settings.name,
    )


class NotifierQueue:
    """One notifier's queue and the daemon thread that empties it."""

    def __init__(self, notifier: WebhookNotifier) -> None:
        self.notifier = notifier
        self._items: deque[Notification] = deque()
        self._current: Notification | None = None
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(
            target=self._deliver, name=f"driftmon-notify-{notifier.name}", daemon=True
        )
        self._thread.start()

    def put(self, notification: Notification) -> None:
        with self._cond:
            if self._closing:
                self.notifier.dead_letter(notification, "not sent: driftmon was shutting down")
                return
            self._items.append(notification)
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._items) + (self._current is not None)

    def _deliver(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                if not self._items:
                    return
                item = self._current = self._items.popleft()
            t = item.transition
            with run_context(item.monitor, Window(t.window_start, t.window_end)):
                try:
                    self.notifier.send(item)
                except Exception:
                    log.exception("notifier %s: delivery failed", self.notifier.name)
            with self._cond:
                self._current = None
                self._cond.notify_all()

    def close(self, deadline: float) -> int:
        """Deliver what is queued until `deadline` (monotonic), dead-letter the rest; return how many."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            while (self._items or self._current is not None) and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            left = list(self._items)
            if self._current is not None:
                left.insert(0, self._current)  # mid-delivery: kept too, a duplicate beats a loss
            self._items.clear()
        for item in left:
            self.notifier.dead_letter(item, "not delivered before driftmon stopped")
        if not self._thread.is_alive() or not left:
            self.notifier.close()
        return len(left)


class Notifications:
    """Every configured webhook, each fed by its own queue."""

    def __init__(self, notifiers: Sequence[WebhookNotifier] = ()) -> None:
        self._lock = threading.Lock()
        self._queues = [NotifierQueue(n) for n in notifiers]

    def submit(self, notification: Notification) -> None:
        """Queue `notification` for every notifier."""
        with self._lock:
            queues = list(self._queues)
        for queue in queues:
            queue.put(notification)

    def replace(self, notifiers: Sequence[WebhookNotifier], grace: float = 60.0) -> None:
        """Use these notifiers from now on; the old ones finish their queues in the background."""
        with self._lock:
            old, self._queues = self._queues, [NotifierQueue(n) for n in notifiers]
        if old:
            deadline = time.monotonic() + grace
            threading.Thread(
                target=lambda: [q.close(deadline) for q in old], name="driftmon-notify-retire", daemon=True
            ).start()

    def pending(self) -> int:
        with self._lock:
            return sum(q.pending() for q in self._queues)

    def close(self, grace: float) -> int:
        """Deliver what is queued within `grace` seconds, dead-letter the rest; return how many were."""
        deadline = time.monotonic() + grace
        with self._lock:
            queues, self._queues = self._queues, []
        left = sum(q.close(deadline) for q in queues)
        if left:
            log.warning("%d notifications were not delivered before stopping; see the dead-letter logs", left)
        return left
