"""Calendar windows: months, quarters and years, and day windows in a time zone, across DST."""

from __future__ import annotations

import calendar
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftmon.config import CalendarGrid, MonitorConfig
from driftmon.windows import (
    Window,
    is_complete,
    latest_complete_window,
    next_window_end,
    overlap_warning,
    reference_overlap,
    window_ending_at,
    windows_between,
    windows_ending_by,
)

DAY = timedelta(days=1)


def monitor(size: str, timezone: str | None = None, delay: str = "0s", **extra: Any) -> MonitorConfig:
    window: dict[str, Any] = {"size": size, "delay": delay}
    if timezone is not None:
        window["timezone"] = timezone
    data: dict[str, Any] = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"path": "ref.parquet"},
        "window": window,
        "columns": ["a"],
    }
    data.update(extra)
    return MonitorConfig.model_validate(data)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_month_windows_start_on_the_first_and_have_the_months_length() -> None:
    windows = windows_between(monitor("1mo"), utc(2023, 1, 1), utc(2025, 1, 1))
    assert len(windows) == 24
    for window, (year, month) in zip(
        windows, [(y, m) for y in (2023, 2024) for m in range(1, 13)], strict=True
    ):
        assert window.start == utc(year, month, 1)
        assert window.size == calendar.monthrange(year, month)[1] * DAY
    lengths = {w.start: w.size.days for w in windows}
    assert lengths[utc(2023, 2, 1)] == 28
    assert lengths[utc(2024, 2, 1)] == 29  # leap year
    assert lengths[utc(2024, 4, 1)] == 30
    assert lengths[utc(2024, 1, 1)] == 31


def test_month_windows_between_take_whole_months_only() -> None:
    m = monitor("1mo")
    assert windows_between(m, utc(2024, 1, 15), utc(2024, 4, 10)) == [
        Window(utc(2024, 2, 1), utc(2024, 3, 1)),
        Window(utc(2024, 3, 1), utc(2024, 4, 1)),
    ]
    assert windows_between(m, utc(2024, 2, 1), utc(2024, 2, 29)) == []


def test_latest_month_waits_for_the_delay_and_ends_at_a_month_boundary() -> None:
    m = monitor("1mo", delay="1d")
    assert latest_complete_window(m, utc(2024, 3, 1, 23, 59)) == Window(utc(2024, 1, 1), utc(2024, 2, 1))
    latest = latest_complete_window(m, utc(2024, 3, 2))
    assert latest == Window(utc(2024, 2, 1), utc(2024, 3, 1))
    assert is_complete(m, latest, utc(2024, 3, 2))
    assert not is_complete(m, latest, utc(2024, 3, 1, 23, 59, 59))
    assert window_ending_at(m, utc(2024, 3, 1)) == latest
    assert window_ending_at(m, utc(2024, 1, 1)).start == utc(2023, 12, 1)  # across the year
    assert next_window_end(m, utc(2024, 3, 1)) == utc(2024, 4, 1)
    assert next_window_end(m, utc(2024, 2, 29, 23, 59, 59)) == utc(2024, 3, 1)


def test_the_last_three_months_step_back_across_a_year_end() -> None:
    assert windows_ending_by(monitor("1mo"), utc(2024, 2, 10), 3) == [
        Window(utc(2023, 11, 1), utc(2023, 12, 1)),
        Window(utc(2023, 12, 1), utc(2024, 1, 1)),
        Window(utc(2024, 1, 1), utc(2024, 2, 1)),
    ]
    assert windows_ending_by(monitor("1mo"), utc(2024, 2, 10), 0) == []


def test_quarters_start_in_january_april_july_and_october() -> None:
    quarters = windows_between(monitor("1q"), utc(2024, 1, 1), utc(2025, 1, 1))
    assert [w.start.month for w in quarters] == [1, 4, 7, 10]
    assert [w.size.days for w in quarters] == [91, 91, 92, 92]  # 2024 is a leap year
    assert windows_between(monitor("3mo"), utc(2024, 1, 1), utc(2025, 1, 1)) == quarters
    assert window_ending_at(monitor("1q"), utc(2024, 5, 17)) == Window(utc(2024, 1, 1), utc(2024, 4, 1))


def test_years_and_multiples_align_to_calendar_boundaries() -> None:
    years = windows_between(monitor("1y"), utc(2023, 6, 1), utc(2026, 1, 1))
    assert years == [Window(utc(2024, 1, 1), utc(2025, 1, 1)), Window(utc(2025, 1, 1), utc(2026, 1, 1))]
    assert [w.size.days for w in years] == [366, 365]
    halves = windows_between(monitor("6mo"), utc(2024, 1, 1), utc(2025, 1, 1))
    assert [w.start for w in halves] == [utc(2024, 1, 1), utc(2024, 7, 1)]
    # Multiples are counted from January 1970: two-year windows start in even years.
    assert window_ending_at(monitor("2y"), utc(2025, 6, 1)) == Window(utc(2022, 1, 1), utc(2024, 1, 1))
    # Before 1970 too.
    assert window_ending_at(monitor("1q"), utc(1969, 5, 1)) == Window(utc(1969, 1, 1), utc(1969, 4, 1))


