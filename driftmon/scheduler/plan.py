"""Which windows a tick runs: the recent complete windows that are not done, oldest first.

Every tick looks back over the monitor's last `lookback` complete windows (the scheduler's
`max_backfill_windows`, at least the newest one) and runs those the store does not hold as
done. The same rule covers start-up, a process that was paused or down (its missed windows
are still in the look-back), and retries: a failed window waits out a backoff that doubles
with each failed attempt (one tick, two, four... at most an hour) and is then run again
on the next tick. The state lives in the store (attempts and start time of the last attempt),
so a restart neither forgets a backoff nor retries early. A window `running` for longer than
`stale_after` (the monitor's `takeover`) lost its worker (a killed process) and is taken over;
the plan says when the first window running elsewhere will be, so that the scheduler can tick
again then rather than at its next regular tick. Windows older than the
look-back are left alone: `driftmon backfill` fills such gaps on request.

Windows of the look-back that end before the source's first row, or inside a reference range
of the monitor's own data, are not run (and not counted as behind): see jobs.catchup. The
newest window is always run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from driftmon.config import MonitorConfig
from driftmon.jobs import FirstRow, catch_up_windows
from driftmon.store import DONE_STATUSES, RunRecord
from driftmon.windows import Window, latest_complete_window, window_ending_at

# The longest wait between two attempts at a failed window (but never less than one tick).
MAX_BACKOFF = timedelta(hours=1)
_SECOND = timedelta(seconds=1)
# A claim is stale strictly after started_at + stale_after: a tick at the instant would not see it.
TAKEOVER_SLACK = timedelta(milliseconds=10)


def backoff(attempts: int, interval: timedelta) -> timedelta:
    """Return the wait after `attempts` failed attempts: interval * 2**(attempts-1), capped."""
    doubled = interval * (1 << min(max(attempts, 1) - 1, 20))
    return min(doubled, max(MAX_BACKOFF, interval))


def retry_at(run: RunRecord, interval: timedelta) -> datetime:
    """Return when a failed run may be tried again.

    Half a tick of slack: the next tick comes slightly less than one interval after the
    attempt started (the attempt starts a little after its tick), and must still qualify.
    """
    return run.started_at + backoff(run.attempts, interval) - interval / 2


@dataclass(frozen=True)
class Plan:
    """A monitor's windows as one tick sees them."""

    due: tuple[Window, ...]  # run now, oldest first
    behind: int  # complete windows of the look-back that are not done
    takeover_at: datetime | None = None  # when the first window in progress elsewhere turns stale


def recent_windows(monitor: MonitorConfig, now: datetime, count: int) -> list[Window]:
    """Return the monitor's `count` newest complete windows at `now`, oldest first."""
    if count < 1:
        return []
    latest = latest_complete_window(monitor, now)
    size = monitor.uniform_window  # None: cron or calendar windows, stepped back one by one
    if size is not None:
        return [Window(latest.start - k * size, latest.end - k * size) for k in range(count - 1, -1, -1)]
    windows = [latest]
    while len(windows) < count:
        windows.append(window_ending_at(monitor, windows[-1].end - _SECOND))
    return windows[::-1]


def plan_runs(
    monitor: MonitorConfig,
    stored: Iterable[RunRecord],
    now: datetime,
    *,
    lookback: int,
    interval: timedelta,
    stale_after: timedelta,
    first_row: FirstRow | None = None,
) -> Plan:
    """Decide which of the monitor's recent windows to run at `now`, given its stored runs.

    `first_row` (the source's first row in the look-back, if known) drops the older windows
    that hold no data yet.
    """
    runs = {(r.window_start, r.window_end): r for r in stored}
    due: list[Window] = []
    stale_at: list[datetime] = []  # of the windows running elsewhere
    behind = 0
    for window in catch_up_windows(monitor, recent_windows(monitor, now, max(1, lookback)), first_row):
        run = runs.get((window.start, window.end))
        if run is not None and run.status in DONE_STATUSES:
            continue
        behind += 1
        if run is None:
            due.append(window)
        elif run.status == "running":
            if run.started_at < now - stale_after:
                due.append(window)
            else:
                stale_at.append(run.started_at + stale_after + TAKEOVER_SLACK)
        elif retry_at(run, interval) <= now:  # failed, and its backoff is over
            due.append(window)
    return Plan(tuple(due), behind, min(stale_at, default=None))
