"""The in-memory metrics snapshot: updated by runs, rebuilt from the store, read by scrapes.

Writers (runs on worker threads, the scheduler, health checks) are serialised by a writer
lock; each builds the new immutable state of one monitor and renders its exposition lines
before swapping them in under a short read lock. A scrape takes that read lock only to pick
up references, so it never waits for a render and never computes anything but the join of
already rendered lines, which is itself cached until the next change.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace

from driftmon import __version__
from driftmon.metrics.errors import MetricsInputError
from driftmon.metrics.names import COMPLETED_STATUSES
from driftmon.metrics.render import Fragments, join_exposition, monitor_fragments, process_fragments
from driftmon.metrics.specs import MonitorSpec
from driftmon.metrics.state import (
    MonitorState,
    ProcessState,
    configured,
    with_alerts,
    with_columns,
    with_completed_runs,
    with_counted_run,
)
from driftmon.metrics.values import AlertValue, LatestValues, RunLike
from driftmon.results import ResultRecord


class MetricsSnapshot:
    """Every exported value, kept current by runs and served to scrapes without computing.

    Monitors and columns not in the configuration (see `configure`) are not exported: values
    reported for them are ignored, since a reload may drop a monitor while its run is in flight.
    """

    def __init__(self, monitors: Sequence[MonitorSpec] = (), *, version: str = __version__) -> None:
        self._write = threading.Lock()  # serialises writers
        self._read = threading.Lock()  # guards the references scrapes pick up
        self._process = ProcessState(version)
        self._process_fragments = process_fragments(self._process)
        self._monitors: dict[str, MonitorState] = {}
        self._fragments: dict[str, Fragments] = {}
        self._generation = 0
        self._joined: tuple[int, bytes] | None = None  # (generation, body) of the last join
        if monitors:
            self.configure(monitors)

    # -- writers ---------------------------------------------------------------------------

    def configure(self, monitors: Sequence[MonitorSpec]) -> None:
        """Export exactly these monitors and columns, keeping the values of those already known."""
        with self._write:
            states = {s.name: configured(s, self._monitors.get(s.name)) for s in monitors}
            self._swap_all(states)

    def rebuild(
        self,
        monitors: Sequence[MonitorSpec],
        *,
        results: Iterable[ResultRecord] = (),
        runs: Iterable[RunLike] = (),
        alerts: Iterable[AlertValue] = (),
        read_seconds: float = 0.0,
    ) -> None:
        """Replace the snapshot with the configuration and what the store holds.

        `results`: the latest result per (monitor, column), taken as it is (see LatestValues);
        `runs`: recent runs of each monitor (store.RunRecord, or anything RunLike; the latest
        completed one sets the last-success and last-window-end timestamps);
        `alerts`: the alert state in force per (monitor, column, statistic). Run counters and
        the duration histogram start at zero: they count this process's runs. `read_seconds`
        (the time the store reads took) is added to the rebuild's own time in
        driftmon_snapshot_load_seconds.
        """
        started = time.perf_counter()
        read = _seconds(read_seconds, "read_seconds", "rebuild")
        with self._write:
            grouped = _Grouped(results, runs, alerts)
            self._swap_all({s.name: grouped.fold(configured(s)) for s in monitors})
            seconds = read + time.perf_counter() - started
            self._swap_process(replace(self._process, load_seconds=seconds))

    def follow(
        self,
        *,
        results: Iterable[ResultRecord] = (),
        runs: Iterable[RunLike] = (),
        alerts: Iterable[AlertValue] = (),
    ) -> None:
        """Take what the store holds for some monitors (other processes' runs among it) as theirs.

        The arguments are as for rebuild(), for the monitors that changed in the store: their
        latest results (unless a newer window is held), completed runs and alert states. Run
        counters stay this process's own.
        """
        with self._write:
            grouped = _Grouped(results, runs, alerts)
            for name in grouped.monitors():
                state = self._monitors.get(name)
                if state is not None:
                    self._swap_one(grouped.fold(state))

    def apply_run(
        self,
        run: RunLike,
        *,
        duration_seconds: float,
        columns: Sequence[ResultRecord] = (),
        alerts: Sequence[AlertValue] = (),
        source_up: bool | None = None,
    ) -> None:
        """Count one finished run and take its column results and alert states as the latest.

        What does not fit together is refused before anything changes: no finish time, columns
        or alerts of another monitor, a negative duration. A column result older than the one
        held (a backfilled window) updates no column values; the run is still counted.
        """
        where = f"monitor {run.monitor!r} run [{run.window_start}, {run.window_end})"
        if run.finished_at is None:
            raise MetricsInputError(f"{where}: finished_at is required for a finished run")
        finished_at = run.finished_at.timestamp()
        duration = _seconds(duration_seconds, "duration_seconds", where)
        latest = []
        for result in columns:
            if result.monitor != run.monitor:
                raise MetricsInputError(
                    f"{where}: column {result.column!r} reports monitor {result.monitor!r}"
                )
            latest.append((result.column, LatestValues.of(result)))
        for alert in alerts:
            if alert.monitor != run.monitor:
                raise MetricsInputError(
                    f"{where}: alert for column {alert.column!r} reports monitor {alert.monitor!r}"
                )
        with self._write:
            state = self._monitors.get(run.monitor)
            if state is None:
                return
            state = with_counted_run(state, run.status, duration, run.rows_read)
            ended = (run.status, run.window_end.timestamp(), finished_at)
            state = with_completed_runs(state, [ended])
            state = with_columns(state, latest)
            state = with_alerts(state, [(a.column, a.statistic, a.severity) for a in alerts])
            if source_up is not None:
                state = replace(state, source_up=source_up)
            self._swap_one(state)

    def set_windows_behind(self, monitor: str, windows: int) -> None:
        """Report how many complete windows of `monitor` are not computed yet."""
        with self._write:
            state = self._monitors.get(monitor)
            if state is not None:
                self._swap_one(replace(state, windows_behind=windows))

    def set_database_up(self, up: bool) -> None:
        """Report whether the store's database answered."""
        with self._write:
            self._swap_process(replace(self._process, database_up=up))

    # -- readers ---------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """Return the exposition body (Prometheus text format 0.0.4), joined once per change."""
        with self._read:
            joined = self._joined
            generation = self._generation
            if joined is not None and joined[0] == generation:
                return joined[1]
            owners = [self._process_fragments, *self._fragments.values()]
        body = join_exposition(owners)
        with self._read:
            if self._joined is None or self._joined[0] < generation:
                self._joined = (generation, body)
        return body

    # -- internals (callers hold self._write) ----------------------------------------------

    def _swap_one(self, state: MonitorState) -> None:
        fragments = monitor_fragments(state)
        with self._read:
            self._monitors[state.spec.name] = state
            self._fragments[state.spec.name] = fragments
            self._generation += 1

    def _swap_all(self, states: dict[str, MonitorState]) -> None:
        fragments = {name: monitor_fragments(s) for name, s in states.items()}
        with self._read:
            self._monitors, self._fragments = states, fragments
            self._generation += 1

    def _swap_process(self, process: ProcessState) -> None:
        fragments = process_fragments(process)
        with self._read:
            self._process, self._process_fragments = process, fragments
            self._generation += 1


class _Grouped:
    """Store-held values (results, runs, alert states) grouped by monitor."""

    def __init__(
        self,
        results: Iterable[ResultRecord],
        runs: Iterable[RunLike],
        alerts: Iterable[AlertValue],
    ) -> None:
        self.results: dict[str, list[tuple[str, LatestValues]]] = {}
        for result in results:
            self.results.setdefault(result.monitor, []).append((result.column, LatestValues.of(result)))
        self.completed: dict[str, list[tuple[str, float, float | None]]] = {}
        for run in runs:
            if run.status in COMPLETED_STATUSES:
                self.completed.setdefault(run.monitor, []).append(
                    (run.status, run.window_end.timestamp(), _optional_time(run))
                )
        self.severities: dict[str, list[tuple[str, str, int]]] = {}
        for alert in alerts:
            held = (alert.column, alert.statistic, alert.severity)
            self.severities.setdefault(alert.monitor, []).append(held)

    def monitors(self) -> set[str]:
        return {*self.results, *self.completed, *self.severities}

    def fold(self, state: MonitorState) -> MonitorState:
        """Return `state` with this monitor's results, completed runs and alert states folded in."""
        name = state.spec.name
        if name in self.results:
            state = with_columns(state, self.results[name])
        if name in self.completed:
            state = with_completed_runs(state, self.completed[name])
        if name in self.severities:
            state = with_alerts(state, self.severities[name])
        return state


def _optional_time(run: RunLike) -> float | None:
    return None if run.finished_at is None else run.finished_at.timestamp()


def _seconds(value: float, what: str, where: str) -> float:
    """Return a finite number of seconds >= 0 as a float, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise MetricsInputError(f"{where}: {what} must be a finite number >= 0, got {value!r}")
    return float(value)
