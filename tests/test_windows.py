"""Window arithmetic: epoch- and cron-aligned tumbling UTC windows, delays, naive timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.config import MonitorConfig
from driftmon.errors import WindowError
from driftmon.windows import (
    EPOCH,
    TimeRange,
    Window,
    is_complete,
    latest_complete_window,
    reference_range,
    window_ending_at,
    windows_between,
)


def monitor(size: str = "1h", delay: str = "0s", **extra: Any) -> MonitorConfig:
    data: dict[str, Any] = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"previous": "7d"},
        "window": {"size": size, "delay": delay},
        "columns": ["a"],
    }
    data.update(extra)
    return MonitorConfig.model_validate(data)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_hourly_windows_align_to_the_hour_and_wait_for_the_delay() -> None:
    m = monitor("1h", "10m")
    assert latest_complete_window(m, utc(2024, 5, 1, 12, 9)) == Window(
        utc(2024, 5, 1, 10), utc(2024, 5, 1, 11)
    )
    assert latest_complete_window(m, utc(2024, 5, 1, 12, 10)) == Window(
        utc(2024, 5, 1, 11), utc(2024, 5, 1, 12)
    )
    assert window_ending_at(m, utc(2024, 5, 1, 12)) == Window(utc(2024, 5, 1, 11), utc(2024, 5, 1, 12))
    assert window_ending_at(m, utc(2024, 5, 1, 12, 59, 59)).end == utc(2024, 5, 1, 12)
    window = Window(utc(2024, 5, 1, 11), utc(2024, 5, 1, 12))
    assert not is_complete(m, window, utc(2024, 5, 1, 12, 9, 59))
    assert is_complete(m, window, utc(2024, 5, 1, 12, 10))


@pytest.mark.parametrize(
    ("size", "now", "start"),
    [
        ("1d", utc(2024, 5, 1, 23, 59), utc(2024, 4, 30)),
        ("7d", utc(2024, 5, 3), utc(2024, 4, 25)),  # epoch weeks start on Thursdays
        ("90m", utc(1970, 1, 1, 4), utc(1970, 1, 1, 1, 30)),
        ("15m", utc(2024, 5, 1, 0, 14), utc(2024, 4, 30, 23, 45)),
    ],
)
def test_windows_align_to_their_size_since_the_epoch(size: str, now: datetime, start: datetime) -> None:
    window = latest_complete_window(monitor(size), now)
    assert window.start == start
    assert window.size == monitor(size).window.size
    assert (window.start - EPOCH) % window.size == timedelta(0)


def test_naive_datetimes_are_utc_and_other_zones_are_converted() -> None:
    m = monitor("1h")
    aware = latest_complete_window(m, utc(2024, 5, 1, 12, 30))
    assert latest_complete_window(m, datetime(2024, 5, 1, 12, 30)) == aware
    plus_two = timezone(timedelta(hours=2))
    assert latest_complete_window(m, datetime(2024, 5, 1, 14, 30, tzinfo=plus_two)) == aware
    assert aware.start.tzinfo is UTC
    assert Window(datetime(2024, 1, 1), datetime(2024, 1, 2)) == Window(utc(2024, 1, 1), utc(2024, 1, 2))
    assert datetime(2024, 1, 1, 5) in Window(utc(2024, 1, 1), utc(2024, 1, 2))


def test_windows_are_half_open() -> None:
    window = Window(utc(2024, 1, 1, 10), utc(2024, 1, 1, 11))
    assert utc(2024, 1, 1, 10) in window
    assert utc(2024, 1, 1, 11) not in window
    assert str(window) == "[2024-01-01T10:00:00+00:00, 2024-01-01T11:00:00+00:00)"


def test_bad_windows_and_ranges() -> None:
    with pytest.raises(WindowError, match="is not after its start"):
        Window(utc(2024, 1, 2), utc(2024, 1, 1))
    with pytest.raises(WindowError, match="is not after its start"):
        Window(utc(2024, 1, 1), utc(2024, 1, 1))
    with pytest.raises(WindowError, match="is not after its start"):
        TimeRange(utc(2024, 1, 2), utc(2024, 1, 1))
    with pytest.raises(WindowError, match="is not after its start"):
        windows_between(monitor(), utc(2024, 1, 2), utc(2024, 1, 1))


def test_windows_between_returns_only_whole_windows() -> None:
    m = monitor("1h")
    found = windows_between(m, utc(2024, 5, 1, 9, 30), utc(2024, 5, 1, 12, 15))
    assert found == [
        Window(utc(2024, 5, 1, 10), utc(2024, 5, 1, 11)),
        Window(utc(2024, 5, 1, 11), utc(2024, 5, 1, 12)),
    ]
    assert windows_between(m, utc(2024, 5, 1, 10), utc(2024, 5, 1, 11)) == [found[0]]
    assert windows_between(m, utc(2024, 5, 1, 10, 1), utc(2024, 5, 1, 11)) == []


def test_cron_windows_end_at_cron_instants() -> None:
    weekdays = monitor("1d", "1h", schedule={"cron": "0 9 * * 1-5"})
    # Monday 2024-01-08 08:00: Friday 09:00 is the last instant at least an hour old.
    assert latest_complete_window(weekdays, utc(2024, 1, 8, 9, 59)) == Window(
        utc(2024, 1, 4, 9), utc(2024, 1, 5, 9)
    )
    assert latest_complete_window(weekdays, utc(2024, 1, 8, 10)) == Window(
        utc(2024, 1, 7, 9), utc(2024, 1, 8, 9)
    )
    ends = [w.end for w in windows_between(weekdays, utc(2024, 1, 5), utc(2024, 1, 10))]
    assert ends == [utc(2024, 1, 8, 9), utc(2024, 1, 9, 9)]  # the window ending Friday starts too early
    hourly = monitor("1h", schedule={"cron": "30 * * * *"})
    assert window_ending_at(hourly, utc(2024, 1, 1, 10, 29, 59)) == Window(
        utc(2024, 1, 1, 8, 30), utc(2024, 1, 1, 9, 30)
    )
    assert window_ending_at(hourly, utc(2024, 1, 1, 10, 30)).end == utc(2024, 1, 1, 10, 30)
    yearly = monitor("1d", schedule={"cron": "0 0 1 1 *"})
    assert window_ending_at(yearly, utc(2024, 12, 31)).end == utc(2024, 1, 1)


def test_cron_that_never_fires() -> None:
    with pytest.raises(ValueError, match="never fires"):
        monitor("1d", schedule={"cron": "0 0 30 2 *"})  # February 30th
    leap = monitor("1d", schedule={"cron": "0 0 29 2 *"})
    assert latest_complete_window(leap, utc(2027, 5, 1)).end == utc(2024, 2, 29)
    not_yet = monitor("1d", schedule={"cron": "0 0 29 2 *"})  # APScheduler counts years from 1970
    with pytest.raises(WindowError, match="does not fire in the 8 years before"):
        latest_complete_window(not_yet, utc(1970, 6, 1))


def test_interval_schedule_does_not_move_window_alignment() -> None:
    m = monitor("1h", schedule={"interval": "10m"})
    assert latest_complete_window(m, utc(2024, 5, 1, 12, 40)).end == utc(2024, 5, 1, 12)


def test_reference_ranges() -> None:
    rolling = monitor("1h", "10m", reference={"previous": "7d", "refit_every": "1d"})
    expected = TimeRange(utc(2024, 4, 24), utc(2024, 5, 1))
    assert reference_range(rolling, utc(2024, 5, 1, 0, 10)) == expected
    assert reference_range(rolling, utc(2024, 5, 1, 23, 59)) == expected  # stable within the refit period
    assert reference_range(rolling, utc(2024, 5, 1, 0, 9)).end == utc(2024, 4, 30)  # data not complete yet
    fixed = monitor(reference={"start": "2024-01-01", "end": "2024-02-01"})
    assert reference_range(fixed, utc(2030, 1, 1)) == TimeRange(utc(2024, 1, 1), utc(2024, 2, 1))
    separate = monitor(source={"kind": "file", "path": "a.parquet"}, reference={"path": "b.parquet"})
    assert reference_range(separate, utc(2030, 1, 1)) == TimeRange(None, None)
    assert str(TimeRange(None, utc(2024, 1, 1))) == "[-inf, 2024-01-01T00:00:00+00:00)"


@given(
    seconds=st.integers(min_value=1, max_value=14 * 86400),
    delay=st.integers(min_value=0, max_value=86400),
    now=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_latest_complete_window_is_the_newest_complete_aligned_window(
    seconds: int, delay: int, now: datetime
) -> None:
    m = monitor(f"{seconds}s", f"{delay}s")
    window = latest_complete_window(m, now)
    moment = now.replace(tzinfo=UTC)
    assert window.size == timedelta(seconds=seconds)
    assert (window.start - EPOCH) % window.size == timedelta(0)
    assert is_complete(m, window, moment)
    assert not is_complete(m, Window(window.end, window.end + window.size), moment)
