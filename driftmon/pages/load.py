"""What each page shows, read from the store's public functions and the configuration in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from driftmon.alerts import AlertRule
from driftmon.config import ColumnSettings, EffectiveAlertRule, MonitorConfig
from driftmon.jobs.alerting import alert_rule
from driftmon.pages.bins import BinRow, distribution_rows
from driftmon.pages.errors import PageNotFoundError
from driftmon.pages.history import HistoryPoint, history_points
from driftmon.store import (
    AlertEventRecord,
    ResultDetail,
    RunRecord,
    alert_history,
    column_history,
    get_result,
    run_history,
    window_results,
)

__all__ = ["ColumnPage", "column_rule", "load_column_page", "recent_history"]

DEFAULT_HISTORY = 100
MAX_HISTORY = 2000


@dataclass(frozen=True)
class ColumnPage:
    """The column page: one window's distributions and contributions, the history around it."""

    monitor: MonitorConfig
    settings: ColumnSettings
    statistic: str
    rule: EffectiveAlertRule | None
    run: RunRecord  # the chosen window's run
    result: ResultDetail | None  # the column's result in that window (None: the run stored none)
    bins: list[BinRow]  # empty when the window has no counts
    history: list[HistoryPoint]  # oldest first; includes the chosen window
    transitions: list[AlertEventRecord]  # this column's, newest first, within the history
    newer: RunRecord | None
    older: RunRecord | None


def column_rule(settings: ColumnSettings, statistic: str) -> AlertRule | None:
    """Return the state machine's rule for one statistic of a column, or None when it has none."""
    rule = settings.alerts.get(statistic)
    return alert_rule(settings, rule) if rule is not None else None


def recent_history(
    session: Session,
    monitor: str,
    runs: Sequence[RunRecord],
    columns: Sequence[str] | None = None,
) -> dict[tuple[str, datetime, datetime], ResultDetail]:
    """Return the column results of these runs by (column, window_start, window_end)."""
    if not runs:
        return {}
    start = min(r.window_start for r in runs)
    end = max(r.window_end for r in runs)
    results = window_results(session, monitor, start, end, columns=columns)
    return {(r.column, r.window_start, r.window_end): r for r in results}


def _pick(
    session: Session, monitor: str, newest: list[RunRecord], window_end: datetime | None, at: datetime | None
) -> RunRecord:
    if window_end is not None:
        found = run_history(session, monitor, limit=1, before=window_end)
        if not found or found[0].window_end != window_end:
            raise PageNotFoundError(f"monitor {monitor!r} has no window ending at {window_end.isoformat()}")
        return found[0]
    if at is not None:
        found = run_history(session, monitor, limit=1, before=at)
        if not found:
            raise PageNotFoundError(f"monitor {monitor!r} has no window ending at or before {at.isoformat()}")
        return found[0]
    return newest[0]


def load_column_page(
    session: Session,
    monitor: MonitorConfig,
    column: str,
    *,
    statistic: str | None = None,
    window_end: datetime | None = None,
    at: datetime | None = None,
    history: int = DEFAULT_HISTORY,
) -> ColumnPage:
    """Read one column's page: the chosen window (default: the newest scored one) and its history."""
    try:
        settings = monitor.column_settings(column)
    except KeyError:
        raise PageNotFoundError(f"monitor {monitor.name!r} has no column {column!r}") from None
    name = settings.name
    chosen_stat = statistic or next(iter(settings.alerts), None) or "js_divergence"
    if chosen_stat not in settings.statistics and chosen_stat not in settings.alerts:
        raise PageNotFoundError(
            f"column {name!r} has no statistic {chosen_stat!r}; it has {', '.join(settings.statistics)}"
        )
    newest = run_history(session, monitor.name, limit=history)
    if not newest:
        raise PageNotFoundError(f"monitor {monitor.name!r} has no stored window yet")
    run = _pick(session, monitor.name, newest, window_end, at)
    runs = newest
    if run.window_end < newest[-1].window_end:  # older than the newest N: the N up to it
        runs = run_history(session, monitor.name, limit=history, before=run.window_end)
    first, last = min(r.window_start for r in runs), max(r.window_end for r in runs)
    entries = {
        (e.summary.window_start, e.summary.window_end): e
        for e in column_history(session, monitor.name, name, first, last)
    }
    if window_end is None and at is None:
        # Default: the newest window with counts to show (a failed newest run is still on the chart).
        run = next((r for r in runs if (r.window_start, r.window_end) in entries), run)
    result = None
    if (run.window_start, run.window_end) in entries:
        result = get_result(
            session,
            monitor=monitor.name,
            column=name,
            window_start=run.window_start,
            window_end=run.window_end,
        )
    bins: list[BinRow] = []
    if result is not None and result.labels and result.reference_counts and result.live_counts:
        bins = distribution_rows(
            result.kind,
            result.labels,
            result.reference_counts,
            result.live_counts,
            alpha=result.alpha,
            statistic=chosen_stat,
        )
    points = history_points(runs, entries, chosen_stat, column_rule(settings, chosen_stat))
    oldest = min(r.window_start for r in runs)
    newest_end = max(r.window_end for r in runs)
    events = [
        e
        for e in alert_history(session, monitor.name, since=oldest - timedelta(seconds=1))
        if e.column == name and e.window_end is not None and oldest < e.window_end <= newest_end
    ]
    ordered = sorted(runs, key=lambda r: r.window_end)
    position = next(i for i, r in enumerate(ordered) if r.id == run.id)
    newer = ordered[position + 1] if position + 1 < len(ordered) else None
    if newer is None and run.window_end < newest[0].window_end:
        newer = next((r for r in reversed(newest) if r.window_end > run.window_end), None)
    older = ordered[position - 1] if position > 0 else None
    if older is None:
        before = run_history(session, monitor.name, limit=2, before=run.window_end)
        older = before[1] if len(before) > 1 else None
    return ColumnPage(
        monitor=monitor,
        settings=settings,
        statistic=chosen_stat,
        rule=settings.alerts.get(chosen_stat),
        run=run,
        result=result,
        bins=bins,
        history=points,
        transitions=events,
        newer=newer,
        older=older,
    )
