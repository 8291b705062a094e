"""Value types shared by the config models: durations, UTC timestamps, names, SQL URLs."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, SecretStr

from driftmon.errors import DurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "MAX_NAME_LENGTH",
    "ColumnName",
    "DatabaseURL",
    "Duration",
    "MonitorName",
    "PositiveDuration",
    "Timestamp",
    "as_utc",
    "format_duration",
    "parse_duration",
    "redact_url",
]

# The store's name columns hold this many characters.
MAX_NAME_LENGTH = 200

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)\s*([wdhms])")
_DURATION = re.compile(r"(?:\d+\s*[wdhms]\s*)+")
_MONITOR_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def parse_duration(value: object) -> timedelta:
    """Parse `30s`, `10m`, `1h`, `7d`, `2w` or combinations like `1h30m` into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float):
            raise DurationError(value, "a bare number has no unit")
        raise DurationError(value, f"got {type(value).__name__}")
    text = value.strip().lower()
    if not text or not _DURATION.fullmatch(text):
        raise DurationError(value)
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    return timedelta(seconds=seconds)


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
PositiveDuration = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_positive), PlainSerializer(format_duration)
]


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken to be UTC already (driftmon's one rule)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _timestamp(value: object) -> object:
    # YAML turns `2024-01-01` into a date and ISO strings with an offset into aware datetimes.
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError:
            raise ValueError(
                f"invalid timestamp {value!r}; expected ISO 8601 such as '2024-05-01T00:00:00Z' "
                "(a timestamp without an offset is read as UTC)"
            ) from None
    return value


Timestamp = Annotated[
    datetime, BeforeValidator(_timestamp), AfterValidator(as_utc), PlainSerializer(lambda v: v.isoformat())
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


def redact_url(url: str | URL) -> str:
    """Return `url` as text with its password (and password-like query values) hidden."""
    # sqlalchemy is imported when a URL is first handled, not with the config (it is slow to import).
    from sqlalchemy.engine import URL, make_url

    try:
        parsed = url if isinstance(url, URL) else make_url(url)
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


def finite(value: float, what: str) -> float:
    """Return `value` if it is a finite number, else raise a ValueError naming `what`."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return value


def json_default(value: Any) -> Any:
    """Serialise config values that JSON does not know (used for hashing)."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
