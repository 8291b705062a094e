"""The pages' addresses, shared by the pages themselves, alert notifications and the Grafana links.

A window is named by its end (`?window=2026-01-05T13:00:00Z`): a monitor's windows never
share an end. `?at=` takes any instant (ISO 8601 or Unix milliseconds, as Grafana's data
links send) and opens the latest window that ended at or before it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode


def format_instant(moment: datetime) -> str:
    """Return a UTC instant as the pages write it in addresses: `2026-01-05T13:00:00Z`."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_instant(text: str) -> datetime:
    """Read an instant from an address: ISO 8601 (no offset means UTC) or Unix milliseconds.

    Raises ValueError naming the text when it is neither.
    """
    value = text.strip()
    if value.isdigit():
        try:
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime holds
            raise ValueError(
                f"{text!r} is out of range: Unix milliseconds must fall in years 1 to 9999"
            ) from None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # a '+' in a query string arrives as ' '
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: write ISO 8601 (2026-01-05T13:00:00Z) or Unix milliseconds"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def monitor_path(monitor: str) -> str:
    """Return a monitor page's path."""
    return f"/monitors/{quote(monitor, safe='')}"


def column_path(
    monitor: str,
    column: str,
    *,
    window_end: datetime | None = None,
    statistic: str | None = None,
    history: int | None = None,
) -> str:
    """Return a column page's path: the latest window, or the one ending at `window_end`."""
    query: dict[str, str] = {}
    if window_end is not None:
        query["window"] = format_instant(window_end)
    if statistic is not None:
        query["statistic"] = statistic
    if history is not None:
        query["n"] = str(history)
    path = f"{monitor_path(monitor)}/columns/{quote(column, safe='')}"
    return f"{path}?{urlencode(query, safe=':')}" if query else path


def run_path(run_id: int) -> str:
    """Return a run page's path."""
    return f"/runs/{run_id}"
