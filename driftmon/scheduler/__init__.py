"""driftmon.scheduler: run every monitor on its schedule with APScheduler 3.

`MonitorScheduler(monitors, sessions=..., settings=..., listener=..., clock=...)` keeps one job
per enabled monitor. Each tick runs the monitor's recent complete windows that the store does
not hold as done (start-up and after a pause: the missed ones, at most max_backfill_windows),
oldest first, each in its own thread bounded by the monitor's timeout; failed windows are
retried with backoff on later ticks. Its `worker.run_now` runs one window on request,
`stop(grace)` lets runs in flight finish. Log records made during a run carry its monitor and
window (`current_run()`), for structured logs.
"""

from __future__ import annotations

from driftmon.scheduler.context import current_run, run_context
from driftmon.scheduler.errors import MonitorBusyError, SchedulerStoppedError, WindowNotReadyError
from driftmon.scheduler.monitors import MonitorScheduler
from driftmon.scheduler.plan import plan_runs, recent_windows
from driftmon.scheduler.triggers import DelayedTrigger, misfire_grace_seconds, monitor_trigger, tick_interval
from driftmon.scheduler.worker import Clock, MonitorWorker, utc_now

__all__ = [
    "Clock",
    "DelayedTrigger",
    "MonitorBusyError",
    "MonitorScheduler",
    "MonitorWorker",
    "SchedulerStoppedError",
    "WindowNotReadyError",
    "current_run",
    "misfire_grace_seconds",
    "monitor_trigger",
    "plan_runs",
    "recent_windows",
    "run_context",
    "tick_interval",
    "utc_now",
]
