"""Window arithmetic: tumbling windows [start, end) of UTC instants, complete once `delay` has passed.

With an interval schedule (or none) fixed-size windows are aligned to the window size counted
from the Unix epoch: 1h windows start on the hour, 1d windows at 00:00 UTC, 7d windows on
Thursdays (1970-01-01 was one). With a cron schedule each window ends at a cron instant and is
`size` long, so `0 6 * * *` with size 1d gives days that start at 06:00 UTC. Calendar sizes
(`1mo`, `1q`, `1y`) and windows given a `timezone` follow a CalendarGrid instead: months,
quarters, years or days starting at local midnight, so their lengths vary (28 to 31 days,
23 or 25 hours across a daylight-saving change).

Every function is pure: the caller passes `now`. Naive datetimes are read as UTC everywhere
(`datetime(2024, 5, 1, 12)` is 12:00 UTC), and every datetime returned is aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from driftmon.config import MonitorConfig, as_utc, cron_trigger, format_duration
from driftmon.errors import WindowError

__all__ = [
    "EPOCH",
    "Span",
    "TimeRange",
    "Window",
    "describe",
    "is_complete",
    "iter_windows_between",
    "latest_complete_window",
    "next_window_end",
    "overlap_warning",
    "reference_overlap",
    "reference_range",
    "window_ending_at",
    "windows_between",
    "windows_ending_by",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A cron expression that has not fired within this long before a time is treated as never firing.
_CRON_LOOKBACK = timedelta(days=366 * 8)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, order=True)
class Window:
    """A half-open UTC interval [start, end): a row at exactly `end` belongs to the next window."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start))
        object.__setattr__(self, "end", as_utc(self.end))
        if not self.start < self.end:
            raise WindowError(
                f"window end {self.end.isoformat()} is not after its start {self.start.isoformat()}"
            )

    @property
    def size(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= as_utc(moment) < self.end

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@dataclass(frozen=True)
class TimeRange:
    """A half-open UTC interval whose bounds may be open (None): a reference without a start."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None:
            object.__setattr__(self, "start", as_utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", as_utc(self.end))
        if self.start is not None and self.end is not None and not self.start < self.end:
            raise WindowError(
                f"range end {self.end.isoformat()} is not after its start {self.start.isoformat()}"
            )

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else "-inf"
        end = self.end.isoformat() if self.end else "+inf"
        return f"[{start}, {end})"


# What sources accept as a time filter: a window, or a range with optional bounds.
Span = Window | TimeRange


def _floor(moment: datetime, size: timedelta) -> datetime:
    steps = (as_utc(moment) - EPOCH) // size
    return EPOCH + steps * size


def _last_fire_at_or_before(cron: str, moment: datetime) -> datetime:
    """Return the latest instant of `cron` at or before `moment`."""
    target = as_utc(moment).replace(microsecond=0)  # cron instants are whole seconds
    trigger = cron_trigger(cron, end_date=target)

    def next_fire(after: datetime) -> datetime | None:
        fire: datetime | None = trigger.get_next_fire_time(None, after)
        return fire.astimezone(UTC) if fire is not None else None

    span = timedelta(minutes=1)
    low = target - span
    fire = next_fire(low)
    while fire is None or fire > target:  # widen the search until a fire lands in [low, target]
        if span > _CRON_LOOKBACK:
            raise WindowError(
                f"cron expression {cron!r} does not fire in the 8 years before {target.isoformat()}"
            )
        span *= 2
        low = target - span
        fire = next_fire(low)
    # Bisect on whole seconds: the largest `low` whose next fire is still <= target.
    lo, hi = 0, int((target - low).total_seconds())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        candidate = next_fire(low + timedelta(seconds=mid))
        if candidate is not None and candidate <= target:
            lo = mid
        else:
            hi = mid - 1
    last = next_fire(low + timedelta(seconds=lo))
    assert last is not None
    return last


def _fixed_size(monitor: MonitorConfig) -> timedelta:
    size = monitor.window.size
    assert isinstance(size, timedelta)  # a monitor without a calendar grid has fixed-size windows
    return size


def window_ending_at(monitor: MonitorConfig, moment: datetime) -> Window:
    """Return the window whose end is the last window boundary at or before `moment` (no delay)."""
    grid = monitor.window.grid
    if grid is not None:
        index = grid.index(as_utc(moment))
        return Window(grid.boundary(index - 1), grid.boundary(index))
    size = _fixed_size(monitor)
    end = _last_fire_at_or_before(monitor.cron, moment) if monitor.cron else _floor(moment, size)
    return Window(end - size, end)


def next_window_end(monitor: MonitorConfig, moment: datetime) -> datetime:
    """Return the first window boundary strictly after `moment`."""
    moment = as_utc(moment)
    grid = monitor.window.grid
    if grid is not None:
        return grid.boundary(grid.index(moment) + 1)
    if monitor.cron is None:
        size = _fixed_size(monitor)
        return _floor(moment, size) + size
    fire = cron_trigger(monitor.cron).get_next_fire_time(None, moment.replace(microsecond=0) + _SECOND)
    if fire is None:
        raise WindowError(f"cron expression {monitor.cron!r} does not fire after {moment.isoformat()}")
    return as_utc(fire)


def latest_complete_window(monitor: MonitorConfig, now: datetime) -> Window:
    """Return the newest window that closed at least `delay` before `now`."""
    return window_ending_at(monitor, as_utc(now) - monitor.window.delay)


def is_complete(monitor: MonitorConfig, window: Window, now: datetime) -> bool:
    """Tell whether `window` has closed and its delay for late data has passed at `now`."""
    return window.end + monitor.window.delay <= as_utc(now)


def windows_ending_by(monitor: MonitorConfig, moment: datetime, count: int) -> list[Window]:
    """Return, oldest first, the `count` windows that end at or before `moment` (the newest ones)."""
    if count < 1:
        return []
    newest = window_ending_at(monitor, moment)
    size = monitor.uniform_window
    if size is not None:
        return [Window(newest.start - k * size, newest.end - k * size) for k in range(count - 1, -1, -1)]
    grid = monitor.window.grid
    if grid is not None:
        last = grid.index(newest.end)
        return [Window(grid.boundary(i - 1), grid.boundary(i)) for i in range(last - count + 1, last + 1)]
    windows = [newest]
    while len(windows) < count:  # cron: step back through its instants
        windows.append(window_ending_at(monitor, windows[-1].end - _SECOND))
    return windows[::-1]


def iter_windows_between(monitor: MonitorConfig, start: datetime, end: datetime) -> Iterator[Window]:
    """Yield, oldest first, the windows that lie entirely inside [start, end)."""
    start, end = as_utc(start), as_utc(end)
    if not start < end:
        raise WindowError(f"range end {end.isoformat()} is not after its start {start.isoformat()}")
    grid = monitor.window.grid
    if grid is not None:
        index = grid.index(start)
        if grid.boundary(index) < start:
            index += 1
        while (following := grid.boundary(index + 1)) <= end:
            yield Window(grid.boundary(index), following)
            index += 1
        return
    size = _fixed_size(monitor)
    if monitor.cron is None:
        first = _floor(start, size)
        if first < start:
            first += size
        while first + size <= end:
            yield Window(first, first + size)
            first += size
        return
    trigger = cron_trigger(monitor.cron, end_date=end)
    fire = trigger.get_next_fire_time(None, start + size)
    while fire is not None and fire <= end:
        fire = fire.astimezone(UTC)
        yield Window(fire - size, fire)
        fire = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))


def windows_between(monitor: MonitorConfig, start: datetime, end: datetime) -> list[Window]:
    """Return, oldest first, the windows that lie entirely inside [start, end)."""
    return list(iter_windows_between(monitor, start, end))


def reference_overlap(monitor: MonitorConfig, window: Window) -> TimeRange | None:
    """Return the reference period if `window` overlaps it, else None.

    Only a fixed reference counts: a period of the monitor's own data. Rows inside both are
    compared with themselves, which understates drift. A reference of other data (a table,
    query or path) cannot overlap, and a rolling one moves ahead of the windows it scores.
    """
    ref = monitor.reference
    if ref.mode != "fixed":
        return None
    span = TimeRange(ref.start, ref.end)
    if (span.start is None or span.start < window.end) and (span.end is None or window.start < span.end):
        return span
    return None


def overlap_warning(monitor: MonitorConfig, window: Window) -> str | None:
    """Return the warning for a window that overlaps its monitor's reference period, or None."""
    span = reference_overlap(monitor, window)
    if span is None:
        return None
    return (
        f"monitor {monitor.name!r}: window {window} overlaps its reference period {span}; "
        "rows in both are compared with themselves, so drift is understated"
    )


def reference_range(monitor: MonitorConfig, now: datetime) -> TimeRange:
    """Return the time range the monitor's reference covers when fitted at `now`.

    Fixed and separate references return their configured bounds (either may be open). A rolling
    reference covers `previous` up to the last refit boundary (a multiple of `refit_every` since
    the epoch) that is at least `delay` old, so a refit sees complete data and every refit inside
    one period yields the same range.
    """
    ref = monitor.reference
    interval = ref.refit_interval
    if ref.previous is None or interval is None:
        return TimeRange(ref.start, ref.end)
    end = _floor(as_utc(now) - monitor.window.delay, interval)
    return TimeRange(end - ref.previous, end)


def describe(window: Window) -> str:
    """Return a short label for logs: `2024-05-01T10:00Z +1h`."""
    return f"{window.start.strftime('%Y-%m-%dT%H:%M:%SZ')} +{format_duration(window.size)}"
