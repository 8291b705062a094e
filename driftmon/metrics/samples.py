"""The one place that decides which samples a state exports; text and Collector paths both use it.

A sample is (family index in FAMILIES, sample name, labels, value). Missing values (no
result yet, insufficient data, a failed column, a setting not reported) produce no sample.
"""

from __future__ import annotations

from collections.abc import Iterator

from driftmon.core import STATISTICS
from driftmon.metrics.names import FAMILIES, STATISTIC_METRICS, THRESHOLD_SEVERITIES
from driftmon.metrics.state import ColumnState, MonitorState, ProcessState
from driftmon.metrics.text import NO_LABELS, LabelSet

__all__ = ["Sample", "column_samples", "monitor_samples", "process_samples"]

Sample = tuple[int, str, LabelSet, float]

_INDEX = {f.name: i for i, f in enumerate(FAMILIES)}


def _i(name: str) -> int:
    return _INDEX[name]


_BUILD = _i("driftmon_build_info")
_DB_UP = _i("driftmon_database_up")
_LOAD = _i("driftmon_snapshot_load_seconds")
_INTERVAL = _i("driftmon_monitor_interval_seconds")
_RUNS = _i("driftmon_monitor_runs_total")
_DURATION = _i("driftmon_monitor_run_duration_seconds")
_ROWS = _i("driftmon_monitor_rows_read_total")
_SUCCESS = _i("driftmon_monitor_last_success_timestamp_seconds")
_WINDOW_END = _i("driftmon_monitor_last_window_end_timestamp_seconds")
_BEHIND = _i("driftmon_monitor_windows_behind")
_SOURCE_UP = _i("driftmon_monitor_source_up")
_STATUS = _i("driftmon_column_status_info")
_BASELINE = _i("driftmon_column_baseline_info")
_COL_END = _i("driftmon_column_window_end_timestamp_seconds")
_N_LIVE = _i("driftmon_column_live_values")
_N_REF = _i("driftmon_column_reference_values")
_ALERT = _i("driftmon_column_alert_state")
_THRESHOLD = _i("driftmon_column_alert_threshold")
# Per statistic: (index, name) of value, null expected, null quantile, p-value.
_STAT = {
    stat: tuple((_i(name), name) for name in (m.value, m.null_expected, m.null_quantile, m.p_value))
    for stat, m in STATISTIC_METRICS.items()
}
_DURATION_NAME = FAMILIES[_DURATION].name


def process_samples(state: ProcessState) -> Iterator[Sample]:
    """Yield the process-wide samples: build info, database reachability, snapshot load time."""
    yield _BUILD, FAMILIES[_BUILD].name, state.labels, 1.0
    if state.database_up is not None:
        yield _DB_UP, FAMILIES[_DB_UP].name, NO_LABELS, 1.0 if state.database_up else 0.0
    if state.load_seconds is not None:
        yield _LOAD, FAMILIES[_LOAD].name, NO_LABELS, state.load_seconds


def monitor_samples(state: MonitorState) -> Iterator[Sample]:
    """Yield every sample of one monitor, its columns included."""
    labels = state.labels
    if state.spec.interval_seconds is not None:
        yield _INTERVAL, FAMILIES[_INTERVAL].name, labels, state.spec.interval_seconds
    for status, count in state.runs.items():
        yield _RUNS, FAMILIES[_RUNS].name, state.run_labels[status], float(count)
    for bucket, count in zip(state.bucket_labels, state.buckets, strict=True):
        yield _DURATION, f"{_DURATION_NAME}_bucket", bucket, float(count)
    yield _DURATION, f"{_DURATION_NAME}_count", labels, float(state.buckets[-1])
    yield _DURATION, f"{_DURATION_NAME}_sum", labels, state.duration_sum
    yield _ROWS, FAMILIES[_ROWS].name, labels, float(state.rows_read)
    if state.last_success is not None:
        yield _SUCCESS, FAMILIES[_SUCCESS].name, labels, state.last_success
    if state.last_window_end is not None:
        yield _WINDOW_END, FAMILIES[_WINDOW_END].name, labels, state.last_window_end
    if state.windows_behind is not None:
        yield _BEHIND, FAMILIES[_BEHIND].name, labels, float(state.windows_behind)
    if state.source_up is not None:
        yield _SOURCE_UP, FAMILIES[_SOURCE_UP].name, labels, 1.0 if state.source_up else 0.0
    for column in state.columns.values():
        yield from column_samples(column)


def column_samples(column: ColumnState) -> Iterator[Sample]:
    """Yield one column's samples: its latest result, alert states and thresholds."""
    labels, latest = column.labels, column.latest
    if latest is not None:
        yield _STATUS, FAMILIES[_STATUS].name, labels.extend(("status",), (latest.status,)), 1.0
        if latest.baseline_version is not None:
            version = labels.extend(("version",), (str(latest.baseline_version),))
            yield _BASELINE, FAMILIES[_BASELINE].name, version, 1.0
        yield _COL_END, FAMILIES[_COL_END].name, labels, latest.window_end
        if latest.n_live is not None:
            yield _N_LIVE, FAMILIES[_N_LIVE].name, labels, float(latest.n_live)
        if latest.n_reference is not None:
            yield _N_REF, FAMILIES[_N_REF].name, labels, float(latest.n_reference)
        for stat in STATISTICS:
            (value_i, value_name), *null_families = _STAT[stat]
            value = latest.statistics.get(stat)
            if value is not None:
                yield value_i, value_name, labels, value
            null = latest.null.get(stat)
            if null is not None:
                for (i, name), part in zip(null_families, null, strict=True):
                    if part is not None:
                        yield i, name, labels, part
    for stat in column.spec.thresholds:
        yield _ALERT, FAMILIES[_ALERT].name, column.alert_labels[stat], float(column.alerts.get(stat, 0))
    for stat, thresholds in column.spec.thresholds.items():
        for severity, level in zip(THRESHOLD_SEVERITIES, thresholds, strict=True):
            if level is not None:
                yield _THRESHOLD, FAMILIES[_THRESHOLD].name, column.threshold_labels[severity, stat], level
