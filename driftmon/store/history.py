"""One column's scores over a range of windows, without bin counts: what a history chart needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.store.models import Baseline, ColumnResult, Run
from driftmon.store.queries import _summary_columns, _windows_within, _with_runs
from driftmon.store.records import ResultSummary
from driftmon.store.types import check_aware

__all__ = ["HistoryEntry", "column_history"]


class HistoryEntry(NamedTuple):
    """A window's summary of one column and the alert severity of each rule after it."""

    summary: ResultSummary
    alert_states: dict[str, str] | None  # None: the window was stored but not evaluated


def column_history(
    session: Session, monitor: str, column: str, start: datetime, end: datetime
) -> list[HistoryEntry]:
    """Return the column's results for windows inside [start, end), oldest first, without counts.

    Unlike window_results, no bin spec or counts are read or decoded, so thousands of windows
    cost one indexed scan.
    """
    lo, hi = check_aware(start, "start"), check_aware(end, "end")
    columns = _summary_columns(ColumnResult, Run, Baseline.version, ColumnResult.id)
    query = (
        _with_runs(sa.select(*columns, ColumnResult.alert_states))
        .where(ColumnResult.column_name == column, *_windows_within(monitor, lo, hi))
        .order_by(Run.window_start, Run.window_end)
    )
    make = ResultSummary._make
    out = []
    for row in session.execute(query):
        values: tuple[Any, ...] = tuple(row)
        out.append(HistoryEntry(make(values[:-1]), values[-1]))
    return out
