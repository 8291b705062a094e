"""Immutable per-monitor state of the snapshot, and the pure updates that runs make to it.

Every update returns a new state, so a reader holding the old one never sees a half-applied
run, and the snapshot can render a monitor's lines outside any lock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from driftmon.core import STATISTICS
from driftmon.metrics.names import (
    COLUMN_LABELS,
    COMPLETED_STATUSES,
    DURATION_BUCKETS,
    RUN_STATUSES,
    THRESHOLD_SEVERITIES,
)
from driftmon.metrics.specs import ColumnSpec, MonitorSpec
from driftmon.metrics.text import LabelSet, go_float, label_set
from driftmon.metrics.values import CheckedColumn

__all__ = [
    "ColumnState",
    "MonitorState",
    "ProcessState",
    "configured",
    "with_alert",
    "with_alerts",
    "with_columns",
    "with_completed_run",
    "with_completed_runs",
    "with_counted_run",
]


class ColumnState(NamedTuple):
    """A configured column, its latest result (None before the first) and its alert severities."""

    spec: ColumnSpec
    labels: LabelSet
    alert_labels: Mapping[str, LabelSet]
    threshold_labels: Mapping[tuple[str, str], LabelSet]
    latest: CheckedColumn | None
    alerts: Mapping[str, int]


@dataclass(frozen=True)
class MonitorState:
    """A configured monitor: its columns, run counters and timestamps (Unix seconds)."""

    spec: MonitorSpec
    labels: LabelSet
    run_labels: Mapping[str, LabelSet]
    bucket_labels: tuple[LabelSet, ...]
    columns: Mapping[str, ColumnState]
    runs: Mapping[str, int]
    buckets: tuple[int, ...]  # cumulative, one per DURATION_BUCKETS entry and +Inf
    duration_sum: float = 0.0
    rows_read: int = 0
    last_success: float | None = None
    last_window_end: float | None = None
    windows_behind: int | None = None
    source_up: bool | None = None


@dataclass(frozen=True)
class ProcessState:
    version: str
    database_up: bool | None = None
    load_seconds: float | None = None
    labels: LabelSet = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", label_set(("version",), (self.version,)))


# The labels alert states and thresholds add after a column's own, rendered once for all columns.
_ALERT_NAMES = (*COLUMN_LABELS, "statistic")
_THRESHOLD_NAMES = (*COLUMN_LABELS, "severity", "statistic")
_ALERT_TEXT = {s: label_set(("statistic",), (s,)).text[1:] for s in STATISTICS}
_THRESHOLD_TEXT = {
    (sev, s): label_set(("severity", "statistic"), (sev, s)).text[1:]
    for s in STATISTICS
    for sev in THRESHOLD_SEVERITIES
}


def _column_state(monitor: str, spec: ColumnSpec, previous: ColumnState | None) -> ColumnState:
    # Start-up builds one of these per configured column: the labels are assembled by hand.
    base = (spec.name, monitor, spec.role)
    labels = label_set(COLUMN_LABELS, base)
    head = labels.text[:-1] + ","
    alert_labels = {s: LabelSet(_ALERT_NAMES, (*base, s), head + _ALERT_TEXT[s]) for s in spec.thresholds}
    threshold_labels = {
        (sev, s): LabelSet(_THRESHOLD_NAMES, (*base, sev, s), head + _THRESHOLD_TEXT[sev, s])
        for s in spec.thresholds
        for sev in THRESHOLD_SEVERITIES
    }
    # Alert states only exist for statistics that have thresholds in force.
    alerts = {s: v for s, v in previous.alerts.items() if s in spec.thresholds} if previous else {}
    latest = previous.latest if previous else None
    return ColumnState(spec, labels, alert_labels, threshold_labels, latest, alerts)


def configured(spec: MonitorSpec, previous: MonitorState | None = None) -> MonitorState:
    """Return the state of a (re)configured monitor, keeping what `previous` knew of kept columns."""
    old = previous.columns if previous else {}
    columns = {c.name: _column_state(spec.name, c, old.get(c.name)) for c in spec.columns}
    les = [go_float(b) for b in (*DURATION_BUCKETS, math.inf)]
    state = MonitorState(
        spec=spec,
        labels=label_set(("monitor",), (spec.name,)),
        run_labels={s: label_set(("monitor", "status"), (spec.name, s)) for s in RUN_STATUSES},
        bucket_labels=tuple(label_set(("le", "monitor"), (le, spec.name)) for le in les),
        columns=columns,
        runs=dict.fromkeys(RUN_STATUSES, 0),
        buckets=(0,) * len(les),
    )
    if previous is None:
        return state
    kept = {
        key: getattr(previous, key)
        for key in (
            "runs",
            "buckets",
            "duration_sum",
            "rows_read",
            "last_success",
            "last_window_end",
            "windows_behind",
            "source_up",
        )
    }
    return replace(state, **kept)


def with_columns(state: MonitorState, results: Iterable[tuple[str, CheckedColumn]]) -> MonitorState:
    """Return the state with each (column, result) as the column's latest, unless it holds a newer window."""
    columns = dict(state.columns)
    for name, values in results:
        current = columns.get(name)
        if current is None:
            continue  # no longer configured: not exported
        if current.latest is not None and current.latest.window_end > values.window_end:
            continue  # a backfilled older window does not replace the newer result
        columns[name] = current._replace(latest=values)
    return replace(state, columns=columns)


def with_alert(state: MonitorState, column: str, statistic: str, severity: int) -> MonitorState:
    """Return the state with the statistic's alert severity, if it has thresholds in force."""
    return with_alerts(state, [(column, statistic, severity)])


def with_alerts(state: MonitorState, alerts: Iterable[tuple[str, str, int]]) -> MonitorState:
    """Return the state with each (column, statistic, severity) in order, as with_alert() does."""
    columns: dict[str, ColumnState] | None = None
    for column, statistic, severity in alerts:
        current = (columns or state.columns).get(column)
        if current is None or statistic not in current.spec.thresholds:
            continue
        if columns is None:
            columns = dict(state.columns)
        columns[column] = current._replace(alerts={**current.alerts, statistic: int(severity)})
    return state if columns is None else replace(state, columns=columns)


def with_completed_run(
    state: MonitorState, status: str, window_end: float, finished_at: float | None
) -> MonitorState:
    """Return the state with a finished run's timestamps folded in (completed windows only)."""
    return with_completed_runs(state, [(status, window_end, finished_at)])


def with_completed_runs(state: MonitorState, runs: Iterable[tuple[str, float, float | None]]) -> MonitorState:
    """Return the state with (status, window end, finished at) of finished runs folded in."""
    last_end, last_success = state.last_window_end, state.last_success
    changed = False
    for status, window_end, finished_at in runs:
        if status not in COMPLETED_STATUSES:
            continue
        changed = True
        last_end = window_end if last_end is None else max(last_end, window_end)
        if finished_at is not None:
            last_success = finished_at if last_success is None else max(last_success, finished_at)
    return replace(state, last_window_end=last_end, last_success=last_success) if changed else state


def with_counted_run(
    state: MonitorState, status: str, duration: float, rows_read: int | None
) -> MonitorState:
    """Return the state with a run counted: outcome, duration histogram and rows read."""
    buckets = tuple(
        n + 1 if i == len(DURATION_BUCKETS) or duration <= DURATION_BUCKETS[i] else n
        for i, n in enumerate(state.buckets)
    )
    return replace(
        state,
        runs={**state.runs, status: state.runs[status] + 1},
        buckets=buckets,
        duration_sum=state.duration_sum + duration,
        rows_read=state.rows_read + (rows_read or 0),
    )
