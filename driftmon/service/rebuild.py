"""Start-up: the metrics snapshot rebuilt from the store, so exported values survive a restart."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.metrics import AlertValue, ColumnValues, MetricsSnapshot, RunValues, monitor_specs
from driftmon.store import DONE_STATUSES, current_alert_states, latest_results, latest_runs

__all__ = ["rebuild_snapshot"]


def rebuild_snapshot(
    snapshot: MetricsSnapshot, config: Config, sessions: sessionmaker[Session], *, now: datetime
) -> float:
    """Load the enabled monitors' latest results, last completed runs and alert states; return seconds taken.

    Each monitor's last completed window (its newest run that succeeded, was partial or had
    insufficient data) sets the last-window-end and last-success timestamps.
    """
    started = time.perf_counter()
    specs = monitor_specs(config, now=now)
    names = [s.name for s in specs]
    with sessions() as session:
        results = [ColumnValues.from_result(r) for r in latest_results(session, names)]
        completed = latest_runs(session, names, statuses=DONE_STATUSES)
        alerts = [AlertValue.from_event(e) for e in current_alert_states(session, names)]
    runs = [RunValues.from_run(run) for run in completed.values()]
    read = time.perf_counter() - started
    snapshot.rebuild(specs, results=results, runs=runs, alerts=alerts, read_seconds=read)
    return time.perf_counter() - started
