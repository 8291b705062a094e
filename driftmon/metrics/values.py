"""What runs report to the snapshot: a run's outcome, its columns' scores and alert states.

Column results are taken as they are, as anything with ResultLike's attributes: the store's
ResultRecord and a run's jobs.ColumnOutcome (LatestValues.of reads them). Runs and alert
events map onto this module's types (read by attribute, so this module does not import the
store):

    RunRecord        -> RunValues.from_run       (store.run_history)
    AlertEventRecord -> AlertValue.from_event    (store.current_alert_states)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics.checks import check_count, check_name, timestamp
from driftmon.metrics.errors import MetricsInputError
from driftmon.metrics.names import RUN_STATUSES

__all__ = [
    "AlertEventLike",
    "AlertValue",
    "LatestValues",
    "ResultLike",
    "RunLike",
    "RunValues",
]


class ResultLike(Protocol):
    """A column result (store.ResultRecord and jobs.ColumnOutcome have these attributes)."""

    @property
    def monitor(self) -> str: ...
    @property
    def column(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def window_end(self) -> datetime: ...
    @property
    def baseline_version(self) -> int | None: ...
    @property
    def n_live(self) -> int | None: ...
    @property
    def n_reference(self) -> int | None: ...
    def statistics(self) -> dict[str, float | None]: ...
    def null(self, statistic: str) -> NullLevel | None: ...


class RunLike(Protocol):
    """What RunValues.from_run reads (store.RunRecord has it)."""

    @property
    def monitor(self) -> str: ...
    @property
    def window_start(self) -> datetime: ...
    @property
    def window_end(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def rows_read(self) -> int | None: ...


class AlertEventLike(Protocol):
    """What AlertValue.from_event reads (store.AlertEventRecord has it)."""

    @property
    def monitor(self) -> str: ...
    @property
    def column(self) -> str: ...
    @property
    def statistic(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def state(self) -> str: ...


class LatestValues(NamedTuple):
    """A column's latest result as the snapshot keeps it: window end in Unix seconds, numbers finite.

    `statistics` holds the statistics that have a finite value; `null` the (expected, quantile,
    p_value) of the statistics with any of them known, None for a part that is not. Built by
    `of` from a stored result or a run's column, which were checked where they were made: the
    config and the store check names and counts, the store's schema allows only the known
    statuses and gives timezone-aware times back. Numbers that are not finite (the store keeps
    infinities) are left out of the exposition.
    """

    status: str
    window_end: float
    baseline_version: int | None
    n_live: int | None
    n_reference: int | None
    statistics: Mapping[str, float]
    null: Mapping[str, tuple[float | None, float | None, float | None]]

    @classmethod
    def of(cls, result: ResultLike) -> LatestValues:
        """Return a stored result (store.ResultRecord) or a run's (jobs.ColumnOutcome) as held."""
        stats: dict[str, float] = {}
        nulls: dict[str, tuple[float | None, float | None, float | None]] = {}
        statistics = result.statistics()
        for stat in STATISTICS:
            value = _finite(statistics.get(stat))
            if value is not None:
                stats[stat] = value
            level = result.null(stat)
            if level is None:
                continue
            null = (_finite(level.expected), _finite(level.quantile), _finite(level.p_value))
            if null != (None, None, None):
                nulls[stat] = null
        return cls(
            status=result.status,
            window_end=result.window_end.timestamp(),
            baseline_version=result.baseline_version,
            n_live=result.n_live,
            n_reference=result.n_reference,
            statistics=stats,
            null=nulls,
        )


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class RunValues:
    """A run of one window: its outcome, when it finished and how many live rows it read."""

    monitor: str
    window_start: datetime
    window_end: datetime
    status: str
    finished_at: datetime | None = None
    rows_read: int | None = None

    @classmethod
    def from_run(cls, run: RunLike) -> RunValues:
        """Return the values of a stored run (store.RunRecord)."""
        return cls(run.monitor, run.window_start, run.window_end, run.status, run.finished_at, run.rows_read)

    def where(self) -> str:
        return f"monitor {self.monitor!r} run [{self.window_start}, {self.window_end})"

    def check(self, *, finished: bool) -> None:
        """Raise naming the bad field; `finished` demands a final status and a finish time."""
        where = self.where()
        check_name(self.monitor, "monitor", where)
        start = timestamp(self.window_start, "window_start", where)
        end = timestamp(self.window_end, "window_end", where)
        if end <= start:
            raise MetricsInputError(f"{where}: window_end must be after window_start")
        statuses = RUN_STATUSES if finished else (*RUN_STATUSES, "running")
        if self.status not in statuses:
            raise MetricsInputError(
                f"{where}: status must be one of {', '.join(statuses)}, got {self.status!r}"
            )
        if self.finished_at is not None:
            timestamp(self.finished_at, "finished_at", where)
        elif finished:
            raise MetricsInputError(f"{where}: finished_at is required for a finished run")
        check_count(self.rows_read, "rows_read", where)


@dataclass(frozen=True)
class AlertValue:
    """The alert severity of one statistic of one column: 0 ok, 1 warning, 2 critical.

    alerts.Severity is an IntEnum with these values and may be passed as it is.
    """

    monitor: str
    column: str
    statistic: str
    severity: int

    @classmethod
    def from_event(cls, event: AlertEventLike) -> AlertValue:
        """Return the state a stored latest alert event (store.AlertEventRecord) leaves in force."""
        if event.state == "resolved":
            severity = 0
        elif event.state == "firing" and event.severity in ("warning", "critical"):
            severity = 1 if event.severity == "warning" else 2
        else:
            raise MetricsInputError(
                f"monitor {event.monitor!r} column {event.column!r} statistic {event.statistic!r}: "
                f"alert event state {event.state!r} with severity {event.severity!r} is not "
                "firing/resolved with warning/critical"
            )
        return cls(event.monitor, event.column, event.statistic, severity)

    def check(self) -> None:
        """Raise naming the bad field."""
        where = f"monitor {self.monitor!r} column {self.column!r} statistic {self.statistic!r}"
        check_name(self.monitor, "monitor", where)
        check_name(self.column, "column", where)
        if self.statistic not in STATISTICS:
            raise MetricsInputError(f"{where}: unknown statistic; expected one of {', '.join(STATISTICS)}")
        if (
            isinstance(self.severity, bool)
            or not isinstance(self.severity, int)
            or self.severity not in (0, 1, 2)
        ):
            raise MetricsInputError(
                f"{where}: severity must be 0 (ok), 1 (warning) or 2 (critical), got {self.severity!r}"
            )
