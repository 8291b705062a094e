"""Runs and refits in threads of their own, bounded by the monitor's timeout.

Work happens in a daemon thread so that a source that hangs (a stuck network mount, a query
that ignores cancellation) cannot hold a worker of the pool, or the process at exit, forever.
After the monitor's timeout the worker stops waiting and fails the run in the store, fenced
like any finish by the claim's attempt number, so the late thread's own finish is refused and
nothing it computed is written. The thread is left to end on its own; until it does, its
monitor starts no new work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig, format_duration
from driftmon.jobs import RunOutcome, run_window
from driftmon.jobs.errors import store_failure
from driftmon.scheduler.context import run_context
from driftmon.store import Claim, RunNotClaimedError, finish_run, run_history
from driftmon.windows import Window, describe

log = logging.getLogger(__name__)
T = TypeVar("T")


class Background(Generic[T]):
    """Call `fn` in a daemon thread tagged with a monitor (and window) for logs; wait with a bound."""

    def __init__(self, what: str, fn: Callable[[], T], monitor: str, window: Window | None = None) -> None:
        self.what = what
        self.started = time.monotonic()
        self.result: T | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._wake = threading.Event()  # set when done, or when the waiter is cut short

        def target() -> None:
            with run_context(monitor, window):
                try:
                    self.result = fn()
                except BaseException as exc:
                    self.error = exc
                    log.exception("%s crashed", what)
                finally:
                    self._done.set()
                    self._wake.set()

        self._thread = threading.Thread(target=target, name=f"driftmon-{monitor}", daemon=True)

    def __str__(self) -> str:
        return self.what

    def start(self) -> Background[T]:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return not self._done.is_set()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds, or until cut short; tell whether the call has finished."""
        self._wake.wait(max(0.0, timeout))
        return self._done.is_set()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the call to finish, whatever else happens."""
        return self._done.wait(max(0.0, timeout))

    def cut_short(self) -> None:
        """Wake whoever waits in `wait` (the process is stopping)."""
        self._wake.set()


class RunThread(Background[RunOutcome]):
    """One window of one monitor, run by jobs.run_window with the given `now`."""

    def __init__(
        self,
        monitor: MonitorConfig,
        window: Window,
        *,
        sessions: sessionmaker[Session],
        now: datetime,
        notify: bool = True,
    ) -> None:
        self.monitor = monitor
        self.window = window
        self.now = now

        def run() -> RunOutcome:
            return run_window(monitor, window, sessions=sessions, now=now, notify=notify)

        super().__init__(f"monitor {monitor.name} window {describe(window)}", run, monitor.name, window)

    def outcome(self) -> RunOutcome | None:
        """Return the run's outcome once finished (a crash becomes a failed, unstored outcome)."""
        if self.alive:
            return None
        if self.result is not None:
            return self.result
        error = self.error or RuntimeError("no outcome")
        return RunOutcome(
            self.monitor.name,
            self.window,
            "failed",
            self.now,
            self.elapsed,
            stored=False,
            error=f"internal error: {type(error).__name__}: {error}",
        )


def timeout_outcome(
    run: RunThread, sessions: sessionmaker[Session], clock: Callable[[], datetime]
) -> RunOutcome:
    """Fail a run that outlived its monitor's timeout, in the store if it holds the claim, and say so."""
    monitor, window = run.monitor, run.window
    elapsed = run.elapsed
    error = (
        f"timed out: the run took longer than the monitor's timeout of {format_duration(monitor.timeout)}; "
        "anything it computes later is discarded"
    )
    finished = clock()
    record = None
    try:
        with sessions() as session, session.begin():
            for stored in run_history(session, monitor.name, limit=5, before=window.end):
                same = (stored.window_start, stored.window_end) == (window.start, window.end)
                if same and stored.status == "running" and stored.started_at == run.now:
                    claim = Claim(stored, claimed=True)
                    record = finish_run(session, claim, status="failed", finished_at=finished, error=error)
                    break
    except RunNotClaimedError:
        pass  # the run finished between the timeout and this write
    except Exception as exc:
        reason = store_failure(exc)
        if reason is None:
            raise
        error += f" (not recorded: store: {reason})"
    if record is None and run.join(timeout=1.0):
        late = run.outcome()
        if late is not None:
            return late  # it finished after all: its outcome stands
    log.error("%s: %s", run, error)
    return RunOutcome(
        monitor.name,
        window,
        "failed",
        run.now,
        elapsed,
        run_id=record.id if record else None,
        attempt=record.attempts if record else None,
        finished_at=finished if record else run.now + timedelta(seconds=elapsed),
        stored=record is not None,
        error=error,
    )
