"""The one place that decides which samples a state exports; text and Collector paths both use it.

Samples come in batches of one family and sample name: (family index in FAMILIES, sample name,
labels, values), each family's in exposition order, so the text path formats a batch at once.
Labels that add to a column's own (status, version, statistic, severity) come as ExtendedLabels:
their text, the sets themselves only when read.
Missing values (no result yet, insufficient data, a failed column, a setting not reported)
produce no sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import compress
from typing import cast

from driftmon.core import STATISTICS
from driftmon.metrics.names import COLUMN_STATUSES, FAMILIES, STATISTIC_METRICS, THRESHOLD_SEVERITIES
from driftmon.metrics.state import ColumnState, MonitorState, ProcessState
from driftmon.metrics.text import NO_LABELS, ExtendedLabels, LabelSet, label_set
from driftmon.metrics.values import SCORE_PARTS, CheckedColumn

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
# The family and sample name of each place of CheckedColumn.scores.
_PART_NAMES = {"expected": "null_expected", "quantile": "null_quantile", "p_value": "p_value"}
_SCORE_NAMES = [
    getattr(STATISTIC_METRICS[stat], "value" if part == "value" else _PART_NAMES[part])
    for stat, part in SCORE_PARTS
]
_SCORE_FAMILIES = tuple((_i(name), name) for name in _SCORE_NAMES)
# The labels status, alert states and thresholds add after a column's own: values, and text
# (with the space that ends a sample line's labels; see ExtendedLabels).
_STATUS_VALUES = {status: (status,) for status in COLUMN_STATUSES}
_STATISTIC_VALUES = {stat: (stat,) for stat in STATISTICS}
_ALERT_HEAD = {stat: "," + label_set(("statistic",), (stat,)).text[1:] + " " for stat in STATISTICS}
# A threshold's label values, the warning's and the critical's, by statistic (Thresholds' order).
_THRESHOLD_KEYS = {stat: tuple((sev, stat) for sev in THRESHOLD_SEVERITIES) for stat in STATISTICS}
_THRESHOLD_HEAD = {
    key: "," + label_set(("severity", "statistic"), key).text[1:] + " "
    for keys in _THRESHOLD_KEYS.values()
    for key in keys
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


def _present(index: int, name: str, labels: Sequence[LabelSet], values: Sequence[float | None]) -> Batch:
    """Return the batch of the values that are not None (all of them, as given, in the common case)."""
    if None not in values:
        return index, name, labels, cast(Sequence[float], values)
    kept = [value is not None for value in values]
    return index, name, list(compress(labels, kept)), [v for v in values if v is not None]


def column_samples(columns: Sequence[ColumnState]) -> Iterator[Batch]:
    """Yield the samples of a monitor's columns: latest results, alert states and thresholds."""
    labels: list[LabelSet] = []
    results: list[CheckedColumn] = []
    for column in columns:
        if column.latest is not None:
            labels.append(column.labels)
            results.append(column.latest)
    opens = [lbl.text[:-1] for lbl in labels]  # each column's label text, open for more labels
    statuses = [r.status for r in results]
    heads = [f'{head},status="{status}"}} ' for head, status in zip(opens, statuses, strict=True)]
    values = [_STATUS_VALUES[status] for status in statuses]
    ones = [1.0] * len(results)
    yield _STATUS, _name(_STATUS), ExtendedLabels(labels, ("status",), values, heads), ones
    versions = [
        (lbl, head, str(r.baseline_version))
        for lbl, head, r in zip(labels, opens, results, strict=True)
        if r.baseline_version is not None
    ]
    heads = [f'{head},version="{version}"}} ' for _, head, version in versions]
    values = [(version,) for _, _, version in versions]
    version_labels = ExtendedLabels([v[0] for v in versions], ("version",), values, heads)
    yield _BASELINE, _name(_BASELINE), version_labels, ones[: len(versions)]
    yield _COL_END, _name(_COL_END), labels, [r.window_end for r in results]
    live = [None if r.n_live is None else float(r.n_live) for r in results]
    yield _present(_N_LIVE, _name(_N_LIVE), labels, live)
    reference = [None if r.n_reference is None else float(r.n_reference) for r in results]
    yield _present(_N_REF, _name(_N_REF), labels, reference)
    if results:
        # One tuple of scores per column, turned into one tuple per family.
        by_family = zip(_SCORE_FAMILIES, zip(*[r.scores for r in results], strict=True), strict=True)
        if all(r.complete for r in results):
            for (index, name), scores in by_family:
                yield index, name, labels, cast(Sequence[float], scores)
        else:
            for (index, name), scores in by_family:
                yield _present(index, name, labels, scores)
    yield from _alert_samples(columns)


def _alert_samples(columns: Sequence[ColumnState]) -> Iterator[Batch]:
    """Yield the alert states and thresholds of the statistics that have thresholds, per column."""
    # (column labels, their text open for more, alert states, statistic, thresholds) per statistic
    entries = [
        (c.labels, c.labels.text[:-1], c.alerts, stat, pair)
        for c in columns
        if c.spec.thresholds
        for stat, pair in c.spec.thresholds.items()
    ]
    labels = ExtendedLabels(
        [e[0] for e in entries],
        ("statistic",),
        [_STATISTIC_VALUES[e[3]] for e in entries],
        [opened + _ALERT_HEAD[stat] for _, opened, _, stat, _ in entries],
    )
    yield _ALERT, _name(_ALERT), labels, [float(alerts.get(stat, 0)) for _, _, alerts, stat, _ in entries]
    levels = [
        (lbl, opened, key, level)
        for lbl, opened, _, stat, pair in entries
        for key, level in zip(_THRESHOLD_KEYS[stat], pair, strict=True)
        if level is not None
    ]
    labels = ExtendedLabels(
        [t[0] for t in levels],
        ("severity", "statistic"),
        [t[2] for t in levels],
        [opened + _THRESHOLD_HEAD[key] for _, opened, key, _ in levels],
    )
    yield _THRESHOLD, _name(_THRESHOLD), labels, [t[3] for t in levels]
