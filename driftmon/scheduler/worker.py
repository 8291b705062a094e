"""MonitorWorker: the work of the scheduler's ticks, without the timer that calls them.

Each tick asks the store what to run (plan.py) and runs those windows oldest first, one at a
time, each in a thread bounded by the monitor's timeout (runner.py). It stops at the first
failed run: the failed window is retried with backoff on a later tick, and newer windows wait
for the source to come back rather than failing one after another. Nothing a run does can
stop the scheduler or another monitor: errors end up in the run's outcome, which goes to the
listener (metrics, notifiers). One run or refit per monitor at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig, SchedulerSettings, as_utc
from driftmon.errors import UnknownMonitorError, WindowError
from driftmon.jobs import BaselineSet, FirstRow, RunOutcome, active_baselines
from driftmon.jobs.errors import store_failure
from driftmon.scheduler.context import run_context
from driftmon.scheduler.errors import MonitorBusyError, SchedulerStoppedError, WindowNotReadyError
from driftmon.scheduler.first_rows import FirstRows
from driftmon.scheduler.plan import TAKEOVER_SLACK, Plan, plan_runs, recent_windows
from driftmon.scheduler.runner import Background, RunThread, timeout_outcome
from driftmon.scheduler.triggers import tick_interval
from driftmon.store import run_history
from driftmon.windows import (
    TimeRange,
    Window,
    describe,
    is_complete,
    latest_complete_window,
    next_window_end,
    window_ending_at,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class RunListener(Protocol):
    """What the scheduler reports: each run's outcome, and how far each monitor is behind."""

    def run_finished(self, monitor: MonitorConfig, outcome: RunOutcome) -> None: ...

    def windows_behind(self, monitor: MonitorConfig, count: int) -> None: ...


