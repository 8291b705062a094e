"""APScheduler triggers: when each monitor ticks, and how late a tick may still run.

A tick is timed for the moment a window becomes complete (its end plus the monitor's delay
for late data): interval schedules are aligned to the Unix epoch shifted by the delay, a
cron schedule fires `delay` after each of its instants, and calendar or time-zone windows
without a schedule tick `delay` after each window end (once a month for `1mo`). What a tick
runs is decided from the store (see plan.py), so a tick that comes late, or not at all,
loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from driftmon.config import MonitorConfig, cron_trigger, format_duration
from driftmon.windows import EPOCH, next_window_end, window_ending_at


class DelayedTrigger(BaseTrigger):  # type: ignore[misc]
    """Fire `delay` after each fire time of another trigger."""

    def __init__(self, inner: BaseTrigger, delay: timedelta) -> None:
        self.inner = inner
        self.delay = delay

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """Return the inner trigger's next instant after `now - delay`, plus the delay."""
        previous = previous_fire_time - self.delay if previous_fire_time is not None else None
        fire: datetime | None = self.inner.get_next_fire_time(previous, now - self.delay)
        return None if fire is None else fire + self.delay

    def __str__(self) -> str:
        return f"{self.inner} + {format_duration(self.delay)}"


class WindowEndTrigger(BaseTrigger):  # type: ignore[misc]
    """Fire at each window end of a monitor (calendar boundaries: the 1st of each month for 1mo)."""

    def __init__(self, monitor: MonitorConfig) -> None:
        self.monitor = monitor

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """Return the first window end at or after `now`, or after `previous_fire_time` when given.

        As CronTrigger does: with a previous fire time, ends missed since then are returned too
        (APScheduler coalesces them), and the same instant never fires twice.
        """
        start = now.astimezone(UTC)
        if previous_fire_time is not None:
            start = previous_fire_time.astimezone(UTC) + timedelta(microseconds=1)
        end = window_ending_at(self.monitor, start).end
        return end if end >= start else next_window_end(self.monitor, start)

    def __str__(self) -> str:
        return f"window ends of {self.monitor.window.label}"


def periodic_trigger(every: timedelta, offset: timedelta = timedelta(0)) -> IntervalTrigger:
    """Return a trigger firing every `every`, at multiples of it since the Unix epoch plus `offset`."""
    return IntervalTrigger(seconds=every.total_seconds(), start_date=EPOCH + offset, timezone=UTC)


def monitor_trigger(monitor: MonitorConfig) -> BaseTrigger:
    """Return the trigger of a monitor's ticks: each schedule instant plus the delay for late data."""
    if monitor.cron is not None:
        return DelayedTrigger(cron_trigger(monitor.cron), monitor.window.delay)
    interval = monitor.schedule_interval
    if interval is None:  # calendar or time-zone windows without a schedule: one tick per window
        return DelayedTrigger(WindowEndTrigger(monitor), monitor.window.delay)
    return periodic_trigger(interval, monitor.window.delay)


def tick_interval(monitor: MonitorConfig, now: datetime) -> timedelta:
    """Return the time between two ticks (for cron and window-end ticks, the gap after the next one)."""
    interval = monitor.schedule_interval
    if interval is not None:
        return interval
    if monitor.cron is None:
        following = next_window_end(monitor, now)
        return next_window_end(monitor, following) - following
    trigger = cron_trigger(monitor.cron)
    first = trigger.get_next_fire_time(None, now.astimezone(UTC))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first is not None else None
    if first is None or second is None:
        return monitor.window.longest
    gap: timedelta = second - first
    return gap


def misfire_grace_seconds(interval: timedelta) -> int:
    """Return how late a tick may start and still run: one interval, so a coalesced tick always runs.

    APScheduler coalesces the ticks missed while the process was paused into the latest one, which
    is at most one interval old; a grace shorter than that could drop it and wait a whole interval.
    """
    return max(1, int(interval.total_seconds()))
