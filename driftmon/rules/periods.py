"""How often a monitor completes a window, and Prometheus' duration syntax for the rules."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from driftmon.config import MonitorConfig
from driftmon.metrics import cron_interval_seconds


def success_period(monitor: MonitorConfig, now: datetime) -> timedelta:
    """Return the longest normal gap between two completed windows of `monitor`.

    With an interval schedule a new window completes every window size and is picked up on
    the next tick, so completions come every max(size, interval): a 5-minute tick over hourly
    windows still completes one window an hour. A cron schedule completes one window per
    fire, so its period is the longest gap between fires (a weekday schedule's weekend).
    Calendar windows complete once per window: their period is the longest window (31 days
    for a month, 92 for a quarter, 366 for a year), or the interval of a slower schedule.
    """
    if monitor.cron is not None:
        return timedelta(seconds=cron_interval_seconds(monitor.cron, now))
    interval = monitor.schedule_interval
    longest = monitor.window.longest
    return longest if interval is None else max(longest, interval)


def stale_after(monitor: MonitorConfig, now: datetime) -> timedelta:
    """Return how long a monitor may go without a completed window: two periods plus its run timeout."""
    return 2 * success_period(monitor, now) + monitor.timeout


_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def prometheus_duration(duration: timedelta) -> str:
    """Return `duration` in Prometheus' syntax (`2h5m`), rounded up to whole seconds."""
    seconds = math.ceil(duration.total_seconds())
    if seconds < 0:
        raise ValueError(f"a Prometheus duration cannot be negative, got {duration}")
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
