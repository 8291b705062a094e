"""The metrics snapshot from the store: rebuilt at start-up, and kept following it while serving.

Every process on a store exports what the store holds: at start-up the snapshot is rebuilt
from it, and every `scheduler.follow_every` each process reads the monitors' change markers
(one small query) and reloads the monitors another process (or this one) changed since.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from driftmon.config import Config
from driftmon.metrics import AlertValue, MetricsSnapshot, monitor_specs
from driftmon.results import ResultRecord
from driftmon.service.store import StoreFailures
from driftmon.store import (
    DONE_STATUSES,
    RunRecord,
    current_alert_states,
    latest_results,
    latest_runs,
    monitor_changes,
)

log = logging.getLogger(__name__)

StoreValues = tuple[list[ResultRecord], list[RunRecord], list[AlertValue]]


def _store_values(session: Session, names: Collection[str]) -> StoreValues:
    """Return the monitors' latest results, last completed runs and alert states in force.

    The runs are each monitor's completed run with the latest window and the one that finished
    last (a catch-up computes newer windows first): the snapshot keeps the latest of each.
    """
    results = latest_results(session, names)
    runs = [
        run
        for by in ("window_end", "finished_at")
        for run in latest_runs(session, names, statuses=DONE_STATUSES, by=by).values()
    ]
    alerts = [AlertValue.from_event(e) for e in current_alert_states(session, names)]
    return results, runs, alerts


def rebuild_snapshot(
    snapshot: MetricsSnapshot, config: Config, sessions: sessionmaker[Session], *, now: datetime
) -> float:
    """Load the enabled monitors' latest results, last completed runs and alert states; return seconds taken.

    Each monitor's last completed window (its newest run that succeeded, was partial or had
    insufficient data) sets the last-window-end and last-success timestamps.
    """
    started = time.perf_counter()
    specs = monitor_specs(config, now=now)
    with sessions() as session:
        results, runs, alerts = _store_values(session, [s.name for s in specs])
    read = time.perf_counter() - started
    snapshot.rebuild(specs, results=results, runs=runs, alerts=alerts, read_seconds=read)
    return time.perf_counter() - started


class StoreFollower:
    """Reloads into the snapshot the monitors whose change marker moved since the last look.

    `prime()` reads the markers before the start-up rebuild, so a change made while the
    rebuild reads is picked up by the first `follow()`. Each reload reads the store and
    applies what it read under `lock`, which this process's run reports take too (then
    follow): what the snapshot holds never goes back to an older store state.
    """

    def __init__(
        self,
        snapshot: MetricsSnapshot,
        sessions: sessionmaker[Session],
        monitors: Callable[[], Collection[str]],
    ) -> None:
        self.snapshot = snapshot
        self.sessions = sessions
        self.monitors = monitors  # the names exported now (they change with reloads)
        self.lock = threading.RLock()
        self._seen: dict[str, int] = {}
        self._failures = StoreFailures("following the store")

    def prime(self) -> None:
        with self.sessions() as session:
            self._seen = self._exported(monitor_changes(session))

    def follow(self) -> list[str]:
        """Reload the changed monitors; return their names (none while the store fails: logged once)."""
        try:
            changed = self._follow()
        except Exception as exc:
            self._failures.failed(exc)
            return []
        self._failures.succeeded()
        return changed

    def _follow(self) -> list[str]:
        with self.lock:
            with self.sessions() as session:
                markers = self._exported(monitor_changes(session))
                changed = sorted(m for m, n in markers.items() if self._seen.get(m) != n)
                if changed:
                    results, runs, alerts = _store_values(session, changed)
                    self.snapshot.follow(results=results, runs=runs, alerts=alerts)
            self._seen = markers
        if changed:
            log.debug("followed the store: %s", ", ".join(changed))
        return changed

    def _exported(self, markers: dict[str, int]) -> dict[str, int]:
        """The markers of the monitors exported now: one a reload adds is loaded at the next look."""
        exported = set(self.monitors())
        return {m: n for m, n in markers.items() if m in exported}
