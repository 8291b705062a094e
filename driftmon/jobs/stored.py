"""Read a stored run back as a RunOutcome: what a run reports for a window computed before."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from driftmon.alerts import AlertState, AlertStateError, Severity
from driftmon.core import STATISTICS, BinContribution
from driftmon.jobs.outcome import ColumnOutcome, RunOutcome, Skip
from driftmon.store import ResultRecord, get_run, load_alert_states, window_results
from driftmon.windows import Window


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def top_bins(entries: Sequence[Mapping[str, Any]]) -> tuple[BinContribution, ...]:
    """Return stored top bins (a result's or an alert event's details) as BinContribution."""
    return tuple(
        BinContribution(
            index=int(e.get("index") or 0),
            label=str(e.get("bin", "")),
            reference_share=_float(e.get("reference_share")),
            live_share=_float(e.get("live_share")),
            contribution=_float(e.get("contribution")),
        )
        for e in entries
    )


def _severities(session: Session, monitor: str, window: Window) -> dict[str, dict[str, Severity]]:
    """Return the severities the stored states reached at this window (none if they moved on)."""
    out: dict[str, dict[str, Severity]] = {}
    for record in load_alert_states(session, monitor):
        try:
            state = AlertState.from_dict(record.state)
        except AlertStateError:
            continue
        if state.last_window_end == window.end:
            out.setdefault(record.column, {})[record.statistic] = state.severity
    return out


def _window_severities(result: ResultRecord) -> dict[str, Severity]:
    """Return the severities stored with the result of that window (empty if it was not evaluated)."""
    out: dict[str, Severity] = {}
    for statistic, label in (result.alert_states or {}).items():
        try:
            out[statistic] = Severity.parse(label)
        except ValueError:
            continue
    return out


def _column(result: ResultRecord, window: Window, severities: Mapping[str, Severity]) -> ColumnOutcome:
    stats = result.statistics()
    nulls = {name: level for name in STATISTICS if (level := result.null(name)) is not None}
    return ColumnOutcome(
        monitor=result.monitor,
        column=result.column,
        window_start=window.start,
        window_end=window.end,
        status=result.status,
        role=result.role,
        kind=result.kind,
        baseline_version=result.baseline_version,
        n_reference=result.n_reference,
        n_live=result.n_live,
        p_value=result.p_value,
        scores={k: v for k, v in stats.items() if v is not None},
        null_levels=nulls,
        top_bins=top_bins(result.top_bins),
        severities=dict(severities),
        error=result.error,
        live_counts=result.live_counts,
        alpha=result.alpha,
        calibration_method=result.calibration_method,
        primary_statistic=result.primary_statistic,
    )


def stored_outcome(
    session: Session,
    monitor: str,
    window: Window,
    run_id: int,
    *,
    skipped: Skip,
    column_order: tuple[str, ...] = (),
) -> RunOutcome:
    """Return the stored run `run_id` as an outcome (its own times), columns in `column_order` first."""
    detail = get_run(session, run_id)
    run = detail.run
    severities = _severities(session, monitor, window)
    rank = {name: i for i, name in enumerate(column_order)}
    results = sorted(detail.results, key=lambda r: (rank.get(r.column, len(rank)), r.column))
    return RunOutcome(
        monitor=monitor,
        window=window,
        status=run.status,
        started_at=run.started_at,
        duration_seconds=(run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0,
        run_id=run.id,
        attempt=run.attempts,
        finished_at=run.finished_at,
        rows_read=run.rows_read,
        columns=tuple(
            _column(r, window, _window_severities(r) or severities.get(r.column, {})) for r in results
        ),
        skipped=skipped,
        error=run.error,
    )


def stored_columns(
    session: Session,
    monitor: str,
    start: datetime,
    end: datetime,
    columns: Collection[str] | None = None,
) -> list[ColumnOutcome]:
    """Return every stored column result of the monitor's windows inside [start, end), oldest first.

    Each carries the alert severities of its own window (none for a window stored but never
    evaluated, such as history backfilled behind the newest evaluated window).
    """
    return [
        _column(r, Window(r.window_start, r.window_end), _window_severities(r))
        for r in window_results(session, monitor, start, end, columns=columns)
    ]
