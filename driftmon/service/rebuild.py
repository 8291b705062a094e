"""Start-up: the metrics snapshot rebuilt from the store, so exported values survive a restart."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics import AlertValue, ColumnValues, MetricsSnapshot, RunValues, monitor_specs
from driftmon.pauses import collector_paused
from driftmon.store import DONE_STATUSES, LatestResults, current_alert_states, latest_results, latest_runs

__all__ = ["column_values", "rebuild_snapshot"]

# The score names of each statistic's null level parts, in NullLevel's field order.
_NULL_PARTS = (
    [f"{stat}_null_expected" for stat in STATISTICS],
    [f"{stat}_null_quantile" for stat in STATISTICS],
    [f"{stat}_p_value" for stat in STATISTICS],
)


def rebuild_snapshot(
    snapshot: MetricsSnapshot, config: Config, sessions: sessionmaker[Session], *, now: datetime
) -> float:
    """Load the enabled monitors' latest results, last completed runs and alert states; return seconds taken.

    Each monitor's last completed window (its newest run that succeeded, was partial or had
    insufficient data) sets the last-window-end and last-success timestamps.
    """
    started = time.perf_counter()
    with collector_paused():
        specs = monitor_specs(config, now=now)
        names = [s.name for s in specs]
        with sessions() as session:
            results = column_values(latest_results(session, names))
            completed = latest_runs(session, names, statuses=DONE_STATUSES)
            alerts = [AlertValue.from_event(e) for e in current_alert_states(session, names)]
        runs = [RunValues.from_run(run) for run in completed.values()]
        read = time.perf_counter() - started
        snapshot.rebuild(specs, results=results, runs=runs, alerts=alerts, read_seconds=read)
    return time.perf_counter() - started


def column_values(latest: LatestResults) -> list[ColumnValues]:
    """Return what the snapshot takes of each latest result, read column by column.

    The same values as ColumnValues.from_result of each record (NULL scores are missing; a
    statistic's null level is present only when its three parts are), without building the
    records.
    """
    stats = latest.statistic_matrix().tolist()
    expected, quantile, p_value = (latest.score_matrix(names).tolist() for names in _NULL_PARTS)
    versions = latest.integers("baseline_version")
    n_live, n_reference = latest.integers("n_live"), latest.integers("n_reference")
    out = []
    for i, window_end in enumerate(latest.window_ends()):
        nulls = {
            stat: NullLevel(e, q, p) if e == e and q == q and p == p else None  # NaN is NULL
            for stat, e, q, p in zip(STATISTICS, expected[i], quantile[i], p_value[i], strict=True)
        }
        out.append(
            ColumnValues(
                monitor=latest.monitors[i],
                column=latest.columns[i],
                status=latest.statuses[i],
                window_end=window_end,
                baseline_version=versions[i],
                n_live=n_live[i],
                n_reference=n_reference[i],
                statistics={s: v for s, v in zip(STATISTICS, stats[i], strict=True) if v == v},
                null=nulls,
            )
        )
    return out
