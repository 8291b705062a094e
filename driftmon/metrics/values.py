"""What runs report to the snapshot: a run's outcome, its columns' scores and alert states.

The store's records map onto these one to one (`from_result`, `from_run`, `from_event` read
them by attribute, so this module does not import the store):

    ResultSummary  -> ColumnValues.from_result   (store.latest_results; StoredColumn.from_result
                                                  at start-up and when following the store)
    RunRecord      -> RunValues.from_run         (store.run_history)
    AlertEventRecord -> AlertValue.from_event    (store.current_alert_states)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics.checks import check_count, check_name, finite_or_none, timestamp
from driftmon.metrics.errors import MetricsInputError
from driftmon.metrics.names import COLUMN_STATUSES, RUN_STATUSES

__all__ = [
    "AlertEventLike",
    "AlertValue",
    "CheckedColumn",
    "ColumnValues",
    "ResultLike",
    "RunLike",
    "RunValues",
    "StoredColumn",
]


_KNOWN = frozenset(STATISTICS)
_NULL_PARTS = ("expected", "quantile", "p_value")
# What a bad value is called in an error message (built once, not per value checked).
_WHAT = {s: f"statistic {s}" for s in STATISTICS}
_NULL_WHAT = {s: tuple(f"null {part} of {s}" for part in _NULL_PARTS) for s in STATISTICS}


class ResultLike(Protocol):
    """What ColumnValues.from_result reads (store.ResultSummary and jobs.ColumnOutcome have it)."""

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


class CheckedColumn(NamedTuple):
    """A column result as the snapshot keeps it: timestamps in Unix seconds, only finite numbers.

    `statistics` holds the statistics that have a value; `null` the (expected, quantile,
    p_value) of the statistics with any of them known, None for a part that is not.
    """

    status: str
    window_end: float
    baseline_version: int | None
    n_live: int | None
    n_reference: int | None
    statistics: Mapping[str, float]
    null: Mapping[str, tuple[float | None, float | None, float | None]]


@dataclass(frozen=True)
class ColumnValues:
    """One column's latest result: status, window end, baseline version, sample sizes and scores.

    Statistics and null levels may be missing or None (insufficient data, failed column); NaN
    and infinities count as missing. Those series are left out of the exposition.
    """

    monitor: str
    column: str
    status: str
    window_end: datetime
    baseline_version: int | None = None
    n_live: int | None = None
    n_reference: int | None = None
    statistics: Mapping[str, float | None] = field(default_factory=dict)
    null: Mapping[str, NullLevel | None] = field(default_factory=dict)

    @classmethod
    def from_result(cls, result: ResultLike) -> ColumnValues:
        """Return the values of a stored result (store.ResultSummary) or a run's (jobs.ColumnOutcome)."""
        return cls(
            monitor=result.monitor,
            column=result.column,
            status=result.status,
            window_end=result.window_end,
            baseline_version=result.baseline_version,
            n_live=result.n_live,
            n_reference=result.n_reference,
            statistics=result.statistics(),
            null={name: result.null(name) for name in STATISTICS},
        )

    def checked(self) -> CheckedColumn:
        """Return the values checked and normalised, or raise naming the bad field."""
        where = f"monitor {self.monitor!r} column {self.column!r}"
        check_name(self.monitor, "monitor", where)
        check_name(self.column, "column", where)
        if self.status not in COLUMN_STATUSES:
            raise MetricsInputError(
                f"{where}: status must be one of {', '.join(COLUMN_STATUSES)}, got {self.status!r}"
            )
        for key, mapping in (("statistics", self.statistics), ("null", self.null)):
            if not isinstance(mapping, Mapping):
                raise MetricsInputError(f"{where}: {key} must be a mapping by statistic name")
            unknown = sorted(str(s) for s in mapping if s not in _KNOWN)
            if unknown:
                raise MetricsInputError(
                    f"{where}: {key} has unknown statistic {unknown[0]!r}; "
                    f"expected one of {', '.join(STATISTICS)}"
                )
        stats: dict[str, float] = {}
        nulls: dict[str, tuple[float | None, float | None, float | None]] = {}
        for stat in STATISTICS:  # statistic order, whatever the mapping's
            value = finite_or_none(self.statistics.get(stat), _WHAT[stat], where)
            if value is not None:
                stats[stat] = value
            level = self.null.get(stat)
            if level is None:
                continue
            if not isinstance(level, NullLevel):
                raise MetricsInputError(f"{where}: null[{stat!r}] must be a core NullLevel, got {level!r}")
            what = _NULL_WHAT[stat]
            e = finite_or_none(level.expected, what[0], where)
            q = finite_or_none(level.quantile, what[1], where)
            p = finite_or_none(level.p_value, what[2], where)
            if (e, q, p) != (None, None, None):
                nulls[stat] = (e, q, p)
        return CheckedColumn(
            status=self.status,
            window_end=timestamp(self.window_end, "window_end", where),
            baseline_version=check_count(self.baseline_version, "baseline_version", where),
            n_live=check_count(self.n_live, "n_live", where),
            n_reference=check_count(self.n_reference, "n_reference", where),
            statistics=stats,
            null=nulls,
        )


class StoredColumn(NamedTuple):
    """A column's latest result read from the store, already in the form the snapshot keeps.

    `from_result` normalises it as ColumnValues.checked() does (numbers that are not finite
    left out, the window end in Unix seconds) without its checks: the store checked names,
    counts and numbers when it wrote the result, its schema allows only the known statuses and
    gives timezone-aware times back. Start-up and the store follower read results this way.
    """

    monitor: str
    column: str
    values: CheckedColumn

    @classmethod
    def from_result(cls, result: ResultLike) -> StoredColumn:
        """Return a stored result (store.ResultSummary) as the snapshot keeps it."""
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
        values = CheckedColumn(
            status=result.status,
            window_end=result.window_end.timestamp(),
            baseline_version=result.baseline_version,
            n_live=result.n_live,
            n_reference=result.n_reference,
            statistics=stats,
            null=nulls,
        )
        return cls(result.monitor, result.column, values)


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
