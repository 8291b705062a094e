"""What a run's outcome becomes: metrics snapshot inputs, and a nudge to the notification outbox.

RunOutcome                -> RunValues (counted, timestamps)
ResultRecord              -> taken as it is (the column's latest scores and calibration)
ResultRecord.alert_states -> AlertValue per statistic with thresholds
AlertChange (transition)  -> already in the store's outbox (service.delivery sends it)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta

from driftmon.alerts import Severity
from driftmon.config import MonitorConfig
from driftmon.jobs import RunOutcome
from driftmon.metrics import AlertValue, MetricsSnapshot, RunValues
from driftmon.results import ResultRecord
from driftmon.service.rebuild import StoreFollower

log = logging.getLogger(__name__)


def outcome_values(outcome: RunOutcome) -> tuple[RunValues, tuple[ResultRecord, ...], list[AlertValue]]:
    """Return the snapshot's inputs for a finished run."""
    finished = outcome.finished_at or outcome.started_at + timedelta(seconds=outcome.duration_seconds)
    run = RunValues(
        outcome.monitor, outcome.window.start, outcome.window.end, outcome.status, finished, outcome.rows_read
    )
    alerts = [
        AlertValue(outcome.monitor, c.column, statistic, Severity.parse(label))
        for c in outcome.columns
        for statistic, label in c.alert_states.items()
    ]
    return run, outcome.columns, alerts


def source_reachable(outcome: RunOutcome) -> bool | None:
    """Tell whether the run could read its source (None: the run says nothing about it)."""
    if outcome.rows_read is not None:
        return True
    if outcome.status != "failed" or (outcome.error or "").startswith("store:"):
        return None
    return False


class Reporter:
    """The scheduler's listener: each outcome updates the metrics snapshot; transitions wake `notify`.

    With a `follower`, the store is then followed under the follower's lock (this run moved
    its monitor's change marker), so a result another process stored meanwhile is not hidden by
    this older outcome.
    """

    def __init__(
        self,
        snapshot: MetricsSnapshot,
        notify: Callable[[], None] | None = None,
        follower: StoreFollower | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.notify = notify
        self.follower = follower

    def run_finished(self, monitor: MonitorConfig, outcome: RunOutcome) -> None:
        """Count the run, take its results and alert states as the latest; wake the outbox's delivery."""
        run, columns, alerts = outcome_values(outcome)
        with self.follower.lock if self.follower is not None else nullcontext():
            self.snapshot.apply_run(
                run,
                duration_seconds=max(0.0, outcome.duration_seconds),
                columns=columns,
                alerts=alerts,
                source_up=source_reachable(outcome),
            )
            if self.follower is not None and outcome.run_id is not None:
                self.follower.follow()  # a store that is down is logged once; the run's values stand
        if outcome.transitions and self.notify is not None:
            self.notify()

    def windows_behind(self, monitor: MonitorConfig, count: int) -> None:
        """Export how many complete windows of the monitor are not done yet."""
        self.snapshot.set_windows_behind(monitor.name, count)