def test_berlin_months_start_at_local_midnight_across_daylight_saving() -> None:
    m = monitor("1mo", "Europe/Berlin")
    windows = windows_between(m, utc(2024, 2, 1), utc(2024, 11, 30))
    by_month = {w.start.astimezone(ZoneInfo("Europe/Berlin")).month: w for w in windows}
    # March: from CET (+1) to CEST (+2), an hour short of 31 days.
    assert by_month[3] == Window(utc(2024, 2, 29, 23), utc(2024, 3, 31, 22))
    assert by_month[3].size == 31 * DAY - timedelta(hours=1)
    # October: back to CET, an hour over 31 days.
    assert by_month[10] == Window(utc(2024, 9, 30, 22), utc(2024, 10, 31, 23))
    assert by_month[10].size == 31 * DAY + timedelta(hours=1)
    assert by_month[7].size == 31 * DAY
    # Every boundary is local midnight on the 1st, and windows tile time without gaps.
    for window in windows:
        local = window.start.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.day, local.hour, local.minute) == (1, 0, 0)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    # The instant local midnight comes belongs to the new month.
    assert window_ending_at(m, utc(2024, 3, 31, 22)).end == utc(2024, 3, 31, 22)
    assert window_ending_at(m, utc(2024, 3, 31, 21, 59, 59)).end == utc(2024, 2, 29, 23)


def test_new_york_days_are_23_and_25_hours_long_on_the_dst_changes() -> None:
    m = monitor("1d", "America/New_York")
    march = windows_between(m, utc(2024, 3, 9), utc(2024, 3, 12))
    assert march == [
        Window(utc(2024, 3, 9, 5), utc(2024, 3, 10, 5)),
        Window(utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),  # clocks spring forward: 23 hours
    ]
    november = windows_between(m, utc(2024, 11, 2, 4), utc(2024, 11, 4, 5))
    assert [w.size for w in november] == [24 * timedelta(hours=1), 25 * timedelta(hours=1)]
    assert november[1] == Window(utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))
    month = window_ending_at(monitor("1mo", "America/New_York"), utc(2024, 4, 1, 12))
    assert month == Window(utc(2024, 3, 1, 5), utc(2024, 4, 1, 4))


def test_week_windows_in_a_zone_keep_the_epoch_thursdays() -> None:
    week = window_ending_at(monitor("7d", "Asia/Tokyo"), utc(2024, 5, 3))
    assert week == Window(utc(2024, 4, 24, 15), utc(2024, 5, 1, 15))  # Thursday 00:00 in Tokyo
    assert week.start.astimezone(ZoneInfo("Asia/Tokyo")).weekday() == 3


def test_a_skipped_local_midnight_starts_the_day_when_clocks_jump() -> None:
    # Havana springs forward at midnight: 2024-03-10 00:00 does not exist, the day starts at 01:00.
    day = window_ending_at(monitor("1d", "America/Havana"), utc(2024, 3, 11, 12))
    assert day == Window(utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))
    assert day.start.astimezone(ZoneInfo("America/Havana")).hour == 1


def test_utc_spelled_out_is_the_default() -> None:
    assert windows_between(monitor("1mo", "UTC"), utc(2024, 1, 1), utc(2024, 3, 1)) == windows_between(
        monitor("1mo"), utc(2024, 1, 1), utc(2024, 3, 1)
    )
    hourly = monitor("1h", "UTC")
    assert hourly.window.grid is None
    assert hourly.uniform_window == timedelta(hours=1)


@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    zone=st.sampled_from(
        ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Havana"]
    ),
    unit=st.sampled_from(["month", "day"]),
    count=st.sampled_from([1, 2, 3, 7, 12]),
)
def test_every_moment_lies_in_exactly_one_window(moment: datetime, zone: str, unit: str, count: int) -> None:
    grid = CalendarGrid(unit, count, UTC if zone == "UTC" else ZoneInfo(zone))  # type: ignore[arg-type]
    at = moment.replace(tzinfo=UTC)
    index = grid.index(at)
    assert grid.boundary(index) <= at < grid.boundary(index + 1)
    assert grid.index(grid.boundary(index)) == index
    assert grid.index(grid.boundary(index + 1)) == index + 1


def test_a_window_overlapping_a_fixed_reference_is_named() -> None:
    fixed = monitor("1mo", reference={"start": "2024-01-01", "end": "2024-02-15"})
    inside = Window(utc(2024, 2, 1), utc(2024, 3, 1))
    span = reference_overlap(fixed, inside)
    assert span is not None
    assert (span.start, span.end) == (utc(2024, 1, 1), utc(2024, 2, 15))
    warning = overlap_warning(fixed, inside)
    assert warning is not None
    assert "monitor 'm'" in warning
    assert "[2024-02-01T00:00:00+00:00, 2024-03-01T00:00:00+00:00)" in warning
    assert "reference period [2024-01-01T00:00:00+00:00, 2024-02-15T00:00:00+00:00)" in warning
    # Half-open: a window starting where the reference ends, or ending where it starts, is clear.
    assert overlap_warning(fixed, Window(utc(2024, 2, 15), utc(2024, 3, 1))) is None
    assert overlap_warning(fixed, Window(utc(2023, 12, 1), utc(2024, 1, 1))) is None
    # Other data and rolling references never overlap the live windows.
    assert overlap_warning(monitor("1mo"), inside) is None
    rolling = monitor("1mo", reference={"previous": "30d"})
    assert overlap_warning(rolling, inside) is None


@pytest.mark.parametrize("size", ["1mo", "1q", "1y"])
def test_calendar_windows_are_never_uniform(size: str) -> None:
    m = monitor(size)
    assert m.uniform_window is None
    assert m.schedule_interval is None
    assert monitor(size, schedule={"interval": "1h"}).schedule_interval == timedelta(hours=1)
