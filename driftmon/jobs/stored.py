"""Read a stored run back as a RunOutcome: what a run reports for a window computed before."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from driftmon.alerts import AlertState, AlertStateError
from driftmon.jobs.outcome import RunOutcome, Skip
from driftmon.store import get_run, load_alert_states
from driftmon.windows import Window


def _severities(session: Session, monitor: str, window: Window) -> dict[str, dict[str, str]]:
    """Return the severity labels the stored states reached at this window (none if they moved on)."""
    out: dict[str, dict[str, str]] = {}
    for record in load_alert_states(session, monitor):
        try:
            state = AlertState.from_dict(record.state)
        except AlertStateError:
            continue
        if state.last_window_end == window.end:
            out.setdefault(record.column, {})[record.statistic] = state.severity.label
    return out


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
            r if r.alert_states else replace(r, alert_states=severities.get(r.column, {})) for r in results
        ),
        skipped=skipped,
        error=run.error,
    )
