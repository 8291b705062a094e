"""Reads for the metrics snapshot, the HTTP API, dashboards and backfill."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from driftmon.core import STATISTICS, BinContribution, NullLevel, bin_spec_from_dict
from driftmon.results import ResultRecord
from driftmon.store.errors import StoreInputError, UnknownResultError, UnknownRunError
from driftmon.store.models import Baseline, ColumnResult, LatestResult, Monitor, Run
from driftmon.store.records import RunDetail, RunRecord, from_row
from driftmon.store.types import check_aware

# The record's fields every result read selects under their own names, and those of how it was
# scored (read with the details and the history).
_SUMMARY = (
    *("id", "run_id", "monitor", "column", "window_start", "window_end", "status", "kind", "role"),
    *("baseline_version", "n_reference", "n_live", "p_value", "error"),
)
_SCORING = ("alpha", "calibration_method", "primary_statistic")
_SEVERITY_LABELS = ("ok", "warning", "critical")
# Each statistic's value, p-value and no-drift levels: columns of the same name in both tables.
_SCORE_NAMES = tuple(
    f"{s}{part}" for part in ("", "_p_value", "_null_quantile", "_null_expected") for s in STATISTICS
)
_NULL_NAMES = tuple((s, (f"{s}_null_expected", f"{s}_null_quantile", f"{s}_p_value")) for s in STATISTICS)


def _summary_columns(entity: Any, window: Any, version: Any, result_id: Any) -> tuple[Any, ...]:
    # What every result read needs, named as the record's fields (or its statistics' columns).
    return (
        result_id.label("id"),
        entity.run_id,
        Monitor.name.label("monitor"),
        entity.column_name.label("column"),
        window.window_start,
        window.window_end,
        entity.status,
        entity.kind,
        entity.role,
        version.label("baseline_version"),
        entity.n_reference,
        entity.n_live,
        entity.p_value,
        entity.error,
        *(getattr(entity, name) for name in _SCORE_NAMES),
    )


def result_record(row: sa.RowMapping, **given: Any) -> ResultRecord:
    """Return a result from a row read with _summary_columns (and _SCORING's, when selected).

    The fields in `given` are taken as passed. A statistic's calibration is kept when any part
    of it is stored (a part that is not is NaN); stored alert states keep the known labels.
    """
    scores = {name: value for name in STATISTICS if (value := row[name]) is not None}
    nulls = {}
    for name, (expected, quantile, p_value) in _NULL_NAMES:
        parts = (row[expected], row[quantile], row[p_value])
        if parts != (None, None, None):
            nulls[name] = NullLevel(*(math.nan if part is None else part for part in parts))
    plain = {name: row[name] for name in (_SUMMARY + _SCORING if "alpha" in row else _SUMMARY)}
    states = row.get("alert_states") or {}
    plain["alert_states"] = {stat: label for stat, label in states.items() if label in _SEVERITY_LABELS}
    return ResultRecord(**plain, scores=scores, null_levels=nulls, **given)


def latest_results(session: Session, monitors: Collection[str] | None = None) -> list[ResultRecord]:
    """Return the newest window's result for every (monitor, column), or for the named monitors.

    Grouped by monitor (in the order monitors were first stored), columns by name within a
    monitor. One query on latest_results (one row per series), so the cost follows the number
    of series, not the length of the history.
    """
    query = sa.select(
        *_summary_columns(LatestResult, LatestResult, LatestResult.baseline_version, LatestResult.result_id)
    ).join(Monitor, Monitor.id == LatestResult.monitor_id)
    if monitors is not None:
        query = query.where(Monitor.name.in_(sorted(set(monitors))))
    rows = session.execute(query.order_by(LatestResult.monitor_id, LatestResult.column_name))
    return [result_record(row._mapping) for row in rows]


def _windows_within(monitor: str, lo: datetime, hi: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """Return the conditions for the monitor's runs whose windows lie inside [lo, hi)."""
    return (Monitor.name == monitor, Run.window_start >= lo, Run.window_end <= hi)


def _scored(*more: Any) -> sa.Select[Any]:
    """Select scored column results, their alert states and `more`, with run, monitor and baseline."""
    return (
        sa.select(
            *_summary_columns(ColumnResult, Run, Baseline.version, ColumnResult.id),
            *(getattr(ColumnResult, name) for name in _SCORING),
            ColumnResult.alert_states,
            *more,
        )
        .select_from(ColumnResult)
        .join(Run, Run.id == ColumnResult.run_id)
        .join(Monitor, Monitor.id == Run.monitor_id)
        .outerjoin(Baseline, Baseline.id == ColumnResult.baseline_id)
    )


def _detail_select() -> sa.Select[Any]:
    return _scored(
        Baseline.bin_spec, Baseline.reference_counts, ColumnResult.live_counts, ColumnResult.top_bins
    )


def _detail(row: sa.Row[Any]) -> ResultRecord:
    values = row._mapping
    spec, live, reference = values["bin_spec"], values["live_counts"], values["reference_counts"]
    return result_record(
        values,
        labels=bin_spec_from_dict(spec).labels if spec is not None else None,
        live_counts=tuple(live) if live is not None else None,
        reference_counts=tuple(reference) if reference is not None else None,
        top_bins=tuple(BinContribution.from_dict(b) for b in values["top_bins"] or ()),
    )


def get_run(session: Session, run_id: int) -> RunDetail:
    """Return one run with every column result, its bin labels and counts."""
    found = session.execute(
        sa.select(Run, Monitor.name).join(Monitor, Monitor.id == Run.monitor_id).where(Run.id == run_id)
    ).first()
    if found is None:
        raise UnknownRunError(f"no run with id {run_id!r} is stored")
    run, monitor = found
    rows = session.execute(
        _detail_select().where(ColumnResult.run_id == run_id).order_by(ColumnResult.column_name)
    )
    return RunDetail(from_row(RunRecord, run, monitor=monitor), tuple(_detail(row) for row in rows))


def get_result(
    session: Session,
    result_id: int | None = None,
    *,
    monitor: str | None = None,
    column: str | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> ResultRecord:
    """Return one column result by id, or by (monitor, column, window_start, window_end)."""
    query = _detail_select()
    if result_id is not None:
        query = query.where(ColumnResult.id == result_id)
        what = f"id {result_id!r}"
    elif monitor is not None and column is not None and window_start is not None and window_end is not None:
        start, end = check_aware(window_start, "window_start"), check_aware(window_end, "window_end")
        query = query.where(
            Monitor.name == monitor,
            ColumnResult.column_name == column,
            Run.window_start == start,
            Run.window_end == end,
        )
        what = f"monitor {monitor!r} column {column!r} window {start.isoformat()}..{end.isoformat()}"
    else:
        raise StoreInputError("get_result needs a result id, or monitor, column, window_start and window_end")
    row = session.execute(query).first()
    if row is None:
        raise UnknownResultError(f"no column result is stored for {what}")
    return _detail(row)


def run_history(
    session: Session, monitor: str, *, limit: int = 100, before: datetime | None = None
) -> list[RunRecord]:
    """Return the monitor's runs, newest window first (only windows ending at or before `before`)."""
    if limit < 1:
        raise StoreInputError(f"limit must be at least 1, got {limit}")
    query = sa.select(Run).join(Monitor, Monitor.id == Run.monitor_id).where(Monitor.name == monitor)
    if before is not None:
        query = query.where(Run.window_end <= check_aware(before, "before"))
    rows = session.execute(query.order_by(Run.window_end.desc(), Run.window_start.desc()).limit(limit))
    return [from_row(RunRecord, row, monitor=monitor) for row in rows.scalars()]


def latest_runs(
    session: Session,
    monitors: Collection[str] | None = None,
    *,
    statuses: Collection[str] | None = None,
    by: Literal["window_end", "finished_at"] = "window_end",
) -> dict[str, RunRecord]:
    """Return each monitor's run with the latest window, or the one that finished last (`by`).

    Only runs in `statuses`, when given. One index probe per monitor (e.g. the last
    succeeded run of 1,000 monitors for the metrics snapshot), not a scan of the run history.
    """
    inner = aliased(Run)
    newest = sa.select(inner.id).where(inner.monitor_id == Monitor.id)
    if statuses is not None:
        newest = newest.where(inner.status.in_(sorted(set(statuses))))
    order: tuple[sa.UnaryExpression[Any], ...] = (inner.window_end.desc(), inner.window_start.desc())
    if by == "finished_at":
        newest = newest.where(inner.finished_at.is_not(None))
        order = (inner.finished_at.desc(), inner.id.desc())
    newest_id = newest.order_by(*order).limit(1).scalar_subquery()
    query = sa.select(Run, Monitor.name).select_from(Monitor).join(Run, Run.id == newest_id)
    if monitors is not None:
        query = query.where(Monitor.name.in_(sorted(set(monitors))))
    return {name: from_row(RunRecord, run, monitor=name) for run, name in session.execute(query)}


def stored_windows(
    session: Session, monitor: str, start: datetime, end: datetime
) -> dict[tuple[datetime, datetime], str]:
    """Return {(window_start, window_end): status} for the monitor's windows inside [start, end)."""
    lo, hi = check_aware(start, "start"), check_aware(end, "end")
    rows = session.execute(
        sa.select(Run.window_start, Run.window_end, Run.status)
        .join(Monitor, Monitor.id == Run.monitor_id)
        .where(*_windows_within(monitor, lo, hi))
        .order_by(Run.window_start)
    )
    return {(s, e): status for s, e, status in rows}


def window_results(
    session: Session,
    monitor: str,
    start: datetime,
    end: datetime,
    *,
    columns: Collection[str] | None = None,
) -> list[ResultRecord]:
    """Return the monitor's column results for windows inside [start, end), oldest window first."""
    lo, hi = check_aware(start, "start"), check_aware(end, "end")
    query = _detail_select().where(*_windows_within(monitor, lo, hi))
    if columns is not None:
        query = query.where(ColumnResult.column_name.in_(sorted(set(columns))))
    rows = session.execute(query.order_by(Run.window_start, Run.window_end, ColumnResult.column_name))
    return [_detail(row) for row in rows]


def column_history(
    session: Session, monitor: str, column: str, start: datetime, end: datetime
) -> list[ResultRecord]:
    """Return the column's results for windows inside [start, end), oldest first, without counts.

    Each carries how it was scored and the alert severity of every rule after its window
    (`alert_states`; empty for a window stored but not evaluated); bin labels, counts and top
    bins are left at their defaults.

    Unlike window_results, no bin spec or counts are read or decoded, so thousands of windows
    cost one indexed scan.
    """
    lo, hi = check_aware(start, "start"), check_aware(end, "end")
    query = _scored().where(ColumnResult.column_name == column, *_windows_within(monitor, lo, hi))
    rows = session.execute(query.order_by(Run.window_start, Run.window_end))
    return [result_record(row._mapping) for row in rows]
