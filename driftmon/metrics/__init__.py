"""driftmon.metrics: the Prometheus metrics contract, the in-memory snapshot and its exposition.

Runs report to a `MetricsSnapshot` (`apply_run`), start-up loads it from the store
(`rebuild`), and a scrape reads it without computing: `exposition()` serves the cached text.
Column results and runs are taken as they are (a results.ResultRecord, stored or a run's; the
store's RunRecord or a run's RunValues: see `RunLike`); the store's alert events map onto
`AlertValue` with `AlertValue.from_event`.
docs/metrics.md is the reference of every metric.
"""

from __future__ import annotations

from driftmon.metrics.errors import MetricsInputError
from driftmon.metrics.from_config import cron_interval_seconds, monitor_spec, monitor_specs
from driftmon.metrics.names import (
    COLUMN_FAMILIES,
    COMPLETED_STATUSES,
    DURATION_BUCKETS,
    FAMILIES,
    MONITOR_FAMILIES,
    PROCESS_FAMILIES,
    RUN_STATUSES,
    STATISTIC_METRICS,
    STATISTIC_UNITS,
    MetricFamilyDef,
    StatisticMetrics,
    family,
)
from driftmon.metrics.render import CONTENT_TYPE
from driftmon.metrics.snapshot import MetricsSnapshot
from driftmon.metrics.specs import ColumnSpec, MonitorSpec, Thresholds
from driftmon.metrics.values import AlertValue, LatestValues, RunLike, RunValues

__all__ = [
    "COLUMN_FAMILIES",
    "COMPLETED_STATUSES",
    "CONTENT_TYPE",
    "DURATION_BUCKETS",
    "FAMILIES",
    "MONITOR_FAMILIES",
    "PROCESS_FAMILIES",
    "RUN_STATUSES",
    "STATISTIC_METRICS",
    "STATISTIC_UNITS",
    "AlertValue",
    "ColumnSpec",
    "LatestValues",
    "MetricFamilyDef",
    "MetricsInputError",
    "MetricsSnapshot",
    "MonitorSpec",
    "RunLike",
    "RunValues",
    "StatisticMetrics",
    "Thresholds",
    "cron_interval_seconds",
    "family",
    "monitor_spec",
    "monitor_specs",
]
