"""What a run's outcome becomes: metrics snapshot inputs and webhook notifications.

RunOutcome                -> RunValues (counted, timestamps)
ColumnOutcome             -> ColumnValues (the column's latest scores and calibration)
ColumnOutcome.severities  -> AlertValue per statistic with thresholds
AlertChange (transition)  -> Notification, linked to /api/v1/runs/{run_id} and to the column page
                             of the window that fired
"""

from __future__ import annotations

import logging
from datetime import timedelta

from driftmon.config import MonitorConfig
from driftmon.jobs import RunOutcome
from driftmon.metrics import AlertValue, ColumnValues, MetricsSnapshot, RunValues
from driftmon.pages import column_path
from driftmon.service.notifications import Notifications

__all__ = ["Reporter", "outcome_values", "result_path", "source_reachable"]

log = logging.getLogger(__name__)


def result_path(run_id: int) -> str:
    """Return the API path of a run's full result (notification links point there)."""
    return f"/api/v1/runs/{run_id}"


def outcome_values(outcome: RunOutcome) -> tuple[RunValues, list[ColumnValues], list[AlertValue]]:
    """Return the snapshot's inputs for a finished run."""
    finished = outcome.finished_at or outcome.started_at + timedelta(seconds=outcome.duration_seconds)
    run = RunValues(
        outcome.monitor, outcome.window.start, outcome.window.end, outcome.status, finished, outcome.rows_read
    )
    columns = [ColumnValues.from_result(c) for c in outcome.columns]
    alerts = [
        AlertValue(outcome.monitor, c.column, statistic, int(severity))
        for c in outcome.columns
        for statistic, severity in c.severities.items()
    ]
    return run, columns, alerts


def source_reachable(outcome: RunOutcome) -> bool | None:
    """Tell whether the run could read its source (None: the run says nothing about it)."""
    if outcome.rows_read is not None:
        return True
    if outcome.status != "failed" or (outcome.error or "").startswith("store:"):
        return None
    return False


class Reporter:
    """The scheduler's listener: each outcome updates the metrics snapshot and queues notifications."""

    def __init__(self, snapshot: MetricsSnapshot, notifications: Notifications | None = None) -> None:
        self.snapshot = snapshot
        self.notifications = notifications

    def run_finished(self, monitor: MonitorConfig, outcome: RunOutcome) -> None:
        """Count the run, take its results and alert states as the latest, and notify its transitions."""
        run, columns, alerts = outcome_values(outcome)
        self.snapshot.apply_run(
            run,
            duration_seconds=max(0.0, outcome.duration_seconds),
            columns=columns,
            alerts=alerts,
            source_up=source_reachable(outcome),
        )
        if self.notifications is None:
            return
        path = result_path(outcome.run_id) if outcome.run_id is not None else None
        for change in outcome.transitions:
            t = change.transition
            page = column_path(change.monitor, change.column, window_end=t.window_end, statistic=t.statistic)
            self.notifications.submit(change.notification(path, page))

    def windows_behind(self, monitor: MonitorConfig, count: int) -> None:
        """Export how many complete windows of the monitor are not done yet."""
        self.snapshot.set_windows_behind(monitor.name, count)
