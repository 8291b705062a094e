"""The one place that decides which samples a state exports; text and Collector paths both use it.

Samples come in batches of one family and sample name: (family index in FAMILIES, sample name,
labels, values), in exposition order, so the text path formats a batch in one comprehension.
Missing values (no result yet, insufficient data, a failed column, a setting not reported)
produce no sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from driftmon.core import STATISTICS
from driftmon.metrics.names import FAMILIES, STATISTIC_METRICS, THRESHOLD_SEVERITIES
from driftmon.metrics.state import ColumnState, MonitorState, ProcessState
from driftmon.metrics.text import NO_LABELS, LabelSet

__all__ = ["Batch", "column_samples", "monitor_samples", "process_samples"]

Batch = tuple[int, str, Sequence[LabelSet], Sequence[float]]

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
# Per statistic: (index, name) of the value, then of null expected, null quantile and p-value.
_STAT = {
    stat: ((_i(m.value), m.value), tuple((_i(n), n) for n in (m.null_expected, m.null_quantile, m.p_value)))
    for stat, m in STATISTIC_METRICS.items()
}
_DURATION_NAME = FAMILIES[_DURATION].name


def _name(index: int) -> str:
    return FAMILIES[index].name


def process_samples(state: ProcessState) -> Iterator[Batch]:
    """Yield the process-wide samples: build info, database reachability, snapshot load time."""
    yield _BUILD, _name(_BUILD), (state.labels,), (1.0,)
    if state.database_up is not None:
        yield _DB_UP, _name(_DB_UP), (NO_LABELS,), (1.0 if state.database_up else 0.0,)
    if state.load_seconds is not None:
        yield _LOAD, _name(_LOAD), (NO_LABELS,), (state.load_seconds,)


def monitor_samples(state: MonitorState) -> Iterator[Batch]:
    """Yield every sample of one monitor, its columns included."""
    labels = (state.labels,)
    if state.spec.interval_seconds is not None:
        yield _INTERVAL, _name(_INTERVAL), labels, (state.spec.interval_seconds,)
    runs = [(state.run_labels[status], float(count)) for status, count in state.runs.items()]
    yield _RUNS, _name(_RUNS), [r[0] for r in runs], [r[1] for r in runs]
    yield _DURATION, f"{_DURATION_NAME}_bucket", state.bucket_labels, [float(n) for n in state.buckets]
    yield _DURATION, f"{_DURATION_NAME}_count", labels, (float(state.buckets[-1]),)
    yield _DURATION, f"{_DURATION_NAME}_sum", labels, (state.duration_sum,)
    yield _ROWS, _name(_ROWS), labels, (float(state.rows_read),)
    optional = (
        (_SUCCESS, state.last_success),
        (_WINDOW_END, state.last_window_end),
        (_BEHIND, state.windows_behind),
        (_SOURCE_UP, state.source_up),
    )
    for index, number in optional:
        if number is not None:
            yield index, _name(index), labels, (float(number),)
    yield from column_samples(tuple(state.columns.values()))


def _present(index: int, pairs: list[tuple[LabelSet, float | None]]) -> Batch:
    kept = [(labels, value) for labels, value in pairs if value is not None]
    return index, _name(index), [k[0] for k in kept], [k[1] for k in kept]


def column_samples(columns: Sequence[ColumnState]) -> Iterator[Batch]:
    """Yield the samples of a monitor's columns: latest results, alert states and thresholds."""
    results = [(c.labels, c.latest) for c in columns if c.latest is not None]
    ones = [1.0] * len(results)
    yield _STATUS, _name(_STATUS), [lbl.extend(("status",), (r.status,)) for lbl, r in results], ones
    yield _present(
        _BASELINE,
        [
            (lbl.extend(("version",), (str(r.baseline_version),)), 1.0)
            for lbl, r in results
            if r.baseline_version is not None
        ],
    )
    yield _COL_END, _name(_COL_END), [lbl for lbl, _ in results], [r.window_end for _, r in results]
    yield _present(_N_LIVE, [(lbl, None if r.n_live is None else float(r.n_live)) for lbl, r in results])
    yield _present(
        _N_REF, [(lbl, None if r.n_reference is None else float(r.n_reference)) for lbl, r in results]
    )
    for stat in STATISTICS:
        (value_index, _), null_families = _STAT[stat]
        yield _present(value_index, [(lbl, r.statistics.get(stat)) for lbl, r in results])
        nulls = [(lbl, r.null[stat]) for lbl, r in results if stat in r.null]
        for part, (index, _) in enumerate(null_families):
            yield _present(index, [(lbl, null[part]) for lbl, null in nulls])
    alerts = [(c.alert_labels[s], float(c.alerts.get(s, 0))) for c in columns for s in c.spec.thresholds]
    yield _ALERT, _name(_ALERT), [a[0] for a in alerts], [a[1] for a in alerts]
    yield _present(
        _THRESHOLD,
        [
            (c.threshold_labels[severity, stat], level)
            for c in columns
            for stat, thresholds in c.spec.thresholds.items()
            for severity, level in zip(THRESHOLD_SEVERITIES, thresholds, strict=True)
        ],
    )
