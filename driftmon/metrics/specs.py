"""What the configuration says is exported: monitors, their columns, schedule and thresholds.

Plain frozen dataclasses so the metrics layer stays independent of the store and alerts;
`monitor_spec()` in driftmon.metrics.from_config builds them from a MonitorConfig. The
configuration checked what they hold (unique monitor and column names, known roles and
statistics, thresholds finite and >= 0), so the snapshot takes them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class Thresholds(NamedTuple):
    """The warning and critical thresholds in force for one statistic (None: that level is not set).

    A rule on noise multiples alone sets neither level; its statistic still has an alert state.
    """

    warning: float | None = None
    critical: float | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """A watched column: its role and the alert thresholds in force, by statistic.

    The exposition writes the thresholds in this mapping's order (monitor_spec() gives them
    in STATISTICS order).
    """

    name: str
    role: str = "feature"
    thresholds: Mapping[str, Thresholds] = field(default_factory=dict)


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