class MonitorWorker:
    """Tick, run on request, refit and stop; `clock` gives `now` for every decision and run."""

    def __init__(
        self,
        monitors: Sequence[MonitorConfig],
        *,
        sessions: sessionmaker[Session],
        settings: SchedulerSettings,
        listener: RunListener | None = None,
        clock: Clock = utc_now,
        first_rows: FirstRows | None = None,
        takeover_tick: Callable[[str, datetime], None] | None = None,
        notify: Callable[[], bool] = lambda: True,
    ) -> None:
        self.settings = settings
        # Whether runs queue their alert transitions' notifications (False: no webhook to send them).
        self._notify = notify
        # Called with (monitor, when) when a tick saw a window in progress elsewhere: tick again
        # then, so a window whose process died is taken over `takeover` after its claim.
        self._takeover_tick = takeover_tick
        self._first_rows = first_rows or FirstRows()
        self._sessions = sessions
        self._listener = listener
        self._clock = clock
        self._guard = threading.Lock()  # guards the dicts below and the start of new work
        self._monitors: dict[str, MonitorConfig] = {}
        self._locks: dict[str, threading.Lock] = {}  # one run (or refit) per monitor at a time
        self._work: dict[str, Background[Any]] = {}  # each monitor's latest run or refit
        self._missed: set[str] = set()  # monitors whose tick was skipped while a tick was running
        self._stopping = threading.Event()
        self.configure(monitors)

    # -- configuration -----------------------------------------------------------------------

    @property
    def monitors(self) -> tuple[MonitorConfig, ...]:
        """Return the scheduled monitors (the enabled ones), in configuration order."""
        with self._guard:
            return tuple(self._monitors.values())

    def monitor(self, name: str) -> MonitorConfig:
        """Return the scheduled monitor `name`, or raise UnknownMonitorError."""
        with self._guard:
            found = self._monitors.get(name)
            if found is None:
                raise UnknownMonitorError(name, list(self._monitors))
            return found

    def configure(self, monitors: Sequence[MonitorConfig]) -> tuple[list[str], list[str], list[str]]:
        """Work on exactly these monitors (disabled ones are dropped); return (added, changed, removed).

        A run in flight finishes with the settings it started with.
        """
        enabled = {m.name: m for m in monitors if m.enabled}
        with self._guard:
            old = self._monitors
            added = [n for n in enabled if n not in old]
            changed = [n for n in enabled if n in old and old[n].config_hash() != enabled[n].config_hash()]
            removed = [n for n in old if n not in enabled]
            self._monitors = enabled
            for name in enabled:
                self._locks.setdefault(name, threading.Lock())
        return added, changed, removed

    # -- work ----------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def plan(self, name: str) -> Plan:
        """Return what a tick of monitor `name` would run now (reads the store)."""
        monitor = self.monitor(name)
        now = as_utc(self._clock())
        lookback = max(1, self.settings.max_backfill_windows)
        with self._sessions() as session:
            stored = run_history(session, name, limit=2 * lookback + 10, before=now)

        def plan(first_row: FirstRow | None) -> Plan:
            return plan_runs(
                monitor,
                stored,
                now,
                lookback=lookback,
                interval=tick_interval(monitor, now),
                stale_after=monitor.takeover,
                first_row=first_row,
            )

        found = plan(None)
        if len(found.due) < 2:
            return found
        # Catching up: windows before the source's first row are not run (see jobs.catchup). The
        # first row is looked for over the whole look-back: a window older than the due ones (in
        # progress elsewhere, or waiting out a backoff) may be due on a later tick.
        recent = recent_windows(monitor, now, lookback)
        within = TimeRange(recent[0].start, recent[-1].end)
        return plan(self._first_rows.get(monitor, within))

    def tick(self, name: str) -> list[RunOutcome]:
        """Run the windows of monitor `name` that are due, oldest first; stop at the first failure."""
        try:
            monitor = self.monitor(name)
        except UnknownMonitorError:
            return []  # removed by a reload after this tick was queued
        lock = self._locks[name]
        if not lock.acquire(blocking=False):
            with self._guard:
                self._missed.add(name)
            log.info("monitor %s: tick skipped, a run or refit is in progress; ticking after it", name)
            return []
        outcomes: list[RunOutcome] = []
        try:
            while True:
                with run_context(name):
                    outcomes += self._tick(monitor)
                # A tick skipped meanwhile (a takeover tick, say) is made up for now, with a
                # fresh plan, rather than at the next regular tick.
                with self._guard:
                    if name not in self._missed or self._stopping.is_set():
                        return outcomes
                    self._missed.discard(name)
                monitor = self.monitor(name)
        except UnknownMonitorError:
            return outcomes  # removed by a reload meanwhile
        except Exception:
            log.exception("monitor %s: tick failed", name)
            return outcomes
        finally:
            self._release(name, lock)

    def _tick(self, monitor: MonitorConfig) -> list[RunOutcome]:
        name = monitor.name
        if self._still_working(name):
            return []
        try:
            plan = self.plan(name)
        except Exception as exc:
            reason = store_failure(exc)
            if reason is None:
                raise
            log.error("monitor %s: cannot read its runs from the store: %s", name, reason)
            return []
        if plan.takeover_at is not None:
            self._tick_at(name, plan.takeover_at)
        behind = plan.behind
        self._notify_behind(monitor, behind)
        if len(plan.due) > 1:
            log.info("monitor %s: catching up %d windows", name, len(plan.due))
        outcomes = []
        for window in plan.due:
            outcome = self._run(monitor, window)
            if outcome is None:
                break  # stopping
            outcomes.append(outcome)
            if outcome.skipped == "in_progress":  # another process claimed it since the plan
                self._tick_at(name, outcome.started_at + monitor.takeover + TAKEOVER_SLACK)
            if outcome.status == "failed":
                log.warning("monitor %s window %s: failed; retried on a later tick", name, describe(window))
                break
            behind -= 1
            self._notify_behind(monitor, behind)
        return outcomes

    def run_now(self, name: str, window_end: datetime | None = None) -> RunOutcome:
        """Run one window of monitor `name` at once (default: the latest complete one) and return it.

        Raises UnknownMonitorError, WindowError (not a window boundary), WindowNotReadyError,
        MonitorBusyError or SchedulerStoppedError. A window already stored comes back as stored.
        """
        monitor = self.monitor(name)
        if self._stopping.is_set():
            raise SchedulerStoppedError()
        now = as_utc(self._clock())
        window = self._window(monitor, window_end, now)
        lock = self._locks[name]
        if not lock.acquire(blocking=False):
            raise MonitorBusyError(name, "a scheduled run or refit is in progress")
        try:
            if self._still_working(name):
                raise MonitorBusyError(name, "a run that outlived its timeout has not ended yet")
            with run_context(name, window):
                outcome = self._run(monitor, window, now=now)
            if outcome is None:
                raise SchedulerStoppedError()
            self.report_behind(name)
            return outcome
        finally:
            self._release(name, lock)

    def report_behind(self, name: str) -> None:
        """Tell the listener how many complete windows of monitor `name` are not done.

        Ticks report it as they go; this covers the times no tick runs: a start without catch-up
        and a run on request. Nothing is reported if the store cannot be read.
        """
        try:
            monitor = self.monitor(name)
            behind = self.plan(name).behind
        except UnknownMonitorError:
            return
        except Exception as exc:
            reason = store_failure(exc)
            if reason is None:
                raise
            log.error("monitor %s: cannot read its runs from the store: %s", name, reason)
            return
        self._notify_behind(monitor, behind)

    def refit(self, name: str) -> BaselineSet | None:
        """Refit monitor `name`'s rolling reference if its period has moved on (runs also do this)."""
        try:
            monitor = self.monitor(name)
        except UnknownMonitorError:
            return None
        lock = self._locks[name]
        if not lock.acquire(blocking=False):
            return None  # the run in progress refits when due
        try:
            if self._still_working(name):
                return None
            now = as_utc(self._clock())

            def fit() -> BaselineSet:
                return active_baselines(monitor, sessions=self._sessions, now=now)

            call = self._start(name, Background(f"monitor {name} baseline refit", fit, name))
            if call is None or not call.wait(monitor.timeout.total_seconds()):
                if call is not None and call.alive and not self._stopping.is_set():
                    log.error("monitor %s: baseline refit still running after the monitor's timeout", name)
                return None
            found: BaselineSet | None = call.result
            if found is not None:
                for fitted in found.fitted:
                    log.info("monitor %s: column %r baseline v%d fitted", name, fitted.column, fitted.version)
                for column, error in found.errors.items():
                    log.error("monitor %s: column %r: %s", name, column, error)
            return found
        finally:
            self._release(name, lock)

    def _release(self, name: str, lock: threading.Lock) -> None:
        """Release a monitor's lock; a tick skipped while it was held (by a run_now, a refit, or
        just before a tick let go) is scheduled again at once instead of waiting for the next one."""
        lock.release()
        with self._guard:
            if name not in self._missed or self._stopping.is_set():
                return
            self._missed.discard(name)
        self._tick_at(name, as_utc(self._clock()))

    def stop(self, grace: float) -> list[str]:
        """Start nothing new, let work in flight finish within `grace` seconds; return what was cut off."""
        with self._guard:
            self._stopping.set()
            work = [w for w in self._work.values() if w.alive]
        if work:
            log.info("stopping: waiting up to %gs for %d runs in flight", grace, len(work))
        deadline = time.monotonic() + grace
        for item in work:
            item.join(deadline - time.monotonic())
        cut = [w for w in work if w.alive]
        for item in cut:
            item.cut_short()
            log.warning("stopping: %s cut off after the %gs grace; it will be run again", item, grace)
        return [str(w) for w in cut]

    def active(self) -> list[str]:
        """Describe the runs and refits in flight."""
        with self._guard:
            return [str(w) for w in self._work.values() if w.alive]

    # -- internals -------------------------------------------------------------------------

    def _window(self, monitor: MonitorConfig, window_end: datetime | None, now: datetime) -> Window:
        if window_end is None:
            return latest_complete_window(monitor, now)
        end = as_utc(window_end)
        window = window_ending_at(monitor, end)
        if window.end != end:
            later = next_window_end(monitor, window.end)
            raise WindowError(
                f"window end {end.isoformat()} is not a window boundary of monitor {monitor.name!r} "
                f"({monitor.window.label} windows); the nearest are "
                f"{window.end.isoformat()} and {later.isoformat()}"
            )
        if not is_complete(monitor, window, now):
            raise WindowNotReadyError(monitor.name, str(window), window.end + monitor.window.delay)
        return window

    def _start(self, name: str, work: Background[Any]) -> Background[Any] | None:
        with self._guard:
            if self._stopping.is_set():
                return None
            self._work[name] = work
            return work.start()

    def _still_working(self, name: str) -> bool:
        with self._guard:
            work = self._work.get(name)
        if work is None or not work.alive:
            return False
        log.warning("%s outlived its timeout and is still running; the monitor waits for it", work)
        return True

    def _run(
        self, monitor: MonitorConfig, window: Window, *, now: datetime | None = None
    ) -> RunOutcome | None:
        """Run one window in its own thread, wait up to the monitor's timeout, report the outcome."""
        at = now if now is not None else as_utc(self._clock())
        run = RunThread(monitor, window, sessions=self._sessions, now=at, notify=self._notify())
        if self._start(monitor.name, run) is None:
            return None
        run.wait(monitor.timeout.total_seconds())
        outcome = run.outcome()
        if outcome is None:
            if self._stopping.is_set():
                return None  # cut off by the stop; the claim is taken over once stale
            outcome = timeout_outcome(run, self._sessions, self._clock)
        if outcome.skipped is None and self._listener is not None:
            try:
                self._listener.run_finished(monitor, outcome)
            except Exception:
                log.exception("%s: reporting the run failed", run)
        return outcome

    def _tick_at(self, name: str, at: datetime) -> None:
        if self._takeover_tick is None:
            return
        try:
            self._takeover_tick(name, at)
        except Exception:
            log.exception("monitor %s: scheduling the takeover tick failed", name)

    def _notify_behind(self, monitor: MonitorConfig, count: int) -> None:
        if self._listener is None:
            return
        try:
            self._listener.windows_behind(monitor, max(0, count))
        except Exception:
            log.exception("monitor %s: reporting windows behind failed", monitor.name)
