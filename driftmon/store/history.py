"""One column's scores over a range of windows, without bin counts: what a history chart needs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.results import ResultRecord
from driftmon.store.models import Baseline, ColumnResult, Run
from driftmon.store.queries import _summary_columns, _windows_within, _with_runs, result_record
from driftmon.store.types import check_aware


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
    columns = _summary_columns(ColumnResult, Run, Baseline.version, ColumnResult.id)
    scoring = (ColumnResult.alpha, ColumnResult.calibration_method, ColumnResult.primary_statistic)
    query = (
        _with_runs(sa.select(*columns, *scoring, ColumnResult.alert_states))
        .where(ColumnResult.column_name == column, *_windows_within(monitor, lo, hi))
        .order_by(Run.window_start, Run.window_end)
    )
    return [result_record(row._mapping) for row in session.execute(query)]
