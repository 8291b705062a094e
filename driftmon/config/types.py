"""Value types shared by the config models: durations, UTC timestamps, names, SQL URLs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, PlainValidator, SecretStr

from driftmon.config.calendar import CalendarSize
from driftmon.errors import AmbiguousDurationError, DurationError

# The store's name columns hold this many characters.
MAX_NAME_LENGTH = 200

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# 100 years, like the longest calendar size: far more than any window, delay or timeout needs,
# and times that far from now stay within what datetime can hold.
MAX_DURATION_DAYS = 36525
_CALENDAR_UNITS = {"y": 12, "q": 3, "mo": 1}
_PART = re.compile(r"(\d+)\s*([A-Za-z]+)")
_DURATION = re.compile(r"(?:\d+\s*[A-Za-z]+\s*)+")
# Spelled-out units people write, and the unit driftmon reads for them.
_SPELLED = {
    **dict.fromkeys(("sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("day", "days"), "d"),
    **dict.fromkeys(("wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("mon", "mons", "mth", "mths", "month", "months"), "mo"),
    **dict.fromkeys(("qtr", "qtrs", "quarter", "quarters"), "q"),
    **dict.fromkeys(("yr", "yrs", "year", "years"), "y"),
}
_MONITOR_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _parts(value: object, calendar: bool) -> list[tuple[int, str]]:
    """Split a duration into (number, unit) parts with lowercase units; `M` alone is refused."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float):
            raise DurationError(value, "a bare number has no unit", calendar=calendar)
        raise DurationError(value, f"got {type(value).__name__}", calendar=calendar)
    text = value.strip()
    if not text or not _DURATION.fullmatch(text):
        raise DurationError(value, calendar=calendar)
    parts = []
    for number, unit in _PART.findall(text):
        if unit == "M":  # minutes to some tools, months to others (Java, pandas' old offsets)
            raise AmbiguousDurationError(value, number, calendar=calendar)
        unit = unit.lower()
        if unit in _SPELLED:
            meant = _SPELLED[unit]
            hint = (
                f"write {number}{meant}"
                if calendar or meant in _UNITS
                else "months, quarters and years are window sizes only; write days, e.g. 30d"
            )
            raise DurationError(value, f"unknown unit {unit!r}", hint=hint)
        if unit not in _UNITS and unit not in _CALENDAR_UNITS:
            raise DurationError(value, f"unknown unit {unit!r}", calendar=calendar)
        # 20 digits are out of range already (and Python reads no more than 4,300 into an int).
        parts.append((int(number) if len(number) <= 20 else 10**20, unit))
    return parts


def parse_duration(value: object) -> timedelta:
    """Parse `30s`, `10m`, `1h`, `7d`, `2w` or combinations like `1h30m` into a timedelta.

    Units are case-insensitive except `M`, which is refused as ambiguous (`m` is minutes).
    Calendar units (`mo`, `q`, `y`) are refused: they are window sizes only (`parse_window_size`).
    """
    if isinstance(value, timedelta):
        return value
    parts = _parts(value, calendar=False)
    calendar = [f"{n}{unit}" for n, unit in parts if unit in _CALENDAR_UNITS]
    if calendar:
        raise DurationError(
            value,
            f"{calendar[0]} has no fixed length",
            hint="months, quarters and years are window sizes only; write days, e.g. 30d or 365d",
        )
    return _fixed(value, sum(n * _UNITS[unit] for n, unit in parts))


def _fixed(value: object, seconds: int) -> timedelta:
    if seconds > MAX_DURATION_DAYS * 86400:
        raise DurationError(value, "out of range", hint=f"at most {MAX_DURATION_DAYS}d (100 years)")
    return timedelta(seconds=seconds)


