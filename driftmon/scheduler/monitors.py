"""MonitorScheduler: the MonitorWorker's ticks on APScheduler timers, one job per monitor.

Jobs live in APScheduler's in-memory store, rebuilt from the configuration at every start
(nothing is pickled), with `coalesce`, `max_instances=1` and a misfire grace of one interval,
on a pool of `max_workers` threads. Monitors with a rolling reference get a second job that
refits it on its schedule. Other periodic jobs (database checks, following the store,
retention) can be added; they run on a small pool of their own, so they never wait for a
worker that a tick holds while its run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig, SchedulerSettings
from driftmon.scheduler.triggers import (
    misfire_grace_seconds,
    monitor_trigger,
    periodic_trigger,
    tick_interval,
)
from driftmon.scheduler.worker import Clock, MonitorWorker, RunListener, utc_now

log = logging.getLogger(__name__)

# The periodic jobs' own threads (the service has three: database check, store follower,
# retention), apart from the `max_workers` that monitor ticks hold while their runs go on.
_PERIODIC_EXECUTOR = "periodic"
_PERIODIC_WORKERS = 4


def _monitor_job(name: str) -> str:
    return f"monitor:{name}"


def _refit_job(name: str) -> str:
    return f"refit:{name}"


def _takeover_job(name: str, at: datetime) -> str:
    # One job per instant: a one-off job is removed after it fires, and a single id reused
    # from inside its own tick could be removed along with it.
    return f"takeover:{name}@{at.isoformat()}"


class MonitorScheduler:
    """Run every enabled monitor on its schedule; catch up, retry, time out and stop cleanly."""

    def __init__(
        self,
        monitors: Sequence[MonitorConfig],
        *,
        sessions: sessionmaker[Session],
        settings: SchedulerSettings | None = None,
        listener: RunListener | None = None,
        clock: Clock = utc_now,
        notify: Callable[[], bool] = lambda: True,
    ) -> None:
        self.settings = settings or SchedulerSettings()
        self.worker = MonitorWorker(
            monitors,
            sessions=sessions,
            settings=self.settings,
            listener=listener,
            clock=clock,
            takeover_tick=self._takeover_tick,
            notify=notify,
        )
        self._aps: BackgroundScheduler | None = None
        self._periodic: dict[str, tuple[Callable[[], object], timedelta]] = {}

    @property
    def running(self) -> bool:
        """Tell whether the scheduler is started and not stopping."""
        return self._aps is not None and self._aps.running and not self.worker.stopping

    def configure(self, monitors: Sequence[MonitorConfig]) -> tuple[list[str], list[str], list[str]]:
        """Schedule exactly these monitors; return (added, changed, removed) names.

        New and changed monitors tick at once, so a reload catches them up immediately.
        """
        added, changed, removed = self.worker.configure(monitors)
        aps = self._aps
        if aps is not None and aps.running:
            for name in removed:
                own = (_monitor_job(name), _refit_job(name), f"catch-up:{name}")
                for job in aps.get_jobs():
                    if job.id in own or job.id.startswith(f"takeover:{name}@"):
                        job.remove()
            for monitor in self.worker.monitors:
                if monitor.name in added or monitor.name in changed:
                    self._schedule(aps, monitor, immediately=True)
        return added, changed, removed

    def add_periodic(self, job_id: str, fn: Callable[[], object], every: timedelta) -> None:
        """Call `fn` every `every` (at multiples of it since the epoch); errors are logged."""
        self._periodic[job_id] = (fn, every)
        if self._aps is not None and self._aps.running:
            self._schedule_periodic(self._aps, job_id)

    def start(self, *, catch_up: bool = True) -> None:
        """Start ticking; with `catch_up` every monitor ticks at once (the start-up backfill)."""
        if self._aps is not None:
            raise RuntimeError("the scheduler was started already; build a new one to start again")
        aps = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={
                "default": ThreadPoolExecutor(self.settings.max_workers),
                _PERIODIC_EXECUTOR: ThreadPoolExecutor(_PERIODIC_WORKERS),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        for monitor in self.worker.monitors:
            self._schedule(aps, monitor, immediately=catch_up)
            if not catch_up:
                self.worker.report_behind(monitor.name)  # no tick reports it until the first one
        for job_id in self._periodic:
            self._schedule_periodic(aps, job_id)
        self._aps = aps  # before it starts: its first ticks may schedule takeover ticks
        aps.start()
        log.info(
            "scheduler started: %d monitors, %d workers, %s at most %d windows per monitor",
            len(self.worker.monitors),
            self.settings.max_workers,
            "catching up" if catch_up else "no start-up catch-up; the first scheduled ticks catch up",
            self.settings.max_backfill_windows,
        )

    def next_ticks(self) -> dict[str, datetime | None]:
        """Return each monitor's next tick (None when not started, or stopped)."""
        aps = self._aps
        ticking = aps is not None and aps.running
        out: dict[str, datetime | None] = {}
        for monitor in self.worker.monitors:
            job = aps.get_job(_monitor_job(monitor.name)) if ticking and aps is not None else None
            out[monitor.name] = getattr(job, "next_run_time", None)
        return out

    def stop(self, grace: float | None = None) -> list[str]:
        """Start nothing new, let runs in flight finish within `grace` seconds; return what was cut off.

        The default grace is the configured shutdown_grace. A run cut off is not half-written:
        its claim stays `running` with no results and is taken over once stale.
        """
        seconds = self.settings.shutdown_grace.total_seconds() if grace is None else grace
        if self._aps is not None and self._aps.running:
            # Removing the jobs first waits for APScheduler to finish submitting due ones: its
            # shutdown() marks the scheduler stopped before taking that lock, and a one-off
            # catch-up job removed after the mark raises JobLookupError in APScheduler's thread.
            self._aps.remove_all_jobs()
            self._aps.shutdown(wait=False)
        return self.worker.stop(seconds)

    def _catch_up(self, aps: BackgroundScheduler, name: str) -> None:
        # A one-off tick of its own: moving the regular job's next run to now would shift an
        # interval trigger's whole schedule off its alignment with the window ends.
        aps.add_job(
            self.worker.tick,
            DateTrigger(utc_now(), timezone=UTC),
            args=[name],
            id=f"catch-up:{name}",
            name=f"monitor {name} catch-up",
            misfire_grace_time=None,
            replace_existing=True,
        )

    def _takeover_tick(self, name: str, at: datetime) -> None:
        """Tick monitor `name` once at `at`, when a window running elsewhere may be taken over."""
        aps = self._aps
        if aps is None or self.worker.stopping:
            return
        aps.add_job(
            self.worker.tick,
            DateTrigger(at, timezone=UTC),
            args=[name],
            id=_takeover_job(name, at),
            name=f"monitor {name} takeover",
            misfire_grace_time=None,
            replace_existing=True,
        )

    def _schedule(self, aps: BackgroundScheduler, monitor: MonitorConfig, *, immediately: bool) -> None:
        interval = tick_interval(monitor, utc_now())
        if immediately:
            self._catch_up(aps, monitor.name)
        aps.add_job(
            self.worker.tick,
            monitor_trigger(monitor),
            args=[monitor.name],
            id=_monitor_job(monitor.name),
            name=f"monitor {monitor.name}",
            misfire_grace_time=misfire_grace_seconds(interval),
            replace_existing=True,
        )
        every = monitor.reference.refit_interval
        if every is not None:
            aps.add_job(
                self.worker.refit,
                periodic_trigger(every, monitor.window.delay),
                args=[monitor.name],
                id=_refit_job(monitor.name),
                name=f"monitor {monitor.name} baseline refit",
                misfire_grace_time=misfire_grace_seconds(every),
                replace_existing=True,
            )
        elif aps.get_job(_refit_job(monitor.name)) is not None:
            aps.remove_job(_refit_job(monitor.name))

    def _schedule_periodic(self, aps: BackgroundScheduler, job_id: str) -> None:
        fn, every = self._periodic[job_id]

        def call() -> None:
            try:
                fn()
            except Exception:
                log.exception("periodic job %s failed", job_id)

        aps.add_job(
            call,
            periodic_trigger(every),
            id=f"periodic:{job_id}",
            name=job_id,
            executor=_PERIODIC_EXECUTOR,
            misfire_grace_time=misfire_grace_seconds(every),
            replace_existing=True,
        )
