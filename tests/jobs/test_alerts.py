"""Alert rules evaluated by runs: streaks across runs, stored transitions, windows out of order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.alerts import AlertState, Severity
from driftmon.config import MonitorConfig
from driftmon.jobs import run_window
from driftmon.store import alert_history, load_alert_states
from driftmon.windows import Window
from tests.jobs.conftest import HOUR, STABLE, T0, categories, monitor, write_events

DRIFTED_HOURS = (2, 3, 4)


def _x(rng: np.random.Generator, n: int, hour: int) -> pa.Array:
    return pa.array(rng.normal(1.0 if hour in DRIFTED_HOURS else 0.0, 1.0, n))


def _window(hour: int) -> Window:
    return Window(T0 + hour * HOUR, T0 + (hour + 1) * HOUR)


def _monitor(tmp_path: Path) -> MonitorConfig:
    write_events(tmp_path / "reference.parquet", T0 - 24 * HOUR, 24, STABLE, rows_per_hour=400, seed=3)
    write_events(tmp_path / "live.parquet", T0, 8, {"x": _x, "c": categories(["a", "b", "c"])}, seed=4)
    alerts = {"js_divergence": {"warning": 0.02, "critical": 0.5, "resolve": 0.01, "for_windows": 2}}
    return monitor(
        tmp_path / "live.parquet", {"path": str(tmp_path / "reference.parquet")}, ["x", "c"], alerts=alerts
    )


def test_alerts_fire_after_for_windows_and_resolve(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    watched = _monitor(tmp_path)
    outcomes = [run_window(watched, _window(h), sessions=sessions, now=T0 + 9 * HOUR) for h in range(8)]
    assert [o.status for o in outcomes] == ["succeeded"] * 8
    fired = [
        (h, t.column, t.transition.kind, t.transition.event_severity)
        for h, o in enumerate(outcomes)
        for t in o.transitions
    ]
    # Two drifted windows (2, 3) fire; two quiet ones after the drift (5, 6) resolve.
    assert fired == [(3, "x", "fired", "warning"), (6, "x", "resolved", "warning")]
    severities = [o.columns[0].alert_states["js_divergence"] for o in outcomes]
    assert severities == ["ok"] * 3 + ["warning"] * 3 + ["ok"] * 2
    assert all(o.columns[1].alert_states["js_divergence"] == "ok" for o in outcomes)

    change = outcomes[3].transitions[0]
    assert change.transition.statistic == "js_divergence"
    assert change.transition.event_state == "firing"
    assert change.run_id == outcomes[3].run_id
    assert change.transition.threshold == 0.02
    assert change.transition.window_end == T0 + 4 * HOUR
    assert change.top_bins == outcomes[3].columns[0].top_bins
    assert "WARNING drift on m/x: js_divergence" in change.notification().summary()
    with sessions() as s:
        events = alert_history(s, "m")
    assert [(e.column, e.state, e.severity, e.window_end, e.run_id) for e in reversed(events)] == [
        ("x", "firing", "warning", T0 + 4 * HOUR, outcomes[3].run_id),
        ("x", "resolved", "warning", T0 + 7 * HOUR, outcomes[6].run_id),
    ]
    assert events[1].id == change.event_id
    assert events[1].details is not None
    assert events[1].details["transition"] == "fired"
    assert events[1].details["top_bins"][0]["bin"] == change.top_bins[0].label


def test_a_streak_continues_across_runs_and_older_windows_are_not_evaluated(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    watched = _monitor(tmp_path)
    for hour in (1, 2):  # window 2 is the first drifted one: 1 of 2
        run_window(watched, _window(hour), sessions=sessions, now=T0 + 9 * HOUR)
    with sessions() as s:
        states = {(r.column, r.statistic): AlertState.from_dict(r.state) for r in load_alert_states(s, "m")}
    x = states[("x", "js_divergence")]
    assert (x.severity, x.above_warning, x.last_window_end) == (Severity.OK, 1, T0 + 3 * HOUR)

    older = run_window(watched, _window(0), sessions=sessions, now=T0 + 9 * HOUR)  # a late backfill
    assert older.status == "succeeded"
    assert older.transitions == ()
    with sessions() as s:
        after = {(r.column, r.statistic): AlertState.from_dict(r.state) for r in load_alert_states(s, "m")}
    assert after == states  # the older window changed no state

    third = run_window(watched, _window(3), sessions=sessions, now=T0 + 9 * HOUR)
    assert [(t.column, t.transition.kind) for t in third.transitions] == [("x", "fired")]
