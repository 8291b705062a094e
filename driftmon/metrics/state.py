"""Immutable per-monitor state of the snapshot, and the pure updates that runs make to it.

Every update returns a new state, so a reader holding the old one never sees a half-applied
run, and the snapshot can render a monitor's lines outside any lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from driftmon.metrics.names import COMPLETED_STATUSES, DURATION_BUCKETS, RUN_STATUSES
from driftmon.metrics.specs import ColumnSpec, MonitorSpec
from driftmon.metrics.text import label_text
from driftmon.metrics.values import LatestValues


class ColumnState(NamedTuple):
    """A configured column, its latest result (None before the first) and its alert severities.

    `labels` is the text of the column's own labels (column, monitor, role) without braces:
    the samples that add labels (status, version, statistic, severity) append theirs.
    """

    spec: ColumnSpec
    labels: str
    latest: LatestValues | None
    alerts: Mapping[str, int]


@dataclass(frozen=True)
class MonitorState:
    """A configured monitor: its columns, run counters and timestamps (Unix seconds)."""

    spec: MonitorSpec
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


_NO_RUNS = (0,) * (len(DURATION_BUCKETS) + 1)


def _column_state(monitor: str, spec: ColumnSpec, previous: ColumnState | None) -> ColumnState:
    labels = label_text({"column": spec.name, "monitor": monitor, "role": spec.role})[1:-1]
    if previous is None:
        return ColumnState(spec, labels, None, {})
    # Alert states only exist for statistics that have thresholds in force.
    alerts = {s: v for s, v in previous.alerts.items() if s in spec.thresholds}
    return ColumnState(spec, labels, previous.latest, alerts)


def configured(spec: MonitorSpec, previous: MonitorState | None = None) -> MonitorState:
    """Return the state of a (re)configured monitor, keeping what `previous` knew of kept columns."""
    old = previous.columns if previous else {}
    columns = {c.name: _column_state(spec.name, c, old.get(c.name)) for c in spec.columns}
    if previous is not None:
        return replace(previous, spec=spec, columns=columns)
    return MonitorState(spec=spec, columns=columns, runs=dict.fromkeys(RUN_STATUSES, 0), buckets=_NO_RUNS)


def with_columns(state: MonitorState, results: Iterable[tuple[str, LatestValues]]) -> MonitorState:
    """Return the state with each (column, result) as the column's latest, unless it holds a newer window."""
    columns = dict(state.columns)
    for name, values in results:
        current = columns.get(name)
        if current is None:
            continue  # no longer configured: not exported
        if current.latest is not None and current.latest.window_end > values.window_end:
            continue  # a backfilled older window does not replace the newer result
        columns[name] = ColumnState(current.spec, current.labels, values, current.alerts)
    return replace(state, columns=columns)


def with_alerts(state: MonitorState, alerts: Iterable[tuple[str, str, int]]) -> MonitorState:
    """Return the state with each (column, statistic, severity) in order (statistics with thresholds only)."""
    columns: dict[str, ColumnState] | None = None
    for column, statistic, severity in alerts:
        current = (columns or state.columns).get(column)
        if current is None or statistic not in current.spec.thresholds:
            continue
        if columns is None:
            columns = dict(state.columns)
        severities = {**current.alerts, statistic: int(severity)}
        columns[column] = ColumnState(current.spec, current.labels, current.latest, severities)
    return state if columns is None else replace(state, columns=columns)


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
