"""What runs report to the snapshot: a run's outcome, its columns' scores and alert states.

Results and runs are taken as they are: a column result is a results.ResultRecord (stored or
a run's), a run anything with RunLike's attributes (the store's RunRecord, a run's RunValues).
They were checked where they were made (the config, the store, the jobs), so the snapshot does
not check them again. A stored alert event maps onto AlertValue (read by attribute, so this
module does not import the store):

    AlertEventRecord -> AlertValue.from_event    (store.current_alert_states)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from driftmon.core import STATISTICS, finite
from driftmon.metrics.errors import MetricsInputError
from driftmon.results import ResultRecord


class RunLike(Protocol):
    """A run (store.RunRecord and RunValues have these attributes)."""

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
    def of(cls, result: ResultRecord) -> LatestValues:
        """Return a column result (stored, or a run's) as held."""
        stats: dict[str, float] = {}
        nulls: dict[str, tuple[float | None, float | None, float | None]] = {}
        for stat in STATISTICS:
            value = finite(result.scores.get(stat))
            if value is not None:
                stats[stat] = value
            level = result.null_levels.get(stat)
            if level is None:
                continue
            null = (finite(level.expected), finite(level.quantile), finite(level.p_value))
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


@dataclass(frozen=True)
class RunValues:
    """A run of one window as a run reports it: its outcome, when it finished, live rows read.

    The snapshot takes the store's RunRecord as it is (both have RunLike's attributes).
    """

    monitor: str
    window_start: datetime
    window_end: datetime
    status: str
    finished_at: datetime | None = None
    rows_read: int | None = None


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
