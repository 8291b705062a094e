"""Calendar window sizes (1mo, 1q, 1y and multiples) and windows on a time zone's wall clock.

A calendar size is a whole number of months: `1mo`, `3mo` = `1q`, `12mo` = `1y`. Its windows
start on the 1st at 00:00; multiples are counted in months since January 1970, so quarters
start in January, April, July and October, `6mo` windows in January and July, years on
1 January. Day sizes given a time zone start at local midnight, counted in days since
1970-01-01 like UTC days (so `7d` windows start on Thursdays).

Boundaries are computed on the wall clock of the zone and converted to UTC instants: a March
window in Europe/Berlin runs from 2024-02-29T23:00Z to 2024-03-31T22:00Z, an hour shorter
than 31 days because of the switch to summer time. A local midnight that does not exist (a
zone that skips 00:00-01:00) resolves to the first instant of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# 100 years: far more than any window needs, and the longest-length search stays exact.
MAX_CALENDAR_MONTHS = 1200
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, order=True)
class CalendarSize:
    """A window size of `months` calendar months (`1q` is 3 months, `1y` is 12)."""

    months: int

    def __post_init__(self) -> None:
        if not 1 <= self.months <= MAX_CALENDAR_MONTHS:
            raise ValueError(f"a calendar size is 1 to {MAX_CALENDAR_MONTHS} months, got {self.months}")

    @property
    def longest(self) -> timedelta:
        """The longest such window in days: 31 days for a month, 92 for a quarter, 366 for a year."""
        longest = 0
        for start in range(48):  # every starting month of a four-year leap cycle
            first = _month_start(2000 * 12 + start)
            longest = max(longest, (_month_start(2000 * 12 + start + self.months) - first).days)
        return timedelta(days=longest)

    def __str__(self) -> str:
        if self.months % 12 == 0:
            return f"{self.months // 12}y"
        if self.months % 3 == 0:
            return f"{self.months // 3}q"
        return f"{self.months}mo"


def _month_start(index: int) -> date:
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def time_zone(name: str) -> tzinfo:
    """Return the IANA time zone `name` (`UTC` is UTC), or raise a ValueError naming it."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise ValueError(
            f"unknown time zone {name!r}; expected an IANA name such as 'Europe/Berlin', "
            "'America/New_York' or 'UTC'"
        ) from None


@dataclass(frozen=True)
class CalendarGrid:
    """Window boundaries every `count` months or days on the wall clock of `zone`, numbered from 1970.

    Boundary `i` is the start of month (or day) `i * count` since January (or 1 January) 1970,
    local time; `index(moment)` is the number of the last boundary at or before `moment`.
    """

    unit: Literal["month", "day"]
    count: int
    zone: tzinfo = UTC

    def index(self, moment: datetime) -> int:
        """Return the number of the last boundary at or before the aware `moment`."""
        local = moment.astimezone(self.zone)
        if self.unit == "month":
            step = (local.year - 1970) * 12 + local.month - 1
        else:
            step = local.date().toordinal() - _EPOCH_ORDINAL
        return step // self.count

    def boundary(self, index: int) -> datetime:
        """Return boundary number `index` as an aware UTC instant."""
        step = index * self.count
        if self.unit == "month":
            year, month = divmod(step, 12)
            day = date(1970 + year, month + 1, 1)
        else:
            day = date.fromordinal(_EPOCH_ORDINAL + step)
        # fold=0: an ambiguous midnight is its first occurrence, a skipped one the end of the gap.
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def floor(self, moment: datetime) -> datetime:
        """Return the last boundary at or before `moment`."""
        return self.boundary(self.index(moment))
