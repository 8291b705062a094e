"""What each page shows, read from the store's public functions and the configuration in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from driftmon.alerts import AlertRule
from driftmon.config import ColumnSettings, EffectiveAlertRule, MonitorConfig
from driftmon.jobs.alerting import alert_rule
from driftmon.pages.bins import BinRow, distribution_rows
from driftmon.pages.errors import PageNotFoundError
from driftmon.pages.history import HistoryPoint, history_points
from driftmon.results import ResultRecord
from driftmon.store import (
    AlertEventRecord,
    RunRecord,
    alert_history,
    column_history,
    get_result,
    run_history,
    stored_windows,
)

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
    result: ResultRecord | None  # the column's result in that window (None: the run stored none)
    bins: list[BinRow]  # empty when the window has no counts
    history: list[HistoryPoint]  # oldest first; includes the chosen window
    transitions: list[AlertEventRecord]  # this column's, newest first, within the history
    newer: datetime | None  # the end of the next window in the history (or after it)
    older: datetime | None


def column_rule(settings: ColumnSettings, statistic: str) -> AlertRule | None:
    """Return the state machine's rule for one statistic of a column, or None when it has none."""
    rule = settings.alerts.get(statistic)
    return alert_rule(settings, rule) if rule is not None else None


Window = tuple[datetime, datetime, str]  # start, end, run status
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _run(session: Session, monitor: str, end: datetime, exact: bool) -> RunRecord:
    found = run_history(session, monitor, limit=1, before=end)
    if not found or (exact and found[0].window_end != end):
        what = "ending at" if exact else "ending at or before"
        raise PageNotFoundError(f"monitor {monitor!r} has no window {what} {end.isoformat()}")
    return found[0]


def last_windows(session: Session, monitor: MonitorConfig, end: datetime, count: int) -> list[Window]:
    """Return the `count` latest windows ending at or before `end`, oldest first (any run status)."""
    # Windows follow the schedule, so `count` of them rarely span more than count window lengths;
    # read that span first, all of history only when it holds too few (gaps, a changed size).
    lo = end - (count + 1) * monitor.window.longest
    found = stored_windows(session, monitor.name, max(lo, _EPOCH), end)
    if len(found) < count:
        found = stored_windows(session, monitor.name, _EPOCH, end)
    return [(s, e, status) for (s, e), status in found.items()][-count:]


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
    latest = run_history(session, monitor.name, limit=1)
    if not latest:
        raise PageNotFoundError(f"monitor {monitor.name!r} has no stored window yet")
    newest_end = latest[0].window_end
    if window_end is not None:
        run = _run(session, monitor.name, window_end, exact=True)
    elif at is not None:
        run = _run(session, monitor.name, at, exact=False)
    else:
        run = latest[0]
    windows = last_windows(session, monitor, newest_end, history)
    if run.window_end < windows[0][1]:  # older than the newest N: the N up to it
        windows = last_windows(session, monitor, run.window_end, history)
    first, last = windows[0][0], windows[-1][1]
    entries = {
        (e.window_start, e.window_end): e for e in column_history(session, monitor.name, name, first, last)
    }
    if window_end is None and at is None:
        # Default: the newest window with counts to show (a failed newest run is still on the chart).
        scored = next((w for w in reversed(windows) if (w[0], w[1]) in entries), None)
        if scored is not None and scored[1] != run.window_end:
            run = _run(session, monitor.name, scored[1], exact=True)
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
    points = history_points(windows, entries, chosen_stat, column_rule(settings, chosen_stat))
    events = [
        e
        for e in alert_history(session, monitor.name, since=first - timedelta(seconds=1))
        if e.column == name and e.window_end is not None and first < e.window_end <= last
    ]
    ends = [w[1] for w in windows]
    position = ends.index(run.window_end)
    newer = ends[position + 1] if position + 1 < len(ends) else None
    if newer is None and run.window_end < newest_end:
        after = stored_windows(session, monitor.name, run.window_end, newest_end)
        newer = next(iter(after))[1] if after else None
    older = ends[position - 1] if position > 0 else None
    if older is None:
        before = run_history(session, monitor.name, limit=2, before=run.window_end)
        older = before[1].window_end if len(before) > 1 else None
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
