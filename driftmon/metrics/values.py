"""What runs report to the snapshot: a run's outcome, its columns' scores and alert states.

The store's records map onto these one to one (`from_result`, `from_run`, `from_event` read
them by attribute, so this module does not import the store):

    ResultSummary  -> ColumnValues.from_result   (store.latest_results)
    RunRecord      -> RunValues.from_run         (store.run_history)
    AlertEventRecord -> AlertValue.from_event    (store.current_alert_states)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain
from math import isfinite
from operator import attrgetter
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics.checks import check_count, check_name, finite_or_none, timestamp
from driftmon.metrics.errors import MetricsInputError
from driftmon.metrics.names import COLUMN_STATUSES, RUN_STATUSES

__all__ = [
    "SCORE_PARTS",
    "AlertEventLike",
    "AlertValue",
    "CheckedColumn",
    "ColumnValues",
    "ResultLike",
    "RunLike",
    "RunValues",
]


_KNOWN = frozenset(STATISTICS)
_WHAT = {stat: f"statistic {stat}" for stat in STATISTICS}
_NULL_WHAT = {
    (stat, part): f"null {part} of {stat}"
    for stat in STATISTICS
    for part in ("expected", "quantile", "p_value")
}
# The order of CheckedColumn.scores: (statistic, "value" or the null level's field).
SCORE_PARTS: tuple[tuple[str, str], ...] = (
    *((stat, "value") for stat in STATISTICS),
    *((stat, part) for stat in STATISTICS for part in ("expected", "quantile", "p_value")),
)
_NO_NULL = (None, None, None)
_NO_NULLS = (_NO_NULL,) * len(STATISTICS)


class _NoLevel(NamedTuple):
    """Stands for a missing null level where one is read field by field."""

    expected: None = None
    quantile: None = None
    p_value: None = None


_NO_LEVEL = _NoLevel()
_NO_LEVELS = (_NO_LEVEL,) * len(STATISTICS)
_NONE = type(None)
_NUMBER = frozenset({float, _NONE})
_LEVEL = frozenset({NullLevel, _NoLevel})
_LEVEL_OR_NONE = _LEVEL | {_NONE}
# Time zones whose utcoffset() is never None.
_FIXED_ZONES = frozenset({timezone, ZoneInfo})
_NULL_PARTS = attrgetter("expected", "quantile", "p_value")


class ResultLike(Protocol):
    """What ColumnValues.from_result reads (store.ResultSummary has it)."""

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

    `scores` holds every statistic's value, then every statistic's null expected, null quantile
    and p-value (SCORE_PARTS names each place), None where one is missing; `complete` tells
    that none is.
    """

    status: str
    window_end: float
    baseline_version: int | None
    n_live: int | None
    n_reference: int | None
    scores: tuple[float | None, ...]
    complete: bool

    @property
    def statistics(self) -> dict[str, float]:
        """Return the statistics that have a value."""
        return {s: v for s, v in zip(STATISTICS, self.scores, strict=False) if v is not None}

    @property
    def null(self) -> dict[str, tuple[float | None, float | None, float | None]]:
        """Return (expected, quantile, p_value) of the statistics with any of them known."""
        parts = self.scores[len(STATISTICS) :]
        levels = zip(STATISTICS, zip(parts[0::3], parts[1::3], parts[2::3], strict=True), strict=True)
        return {s: level for s, level in levels if level != _NO_NULL}


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
        """Return the values of a stored result (store.ResultSummary)."""
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
        fast = self._canonical()
        if fast is not None:
            return fast
        where = f"monitor {self.monitor!r} column {self.column!r}"
        check_name(self.monitor, "monitor", where)
        check_name(self.column, "column", where)
        if self.status not in COLUMN_STATUSES:
            raise MetricsInputError(
                f"{where}: status must be one of {', '.join(COLUMN_STATUSES)}, got {self.status!r}"
            )
        stats: dict[str, float] = {}
        nulls: dict[str, tuple[float | None, float | None, float | None]] = {}
        for key, mapping in (("statistics", self.statistics), ("null", self.null)):
            if type(mapping) is not dict and not isinstance(mapping, Mapping):
                raise MetricsInputError(f"{where}: {key} must be a mapping by statistic name")
            if mapping.keys() - _KNOWN:
                unknown = sorted(str(s) for s in mapping if s not in STATISTICS)
                raise MetricsInputError(
                    f"{where}: {key} has unknown statistic {unknown[0]!r}; "
                    f"expected one of {', '.join(STATISTICS)}"
                )
        # Start-up checks every stored result: plain finite floats take the short path.
        stats_in, null_in = self.statistics, self.null
        for stat in STATISTICS:
            value = stats_in.get(stat)
            if value is not None:
                if type(value) is not float:
                    value = finite_or_none(value, _WHAT[stat], where)
                if value is not None and isfinite(value):
                    stats[stat] = value
            level = null_in.get(stat)
            if level is None:
                continue
            if type(level) is not NullLevel and not isinstance(level, NullLevel):
                raise MetricsInputError(f"{where}: null[{stat!r}] must be a core NullLevel, got {level!r}")
            parts: tuple[float | None, ...] = (level.expected, level.quantile, level.p_value)
            if not all(type(p) is float and isfinite(p) for p in parts):
                parts = tuple(
                    finite_or_none(p, _NULL_WHAT[stat, name], where)
                    for p, name in zip(parts, ("expected", "quantile", "p_value"), strict=True)
                )
            if parts != (None, None, None):
                nulls[stat] = (parts[0], parts[1], parts[2])
        version = check_count(self.baseline_version, "baseline_version", where)
        scores = (*map(stats.get, STATISTICS), *chain.from_iterable(map(nulls.get, STATISTICS, _NO_NULLS)))
        return CheckedColumn(
            status=self.status,
            window_end=timestamp(self.window_end, "window_end", where),
            baseline_version=version,
            n_live=check_count(self.n_live, "n_live", where),
            n_reference=check_count(self.n_reference, "n_reference", where),
            scores=scores,
            complete=None not in scores,
        )

    def _canonical(self) -> CheckedColumn | None:
        """Return what checked() returns when every field is already in canonical form, else None.

        Start-up checks every stored result: names and status are plain strings, counts plain
        ints, scores plain finite floats or None, null levels None or core NullLevels of them.
        Anything else, NaN and infinities included, goes through checked()'s field-by-field path.
        """
        monitor, column, status = self.monitor, self.column, self.status
        if not (
            type(monitor) is str
            and monitor
            and type(column) is str
            and column
            and type(status) is str
            and status in COLUMN_STATUSES
        ):
            return None
        version, n_live, n_reference = self.baseline_version, self.n_live, self.n_reference
        for count in (version, n_live, n_reference):
            if count is not None and (type(count) is not int or count < 0):
                return None
        end = self.window_end
        if type(end) is not datetime or (type(end.tzinfo) not in _FIXED_ZONES and end.utcoffset() is None):
            return None
        stats_in, null_in = self.statistics, self.null
        if type(stats_in) is not dict or type(null_in) is not dict:
            return None
        if not (_KNOWN.issuperset(stats_in) and _KNOWN.issuperset(null_in)):
            return None
        levels = list(map(null_in.get, STATISTICS, _NO_LEVELS))
        kinds = set(map(type, levels))
        if not kinds <= _LEVEL:
            if not kinds <= _LEVEL_OR_NONE:
                return None
            levels = [_NO_LEVEL if level is None else level for level in levels]
        scores = (*map(stats_in.get, STATISTICS), *chain.from_iterable(map(_NULL_PARTS, levels)))
        # Floats or None only, and a finite sum of the floats: each of them is finite (a sum too
        # large for a float takes the slow path, which keeps those values).
        kinds = set(map(type, scores))
        if not (kinds <= _NUMBER and isfinite(sum(filter(None, scores)))):
            return None
        values = (status, end.timestamp(), version, n_live, n_reference, scores, _NONE not in kinds)
        return tuple.__new__(CheckedColumn, values)


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
        if self._canonical(finished):
            return  # start-up checks every stored run: the message is only built for a bad one
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

    def _canonical(self, finished: bool) -> bool:
        """Return True when check() has nothing to report, for plain values; False: look closer."""
        monitor, start, end, done, rows = (
            self.monitor,
            self.window_start,
            self.window_end,
            self.finished_at,
            self.rows_read,
        )
        return (
            type(monitor) is str
            and bool(monitor)
            and type(start) is datetime
            and type(end) is datetime
            and start.utcoffset() is not None
            and end.utcoffset() is not None
            and end > start
            and (self.status in RUN_STATUSES or (not finished and self.status == "running"))
            and (not finished if done is None else type(done) is datetime and done.utcoffset() is not None)
            and (rows is None or (type(rows) is int and rows >= 0))
        )


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
        monitor, column, severity = self.monitor, self.column, self.severity
        if (
            type(monitor) is str
            and monitor
            and type(column) is str
            and column
            and self.statistic in STATISTICS
            and type(severity) is not bool
            and isinstance(severity, int)
            and severity in (0, 1, 2)
        ):
            return  # plain values (start-up checks every stored alert state)
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
