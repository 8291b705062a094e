"""backfill(): run every complete window of a range, oldest first, skipping windows already stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import MonitorConfig, as_utc
from driftmon.jobs.catchup import catch_up_windows, find_first_row
from driftmon.jobs.outcome import BackfillOutcome, RunOutcome
from driftmon.jobs.run import run_window
from driftmon.sources import Source, monitor_reader
from driftmon.store import DONE_STATUSES, stored_windows
from driftmon.windows import TimeRange, Window, is_complete, windows_between

# Called once per window of the range, in order: the window, and its run (None when skipped).
Progress = Callable[[Window, RunOutcome | None], None]


def backfill_windows(
    monitor: MonitorConfig, start: datetime, end: datetime, *, now: datetime
) -> tuple[list[Window], list[Window]]:
    """Return the windows inside [start, end) that are complete at `now`, and those that are not yet."""
    windows = windows_between(monitor, start, end)
    complete = [w for w in windows if is_complete(monitor, w, now)]
    return complete, [w for w in windows if not is_complete(monitor, w, now)]


def backfill(
    monitor: MonitorConfig,
    start: datetime,
    end: datetime,
    *,
    sessions: sessionmaker[Session],
    now: datetime | None = None,
    progress: Progress | None = None,
    source: Source | None = None,
    reference_source: Source | None = None,
    from_first_row: bool = False,
) -> BackfillOutcome:
    """Run each complete window inside [start, end), oldest first; windows already done are skipped.

    `now` (default: the current time, read per run) decides which windows are complete and stamps
    the runs.
    Windows whose run failed before are run again; windows not complete at `now` (still open, or
    inside the monitor's delay for late data) are left for later. One source serves every window.
    With `from_first_row`, windows that end before the source's first row in the range (or inside
    a reference range of the monitor's own data) are not run either (see jobs.catchup), except
    the newest; they are reported to `progress` as skipped.
    A store that cannot be read raises (there is nothing to backfill into); every other failure
    is reported per window in the outcome.
    """
    at = as_utc(now) if now is not None else datetime.now(UTC)
    windows, _ = backfill_windows(monitor, start, end, now=at)
    if not windows:
        return BackfillOutcome(monitor.name, ())
    with sessions() as session:
        stored = stored_windows(session, monitor.name, windows[0].start, windows[-1].end)
    runs: list[RunOutcome] = []
    skipped: list[Window] = []
    before: list[Window] = []
    with (
        monitor_reader(monitor, source) as live,
        monitor_reader(monitor, reference_source, reference=True) as reference,
    ):
        kept = set(windows)
        if from_first_row:
            first = find_first_row(monitor, TimeRange(windows[0].start, windows[-1].end), source=live)
            kept = set(catch_up_windows(monitor, windows, first))
        for window in windows:
            outcome = None
            if window not in kept:
                before.append(window)
            elif stored.get((window.start, window.end)) in DONE_STATUSES:
                skipped.append(window)
            else:
                outcome = run_window(
                    monitor, window, sessions=sessions, now=now, source=live, reference_source=reference
                )
                runs.append(outcome)
            if progress is not None:
                progress(window, outcome)
    return BackfillOutcome(monitor.name, tuple(windows), tuple(runs), tuple(skipped), tuple(before))
