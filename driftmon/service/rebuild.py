"""Start-up: the metrics snapshot rebuilt from the store, so exported values survive a restart."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.metrics import AlertValue, ColumnValues, MetricsSnapshot, RunValues, monitor_specs
from driftmon.store import current_alert_states, latest_results, run_history

__all__ = ["RECENT_RUNS", "rebuild_snapshot"]

# Runs read per monitor to find its last completed window and last success.
RECENT_RUNS = 10


def rebuild_snapshot(
    snapshot: MetricsSnapshot, config: Config, sessions: sessionmaker[Session], *, now: datetime
) -> float:
    """Load the enabled monitors' latest results, recent runs and alert states; return seconds taken."""
    started = time.perf_counter()
    specs = monitor_specs(config, now=now)
    names = [s.name for s in specs]
    with sessions() as session:
        results = [ColumnValues.from_result(r) for r in latest_results(session, names)]
        runs = [
            RunValues.from_run(r) for name in names for r in run_history(session, name, limit=RECENT_RUNS)
        ]
        alerts = [AlertValue.from_event(e) for e in current_alert_states(session, names)]
    read = time.perf_counter() - started
    snapshot.rebuild(specs, results=results, runs=runs, alerts=alerts, read_seconds=read)
    return time.perf_counter() - started
