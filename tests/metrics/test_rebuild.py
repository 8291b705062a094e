"""Start-up: the snapshot rebuilt from the store equals the one the same runs built live.

The store's records map onto the snapshot's inputs: ResultRecord is taken as it is,
RunRecord too, AlertEventRecord -> AlertValue.from_event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import STATISTICS, NullLevel, compare, count_values, fit_numeric_bins
from driftmon.jobs import column_result, failed_column_result
from driftmon.metrics import (
    STATISTIC_METRICS,
    AlertValue,
    ColumnSpec,
    LatestValues,
    MetricsInputError,
    MetricsSnapshot,
    MonitorSpec,
    RunValues,
    Thresholds,
)
from driftmon.results import ResultRecord
from driftmon.store import (
    DONE_STATUSES,
    BaselineRecord,
    add_baseline,
    claim_run,
    current_alert_states,
    finish_run,
    latest_results,
    latest_runs,
    make_engine,
    record_alert_event,
    run_history,
    session_factory,
    upgrade,
)
from driftmon.windows import Window

from .helpers import HOUR, ODD_NAMES, T0, Parsed, parse, promtool_check, value, without

# Counted by this process only: they restart at zero (docs/metrics.md), so they are not compared.
PROCESS_LIFETIME = (
    "driftmon_monitor_runs_total",
    "driftmon_monitor_rows_read_total",
    "driftmon_monitor_run_duration_seconds",
    "driftmon_snapshot_load_seconds",
)
STALE = timedelta(minutes=30)
RULES = {"js_divergence": Thresholds(0.05, 0.15), "psi": Thresholds(0.1, 0.25)}
SPECS = [
    MonitorSpec(
        "a",
        [ColumnSpec("x", "feature", RULES), ColumnSpec(ODD_NAMES[0], "prediction", RULES)],
        3600.0,
        full=True,
    ),
    MonitorSpec("b", [ColumnSpec("z", "feature", RULES)], 1800.0, full=True),
]


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


@dataclass
class Recorder:
    """Writes runs and alert events to the store and applies the same runs to a live snapshot."""

    sessions: sessionmaker[Session]
    live: MetricsSnapshot = field(default_factory=lambda: MetricsSnapshot(SPECS))
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    baselines: dict[tuple[str, str], BaselineRecord] = field(default_factory=dict)

    def baseline(self, monitor: str, column: str, role: str) -> BaselineRecord:
        values = self.rng.normal(0.0, 1.0, 4000)
        spec = fit_numeric_bins(values)
        with self.sessions() as s, s.begin():
            record = add_baseline(
                s, monitor, column, spec, count_values(spec, values).counts,
                reference={"start": "2025-12-01"}, fitted_at=T0, role=role,
            )  # fmt: skip
        self.baselines[monitor, column] = record
        return record

    def window(
        self,
        monitor: str,
        start: datetime,
        shifts: dict[str, float | None],
        status: str,
        alerts: tuple[tuple[str, str, str, str], ...] = (),
    ) -> None:
        """Store one window (shift None: the column failed) with its alert events; apply it live.

        `alerts` holds (column, statistic, severity, state) events as the alert state machine stores them.
        """
        end, finished = start + HOUR, start + HOUR + timedelta(minutes=2)
        with self.sessions() as s, s.begin():
            claim = claim_run(s, monitor, start, end, now=end, stale_after=STALE)
        results = []
        window = Window(start, end)
        n = 40 if status == "insufficient_data" else 3000
        for column, shift in shifts.items():
            baseline = self.baselines[monitor, column]
            if shift is None:
                failed = failed_column_result(
                    column, "source column vanished", monitor=monitor, window=window, baseline=baseline
                )
                results.append(failed)
                continue
            live = count_values(baseline.spec, self.rng.normal(shift, 1.0, n))
            comparison = compare(baseline.histogram, live)
            results.append(column_result(comparison, baseline, monitor=monitor, window=window))
        rows = n * len(shifts)
        with self.sessions() as s, s.begin():
            finish_run(s, claim, status=status, finished_at=finished, results=results, rows_read=rows)
            for column, statistic, severity, state in alerts:
                record_alert_event(
                    s, monitor, column, statistic, severity=severity, state=state, at=finished, value=0.2
                )
        levels = [
            AlertValue(monitor, column, statistic, 0 if state == "resolved" else 1 + (severity == "critical"))
            for column, statistic, severity, state in alerts
        ]
        run = RunValues(monitor, start, end, status, finished, rows)
        # What a job reports: the results it stored, before any store round trip.
        self.live.apply_run(run, duration_seconds=1.5, columns=results, alerts=levels)

    def failed(self, monitor: str, start: datetime) -> None:
        end = start + HOUR
        with self.sessions() as s, s.begin():
            claim = claim_run(s, monitor, start, end, now=end, stale_after=STALE)
        with self.sessions() as s, s.begin():
            finish_run(s, claim, status="failed", finished_at=end + HOUR, error="source unreachable")
        self.live.apply_run(RunValues(monitor, start, end, "failed", end + HOUR), duration_seconds=30.0)


def rebuilt(
    sessions: sessionmaker[Session], specs: list[MonitorSpec], path: str = "columns"
) -> MetricsSnapshot:
    """Load a snapshot from the latest results, and the runs the way the service does at start-up
    ("columns": each monitor's last completed run) or from the recent run history ("records")."""
    snapshot = MetricsSnapshot()
    with sessions() as s:
        results = latest_results(s)
        if path == "columns":
            runs = list(latest_runs(s, statuses=DONE_STATUSES).values())
        else:
            runs = [r for spec in specs for r in run_history(s, spec.name, limit=10)]
        alerts = [AlertValue.from_event(e) for e in current_alert_states(s)]
    snapshot.rebuild(specs, results=results, runs=runs, alerts=alerts, read_seconds=0.25)
    return snapshot


def comparable(parsed: Parsed) -> Parsed:
    return without(parsed, PROCESS_LIFETIME)


@pytest.mark.parametrize("path", ["columns", "records"])
def test_rebuild_from_the_store_equals_the_runs_applied_live(
    sessions: sessionmaker[Session], path: str
) -> None:
    rec = Recorder(sessions)
    odd = ODD_NAMES[0]
    for monitor, column, role in (("a", "x", "feature"), ("a", odd, "prediction"), ("b", "z", "feature")):
        rec.baseline(monitor, column, role)
    rec.baseline("legacy", "old", "feature")  # stored, no longer configured
    fire = (("x", "js_divergence", "warning", "firing"), ("x", "psi", "warning", "firing"))
    escalate = (
        ("x", "js_divergence", "critical", "firing"),
        ("x", "psi", "warning", "resolved"),
        ("x", "hellinger", "warning", "firing"),  # no thresholds in force: not exported
    )
    rec.window("a", T0, {"x": 0.0, odd: 0.0}, "succeeded", fire)
    rec.window("a", T0 + HOUR, {"x": 0.8, odd: None}, "partial", escalate)
    rec.window("a", T0 - 2 * HOUR, {"x": 0.1, odd: 0.1}, "succeeded")  # backfilled, older
    rec.failed("a", T0 + 2 * HOUR)
    rec.window("b", T0, {"z": 0.0}, "insufficient_data")
    rec.window("legacy", T0, {"old": 0.3}, "succeeded")

    live = parse(rec.live.exposition())
    snapshot = rebuilt(sessions, SPECS, path)
    restarted = parse(snapshot.exposition())
    assert comparable(restarted) == comparable(live)
    assert not any(("monitor", "legacy") in labels for _, labels in restarted)
    assert value(restarted, "driftmon_snapshot_load_seconds") >= 0.25
    assert value(restarted, "driftmon_monitor_runs_total", monitor="a", status="succeeded") == 0
    x_labels = {"column": "x", "monitor": "a", "role": "feature"}
    assert value(restarted, "driftmon_column_alert_state", **x_labels, statistic="js_divergence") == 2
    assert value(restarted, "driftmon_column_alert_state", **x_labels, statistic="psi") == 0
    assert promtool_check(snapshot.exposition()) == ""

    # The exported values are the stored ones.
    with sessions() as s:
        stored = {(r.monitor, r.column): r for r in latest_results(s)}
    x = stored["a", "x"]
    assert x.window_end == T0 + 2 * HOUR
    assert x.status == "ok"
    for stat in STATISTICS:
        null = x.null(stat)
        assert null is not None
        assert value(restarted, STATISTIC_METRICS[stat].value, **x_labels) == x.scores[stat]
        assert value(restarted, STATISTIC_METRICS[stat].null_quantile, **x_labels) == null.quantile
        assert value(restarted, STATISTIC_METRICS[stat].p_value, **x_labels) == null.p_value
    assert value(restarted, "driftmon_column_live_values", **x_labels) == x.n_live
    assert value(restarted, "driftmon_column_baseline_info", **x_labels, version=str(x.baseline_version)) == 1
    for monitor, end in {"a": T0 + 2 * HOUR, "b": T0 + HOUR}.items():
        exported = value(restarted, "driftmon_monitor_last_window_end_timestamp_seconds", monitor=monitor)
        assert exported == end.timestamp()
    # The partial run finished last among completed ones; the failed run after it is no success.
    last_success = (T0 + 2 * HOUR + timedelta(minutes=2)).timestamp()
    assert value(restarted, "driftmon_monitor_last_success_timestamp_seconds", monitor="a") == last_success


def test_alert_events_map_to_severities() -> None:
    @dataclass
    class Event:
        monitor: str = "m"
        column: str = "x"
        statistic: str = "psi"
        severity: str = "warning"
        state: str = "firing"

    assert AlertValue.from_event(Event()).severity == 1
    assert AlertValue.from_event(Event(severity="critical")).severity == 2
    assert AlertValue.from_event(Event(severity="critical", state="resolved")).severity == 0
    with pytest.raises(MetricsInputError, match="state 'pending' with severity 'warning'"):
        AlertValue.from_event(Event(state="pending"))


def test_a_result_is_held_with_its_finite_numbers_only() -> None:
    """Infinities (the store keeps them) are left out; so are null levels with no part known."""
    inf = float("inf")
    for status in ("ok", "failed"):
        result = ResultRecord(
            "m", "x", T0, T0 + HOUR, status, baseline_version=2, n_reference=4000, n_live=3000,
            scores={"psi": 0.25, "hellinger": inf, "kl_live_ref": 3},
            null_levels={
                "psi": NullLevel(0.01, 0.02, 0.5),
                "hellinger": NullLevel(inf, -inf, 1.0),
                "js_distance": NullLevel(inf, inf, inf),
            },
        )  # fmt: skip
        held = LatestValues.of(result)
        assert held.statistics == {"kl_live_ref": 3.0, "psi": 0.25}
        assert held.null == {"psi": (0.01, 0.02, 0.5), "hellinger": (None, None, 1.0)}
        assert (held.status, held.window_end, held.n_live) == (status, (T0 + HOUR).timestamp(), 3000)