def parse_window_size(value: object) -> timedelta | CalendarSize:
    """Parse a window size: a duration (`1h`, `1d`) or calendar months (`1mo`, `3mo`, `1q`, `1y`)."""
    if isinstance(value, timedelta | CalendarSize):
        return value
    parts = _parts(value, calendar=True)
    months = sum(n * _CALENDAR_UNITS[unit] for n, unit in parts if unit in _CALENDAR_UNITS)
    fixed = sum(n * _UNITS[unit] for n, unit in parts if unit in _UNITS)
    if months and fixed:
        raise DurationError(
            value, "a calendar size (mo, q, y) cannot be combined with s, m, h, d or w", calendar=True
        )
    if months:
        try:
            return CalendarSize(months)
        except ValueError as exc:
            raise DurationError(value, str(exc), calendar=True) from None
    if not fixed:
        raise DurationError(value, "must be longer than zero", calendar=True)
    return _fixed(value, fixed)


def format_window_size(value: timedelta | CalendarSize) -> str:
    """Format a window size the way `parse_window_size` reads it (`1mo`, `1q`, `1y`, `1h30m`)."""
    return str(value) if isinstance(value, CalendarSize) else format_duration(value)


def format_duration(value: timedelta) -> str:
    """Format a timedelta the way `parse_duration` reads it (`90m` becomes `1h30m`)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        if unit == "w" and seconds % size:
            continue  # `10d` reads better than `1w3d`
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise DurationError(format_duration(value), "must be longer than zero")
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
# A window size: a positive duration or calendar months (validated whole, so no union coercion).
WindowSize = Annotated[
    timedelta | CalendarSize, PlainValidator(parse_window_size), PlainSerializer(format_window_size)
]


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken to be UTC already (driftmon's one rule)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _timestamp(value: object) -> object:
    # YAML turns `2024-01-01` into a date and ISO strings with an offset into aware datetimes.
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"invalid timestamp {value!r}; expected ISO 8601 such as '2024-05-01T00:00:00Z' "
                "(a timestamp without an offset is read as UTC)"
            ) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def _utc(value: datetime) -> datetime:
    try:
        return as_utc(value)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00
        raise ValueError(f"timestamp {value.isoformat()!r} is out of range in UTC") from None


Timestamp = Annotated[
    datetime, BeforeValidator(_timestamp), AfterValidator(_utc), PlainSerializer(lambda v: v.isoformat())
]


def _monitor_name(value: str) -> str:
    if not _MONITOR_NAME.fullmatch(value):
        raise ValueError(
            f"monitor name {value!r} may use only letters, digits, '_', '-' and '.' "
            "(it appears in metric labels, URLs and log lines)"
        )
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"monitor name is {len(value)} characters long; at most {MAX_NAME_LENGTH} allowed")
    return value


def _column_name(value: str) -> str:
    if not value:
        raise ValueError("column name must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"column name is {len(value)} characters long; at most {MAX_NAME_LENGTH} allowed")
    bad = _CONTROL_CHARACTER.search(value)
    if bad is not None:
        raise ValueError(f"column name {value!r} contains the control character {bad.group()!r}")
    return value


MonitorName = Annotated[str, AfterValidator(_monitor_name)]
# Column names are quoted as identifiers in SQL and looked up by exact name in files, so any
# printable text is safe; control characters are refused because they corrupt logs and labels.
ColumnName = Annotated[str, AfterValidator(_column_name)]


def redact_url(url: str) -> str:
    """Return `url` as text with its password (and password-like query values) hidden."""
    # sqlalchemy is imported when a URL is first handled, not with the config (it is slow to import).
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparseable URL may still hold a secret: show nothing of it
        return "<unparseable database URL>"
    secret_keys = [k for k in parsed.query if any(s in k.lower() for s in ("password", "token", "secret"))]
    if secret_keys:
        parsed = parsed.update_query_dict(dict.fromkeys(secret_keys, "***"))
    return parsed.render_as_string(hide_password=True)


def _database_url(value: SecretStr) -> SecretStr:
    from sqlalchemy.engine import make_url

    text = value.get_secret_value()
    try:
        make_url(text)
    except Exception:
        # SQLAlchemy's own message repeats the URL, which may hold a password.
        raise ValueError(
            "not a valid SQLAlchemy database URL; expected dialect[+driver]://user:password@host/database, "
            "e.g. postgresql+psycopg://driftmon@db:5432/warehouse or sqlite:///data.sqlite"
        ) from None
    return value


DatabaseURL = Annotated[SecretStr, AfterValidator(_database_url)]
