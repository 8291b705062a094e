"""Input checks shared by the snapshot's input types; each names what was wrong and where."""

from __future__ import annotations

import math
from datetime import datetime

from driftmon.metrics.errors import MetricsInputError


def check_count(value: object, what: str, where: str) -> int | None:
    """Return a non-negative integer or None, else raise naming it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MetricsInputError(f"{where}: {what} must be a non-negative integer or None, got {value!r}")
    return int(value)


def timestamp(value: object, what: str, where: str) -> float:
    """Return a timezone-aware datetime as Unix seconds, else raise naming it."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise MetricsInputError(f"{where}: {what} must be a timezone-aware datetime, got {value!r}")
    return value.timestamp()


def check_seconds(value: object, what: str, where: str) -> float:
    """Return a finite number of seconds >= 0 as a float, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise MetricsInputError(f"{where}: {what} must be a finite number >= 0, got {value!r}")
    return float(value)
