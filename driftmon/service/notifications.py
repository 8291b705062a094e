"""Deliver alert notifications in the background: one thread and queue per webhook, in order.

Notifications come from the store's outbox (service.delivery); each notifier delivers them in
order with its own retries, so a receiver that is down delays only its own queue. Each
notification reports back once every queue is done with it: delivered, or dead-lettered
after the notifier's retries (then its outbox entry can go), or not attempted because the
queue closed (then the entry stays in the outbox and is sent later, by this process or the
next one to hold the notifier lease).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from driftmon.alerts import Notification, WebhookNotifier
from driftmon.config import NotifierSettings, ServerSettings
from driftmon.scheduler import run_context
from driftmon.windows import Window

# Called once per submitted notification: True when every notifier finished with it (sent or
# dead-lettered), False when at least one queue closed before trying.
Done = Callable[[bool], None]
# Asked before each delivery attempt: False leaves the notification in the outbox (not done).
KeepTrying = Callable[[], bool]

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


class _Countdown:
    """Reports a notification done once each of `n` queues has reported on it."""

    def __init__(self, n: int, done: Done) -> None:
        self._left = n
        self._finished = True
        self._done = done
        self._lock = threading.Lock()

    def __call__(self, finished: bool) -> None:
        with self._lock:
            self._left -= 1
            self._finished = self._finished and finished
            last = self._left == 0
        if last:
            self._done(self._finished)


class NotifierQueue:
    """One notifier's queue and the daemon thread that empties it."""

    def __init__(self, notifier: WebhookNotifier) -> None:
        self.notifier = notifier
        self._items: deque[tuple[Notification, Done, KeepTrying]] = deque()
        self._current: tuple[Notification, Done, KeepTrying] | None = None
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(
            target=self._deliver, name=f"driftmon-notify-{notifier.name}", daemon=True
        )
        self._thread.start()

    def put(self, notification: Notification, done: Done, keep_trying: KeepTrying) -> None:
        with self._cond:
            closing = self._closing
            if not closing:
                self._items.append((notification, done, keep_trying))
                self._cond.notify_all()
        if closing:
            done(False)

    def _deliver(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                if not self._items:
                    break
                self._current = self._items.popleft()
                item, done, keep_trying = self._current
            t = item.transition
            finished = True
            with run_context(item.monitor, Window(t.window_start, t.window_end)):
                try:
                    # Delivered, or dead-lettered after its retries, unless abandoned.
                    finished = not self.notifier.send(item, keep_trying).abandoned
                except Exception:
                    finished = False  # not even dead-lettered: it stays in the outbox
                    log.exception("notifier %s: delivery failed", self.notifier.name)
            with self._cond:
                self._current = None
                self._cond.notify_all()
            done(finished)
        self.notifier.close()  # closing, and nothing left to send (or to finish sending)

    def close(self, deadline: float) -> int:
        """Deliver what is queued until `deadline` (monotonic); return how many were left undone.

        What is left stays in the store's outbox. A notification cut off mid-delivery is
        reported by its sender thread when it returns, like any other.
        """
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            while (self._items or self._current is not None) and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            left = list(self._items)
            cut = self._current is not None
            self._items.clear()
        for _, done, _ in left:
            done(False)
        return len(left) + cut


class Notifications:
    """Every configured webhook, each fed by its own queue."""

    def __init__(self, notifiers: Sequence[WebhookNotifier] = ()) -> None:
        self._lock = threading.Lock()
        self._queues = [NotifierQueue(n) for n in notifiers]
        self._closed = False

    @property
    def configured(self) -> bool:
        """Whether there is any webhook to send to."""
        with self._lock:
            return bool(self._queues)

    def submit(self, notification: Notification, done: Done, keep_trying: KeepTrying = lambda: True) -> None:
        """Queue `notification` for every notifier; `done` is called once all are done with it."""
        with self._lock:
            queues = list(self._queues)
            closed = self._closed
        if closed or not queues:  # nowhere to send it (closed, or a reload removed every webhook)
            done(False)
            return
        countdown = _Countdown(len(queues), done)
        for queue in queues:
            queue.put(notification, countdown, keep_trying)

    def replace(self, notifiers: Sequence[WebhookNotifier]) -> None:
        """Use these notifiers from now on.

        The old queues give back what they had not started (reported not done: it stays in
        the outbox and goes to the new notifiers at the next poll); a delivery in progress
        finishes with the old settings, in its own thread.
        """
        with self._lock:
            old, self._queues = self._queues, [NotifierQueue(n) for n in notifiers]
        now = time.monotonic()
        for queue in old:
            queue.close(now)

    def close(self, grace: float) -> int:
        """Deliver what is queued within `grace` seconds; return how many were left undone."""
        deadline = time.monotonic() + grace
        with self._lock:
            queues, self._queues = self._queues, []
            self._closed = True
        return sum(q.close(deadline) for q in queues)
