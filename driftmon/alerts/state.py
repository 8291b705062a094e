"""Alert severity, the persisted per-statistic alert state, and the transitions between severities."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

from driftmon.alerts.errors import AlertStateError
from driftmon.core import finite

STATE_VERSION = 1
TransitionKind = Literal["fired", "escalated", "de-escalated", "resolved"]


class Severity(IntEnum):
    """Alert severity; the integer is the value of the alert-state metric (0 ok, 1 warning, 2 critical)."""

    OK = 0
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        """Return the lower-case name used in payloads, stored states and metrics labels."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: object) -> Severity:
        """Return the severity named by a label ('warning'), a member or its integer."""
        if isinstance(value, Severity):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2):
            return cls(value)
        raise ValueError(f"severity must be one of ok, warning, critical (or 0, 1, 2), got {value!r}")


@dataclass(frozen=True)
class AlertState:
    """Where one statistic of one column stands: its severity and the streaks that move it.

    Streak counters count consecutive windows with enough data (windows with too little data
    leave every counter as it was):
    `above_warning` / `above_critical`: windows that breached at that level or above (statistic
    at or over the threshold and, when required, significant); `below_critical_exit`: windows
    under the level at which critical clears; `below_resolve`: windows under the resolve level.
    `since` is the end of the window that moved the alert into its current severity.
    """

    severity: Severity = Severity.OK
    since: datetime | None = None
    above_warning: int = 0
    above_critical: int = 0
    below_critical_exit: int = 0
    below_resolve: int = 0
    last_value: float | None = None
    last_p_value: float | None = None
    last_window_end: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict that `from_dict` turns back into an equal state."""
        return {
            "version": STATE_VERSION,
            "severity": self.severity.label,
            "since": _time_out(self.since),
            "above_warning": self.above_warning,
            "above_critical": self.above_critical,
            "below_critical_exit": self.below_critical_exit,
            "below_resolve": self.below_resolve,
            "last_value": finite(self.last_value),
            "last_p_value": finite(self.last_p_value),
            "last_window_end": _time_out(self.last_window_end),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertState:
        """Rebuild a state from `to_dict` output; raise AlertStateError naming any bad entry."""
        if not isinstance(data, Mapping):
            raise AlertStateError("state", f"must be a mapping, got {type(data).__name__}")
        known = {"version", *(f.name for f in fields(cls))}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise AlertStateError(
                unknown[0], f"is not an alert-state key; known keys: {', '.join(sorted(known))}"
            )
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise AlertStateError("version", f"is {version!r}; this driftmon reads version {STATE_VERSION}")
        try:
            severity = Severity.parse(data.get("severity", "ok"))
        except ValueError as exc:
            raise AlertStateError("severity", str(exc)) from None
        return cls(
            severity=severity,
            since=_time_in(data, "since"),
            above_warning=_count_in(data, "above_warning"),
            above_critical=_count_in(data, "above_critical"),
            below_critical_exit=_count_in(data, "below_critical_exit"),
            below_resolve=_count_in(data, "below_resolve"),
            last_value=_float_in(data, "last_value"),
            last_p_value=_float_in(data, "last_p_value"),
            last_window_end=_time_in(data, "last_window_end"),
        )


@dataclass(frozen=True)
class Transition:
    """A change of severity, with the window and the evidence that caused it.

    `threshold` is the level that was crossed: the new severity's threshold when firing or
    escalating, the critical exit level when de-escalating, the resolve level when resolving.
    """

    statistic: str
    previous: Severity
    severity: Severity
    value: float
    threshold: float
    p_value: float
    n_live: int
    window_start: datetime
    window_end: datetime

    @property
    def kind(self) -> TransitionKind:
        """Return fired (from ok), escalated, de-escalated (critical to warning) or resolved (to ok)."""
        if self.severity == Severity.OK:
            return "resolved"
        if self.previous == Severity.OK:
            return "fired"
        return "escalated" if self.severity > self.previous else "de-escalated"

    @property
    def event_state(self) -> Literal["firing", "resolved"]:
        """Return the alert-event state: resolved when the alert cleared, firing otherwise."""
        return "resolved" if self.severity == Severity.OK else "firing"

    @property
    def event_severity(self) -> Literal["warning", "critical"]:
        """Return the severity an alert event records: the new one, or the cleared one on resolve."""
        shown = self.previous if self.severity == Severity.OK else self.severity
        return "critical" if shown == Severity.CRITICAL else "warning"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (times in ISO 8601, NaN as None)."""
        return {
            "statistic": self.statistic,
            "kind": self.kind,
            "previous_severity": self.previous.label,
            "severity": self.severity.label,
            "value": finite(self.value),
            "threshold": finite(self.threshold),
            "p_value": finite(self.p_value),
            "n_live": self.n_live,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
        }


def _time_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _count_in(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AlertStateError(key, f"must be a non-negative integer, got {value!r}")
    return value


def _float_in(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AlertStateError(key, f"must be a finite number or null, got {value!r}")
    return float(value)


def _time_in(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AlertStateError(key, f"must be an ISO 8601 time string or null, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise AlertStateError(key, f"must be an ISO 8601 time string, got {value!r}") from None
    if parsed.tzinfo is None:
        raise AlertStateError(key, f"must carry a UTC offset, got {value!r}")
    return parsed
