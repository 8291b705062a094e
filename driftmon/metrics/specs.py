"""What the configuration says is exported: monitors, their columns, schedule and thresholds.

Plain frozen dataclasses so the metrics layer stays independent of the store and alerts;
`monitor_spec()` in driftmon.metrics.from_config builds them from a MonitorConfig.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, get_args

from driftmon.config import ColumnRole
from driftmon.core import STATISTICS
from driftmon.metrics.checks import check_name, check_number
from driftmon.metrics.errors import MetricsInputError

ROLES: tuple[str, ...] = get_args(ColumnRole)


class Thresholds(NamedTuple):
    """The warning and critical thresholds in force for one statistic (None: that level is not set)."""

    warning: float | None = None
    critical: float | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """A watched column: its role and the alert thresholds in force, by statistic."""

    name: str
    role: str = "feature"
    thresholds: Mapping[str, Thresholds] = field(default_factory=dict)

    def check(self, monitor: str) -> ColumnSpec:
        """Return a checked copy (thresholds as Thresholds of floats), or raise naming the bad entry."""
        where = f"monitor {monitor!r} column {self.name!r}"
        check_name(self.name, "column name", f"monitor {monitor!r}")
        if self.role not in ROLES:
            raise MetricsInputError(f"{where}: role must be one of {', '.join(ROLES)}, got {self.role!r}")
        if type(self.thresholds) is not dict and not isinstance(self.thresholds, Mapping):
            raise MetricsInputError(f"{where}: thresholds must be a mapping of statistic to Thresholds")
        checked: dict[str, Thresholds] = {}
        for stat in STATISTICS:  # statistic order, so the exposition does not follow dict order
            if stat in self.thresholds:
                checked[stat] = _thresholds(self.thresholds[stat], f"{where} statistic {stat!r}")
        unknown = sorted(str(s) for s in self.thresholds if s not in STATISTICS)
        if unknown:
            raise MetricsInputError(
                f"{where}: thresholds for unknown statistic {unknown[0]!r}; "
                f"expected one of {', '.join(STATISTICS)}"
            )
        return ColumnSpec(self.name, self.role, checked)


def _repeated(names: list[str]) -> list[str]:
    """Return the names listed more than once, sorted (a set first: specs hold thousands of names)."""
    if len(set(names)) == len(names):
        return []
    return sorted({n for n in names if names.count(n) > 1})


def _thresholds(value: object, where: str) -> Thresholds:
    if not isinstance(value, tuple) or len(value) != 2:
        raise MetricsInputError(f"{where}: thresholds must be Thresholds(warning, critical), got {value!r}")
    warning, critical = (
        check_number(v, key, where) for key, v in zip(Thresholds._fields, value, strict=True)
    )
    for key, number in (("warning", warning), ("critical", critical)):
        if number is not None and not (math.isfinite(number) and number >= 0):
            raise MetricsInputError(f"{where}: {key} threshold must be a finite number >= 0, got {number!r}")
    if warning is None and critical is None:
        raise MetricsInputError(f"{where}: set a warning or a critical threshold (or both)")
    return Thresholds(warning, critical)


@dataclass(frozen=True)
class MonitorSpec:
    """A configured monitor: its columns in config order, its run interval in seconds, its metric set.

    `interval_seconds` is the scheduled time between runs (for a cron schedule, the longest
    gap between consecutive fire times); None leaves driftmon_monitor_interval_seconds unset.
    `full` exports every column family (`metrics: full`), not only the default set.
    """

    name: str
    columns: Sequence[ColumnSpec]
    interval_seconds: float | None = None
    full: bool = False

    def check(self) -> MonitorSpec:
        """Return a checked copy, or raise naming the bad entry."""
        check_name(self.name, "monitor name", "monitor spec")
        where = f"monitor {self.name!r}"
        interval = check_number(self.interval_seconds, "interval_seconds", where)
        if interval is not None and not (math.isfinite(interval) and interval > 0):
            raise MetricsInputError(f"{where}: interval_seconds must be a positive number, got {interval!r}")
        if isinstance(self.columns, str | bytes) or not isinstance(self.columns, Sequence):
            raise MetricsInputError(f"{where}: columns must be a sequence of ColumnSpec")
        columns = []
        for i, column in enumerate(self.columns):
            if not isinstance(column, ColumnSpec):
                raise MetricsInputError(f"{where}: columns[{i}] must be a ColumnSpec, got {column!r}")
            columns.append(column.check(self.name))
        repeated = _repeated([c.name for c in columns])
        if repeated:
            raise MetricsInputError(f"{where}: column {repeated[0]!r} is listed twice")
        if not isinstance(self.full, bool):
            raise MetricsInputError(f"{where}: full must be True or False, got {self.full!r}")
        return MonitorSpec(self.name, tuple(columns), interval, self.full)


def check_specs(monitors: Sequence[MonitorSpec]) -> tuple[MonitorSpec, ...]:
    """Return the checked specs in the given order; monitor names must be unique."""
    checked = []
    for i, spec in enumerate(monitors):
        if not isinstance(spec, MonitorSpec):
            raise MetricsInputError(f"monitors[{i}] must be a MonitorSpec, got {spec!r}")
        checked.append(spec.check())
    repeated = _repeated([m.name for m in checked])
    if repeated:
        raise MetricsInputError(f"monitor {repeated[0]!r} is listed twice")
    return tuple(checked)
