"""The snapshot's updates: counters, timestamps, backfills, alert states, configuration and refusals."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum
from typing import Any

import pytest

from driftmon.core import NullLevel
from driftmon.metrics import (
    DURATION_BUCKETS,
    AlertValue,
    ColumnSpec,
    MetricsInputError,
    MetricsSnapshot,
    MonitorSpec,
    RunValues,
    Thresholds,
)

from .helpers import (
    HOUR,
    T0,
    column_values,
    labels,
    monitor_spec,
    outcome_column,
    parse,
    run_values,
    series,
    value,
)

COL = {"column": "x", "monitor": "m", "role": "feature"}


def snapshot(*specs: MonitorSpec) -> MetricsSnapshot:
    return MetricsSnapshot(list(specs) or [monitor_spec("m")])


def test_runs_are_counted_by_outcome_with_durations_and_rows() -> None:
    s = snapshot()
    outcomes = [
        ("succeeded", 0.04, 10),
        ("succeeded", 3.0, 20),
        ("failed", 0.2, None),
        ("partial", 4000.0, 5),
    ]
    for i, (status, seconds, rows) in enumerate(outcomes):
        s.apply_run(run_values("m", T0 + i * HOUR, status, rows=rows), duration_seconds=seconds)
    parsed = parse(s.exposition())
    runs = series(parsed, "driftmon_monitor_runs_total")
    assert runs == {
        labels(monitor="m", status="succeeded"): 2,
        labels(monitor="m", status="partial"): 1,
        labels(monitor="m", status="insufficient_data"): 0,
        labels(monitor="m", status="failed"): 1,
    }
    assert value(parsed, "driftmon_monitor_rows_read_total", monitor="m") == 35
    assert value(parsed, "driftmon_monitor_run_duration_seconds_sum", monitor="m") == pytest.approx(4003.24)
    buckets = {
        dict(k)["le"]: v for k, v in series(parsed, "driftmon_monitor_run_duration_seconds_bucket").items()
    }
    expected = {str(b): sum(d <= b for _, d, _ in outcomes) for b in DURATION_BUCKETS}
    assert buckets == {**expected, "+Inf": 4}
    assert value(parsed, "driftmon_monitor_run_duration_seconds_count", monitor="m") == 4


def test_only_completed_windows_move_the_success_and_window_timestamps() -> None:
    s = snapshot()
    s.apply_run(run_values("m", T0, "insufficient_data"), duration_seconds=1)
    first_end = (T0 + HOUR).timestamp()
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m") == first_end
    assert value(parsed, "driftmon_monitor_last_success_timestamp_seconds", monitor="m") == first_end + 300
    s.apply_run(run_values("m", T0 + HOUR, "failed", late=timedelta(hours=5)), duration_seconds=1)
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m") == first_end
    assert value(parsed, "driftmon_monitor_last_success_timestamp_seconds", monitor="m") == first_end + 300
    # A backfilled older window finishing later moves the success time but not the window end.
    s.apply_run(run_values("m", T0 - HOUR, "succeeded", late=timedelta(hours=9)), duration_seconds=1)
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m") == first_end
    assert (
        value(parsed, "driftmon_monitor_last_success_timestamp_seconds", monitor="m")
        == T0.timestamp() + 9 * 3600
    )


def test_a_backfilled_older_window_does_not_replace_the_newer_result() -> None:
    s = snapshot()
    newer = column_values("m", "x", T0 + 2 * HOUR, seed=0.5)
    older = column_values("m", "x", T0 + HOUR, seed=0.25)
    s.apply_run(run_values("m", T0 + HOUR), duration_seconds=1, columns=[newer])
    s.apply_run(run_values("m", T0), duration_seconds=1, columns=[older])
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_column_psi_nats", **COL) == newer.statistics()["psi"]
    assert value(parsed, "driftmon_monitor_runs_total", monitor="m", status="succeeded") == 2
    # The same window again (a retried run) replaces it.
    again = column_values("m", "x", T0 + 2 * HOUR, seed=0.75)
    s.apply_run(run_values("m", T0 + HOUR), duration_seconds=1, columns=[again])
    assert value(parse(s.exposition()), "driftmon_column_psi_nats", **COL) == again.statistics()["psi"]


def test_alert_states_exist_for_statistics_with_thresholds_only() -> None:
    s = snapshot()
    alerts = [AlertValue("m", "x", "js_divergence", 1), AlertValue("m", "x", "hellinger", 2)]
    s.apply_run(run_values("m", T0), duration_seconds=1, alerts=alerts)
    states = series(parse(s.exposition()), "driftmon_column_alert_state")
    assert states[labels(**COL, statistic="js_divergence")] == 1
    assert labels(**COL, statistic="hellinger") not in states  # no thresholds for it
    s.apply_run(
        run_values("m", T0 + HOUR), duration_seconds=1, alerts=[AlertValue("m", "x", "js_divergence", 0)]
    )
    assert value(parse(s.exposition()), "driftmon_column_alert_state", **COL, statistic="js_divergence") == 0


def test_reachability_and_backlog_are_reported_values() -> None:
    s = snapshot()
    parsed = parse(s.exposition())
    for name in ("driftmon_monitor_source_up", "driftmon_monitor_windows_behind", "driftmon_database_up"):
        assert not series(parsed, name), "unknown until reported"
    s.apply_run(run_values("m", T0, "failed"), duration_seconds=1, source_up=False)
    s.set_windows_behind("m", 12)
    s.set_database_up(False)
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_monitor_source_up", monitor="m") == 0
    assert value(parsed, "driftmon_monitor_windows_behind", monitor="m") == 12
    assert value(parsed, "driftmon_database_up") == 0
    s.apply_run(run_values("m", T0 + HOUR), duration_seconds=1, source_up=True)
    s.set_windows_behind("m", 0)
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_monitor_source_up", monitor="m") == 1
    assert value(parsed, "driftmon_monitor_windows_behind", monitor="m") == 0


def test_values_for_unconfigured_monitors_and_columns_are_ignored() -> None:
    s = snapshot()
    before = s.exposition()
    s.apply_run(run_values("gone", T0), duration_seconds=1, columns=[column_values("gone", "x", T0 + HOUR)])
    s.set_windows_behind("gone", 3)
    assert s.exposition() == before
    s.apply_run(run_values("m", T0), duration_seconds=1, columns=[column_values("m", "dropped", T0 + HOUR)])
    assert not any(("column", "dropped") in lbl for _, lbl in parse(s.exposition()))


def test_reconfiguring_keeps_known_values_and_drops_what_is_gone() -> None:
    s = snapshot(monitor_spec("m"), monitor_spec("other"))
    s.apply_run(
        run_values("m", T0),
        duration_seconds=1,
        columns=[column_values("m", "x", T0 + HOUR), column_values("m", "y", T0 + HOUR)],
        alerts=[AlertValue("m", "x", "js_divergence", 2), AlertValue("m", "x", "psi", 1)],
    )
    kept = ColumnSpec("x", "prediction", {"js_divergence": Thresholds(0.2, 0.3)})
    s.configure([MonitorSpec("m", [kept, ColumnSpec("new")], 60.0, full=True)])
    parsed = parse(s.exposition())
    x = {"column": "x", "monitor": "m", "role": "prediction"}
    assert value(parsed, "driftmon_column_js_divergence_shannons", **x) == 0.03
    assert value(parsed, "driftmon_column_alert_state", **x, statistic="js_divergence") == 2
    assert series(parsed, "driftmon_column_alert_state").keys() == {labels(**x, statistic="js_divergence")}
    assert (
        value(parsed, "driftmon_column_alert_threshold", **x, severity="warning", statistic="js_divergence")
        == 0.2
    )
    assert value(parsed, "driftmon_monitor_runs_total", monitor="m", status="succeeded") == 1
    assert value(parsed, "driftmon_monitor_interval_seconds", monitor="m") == 60
    assert not any(("column", "y") in lbl or ("monitor", "other") in lbl for _, lbl in parsed)


def test_the_exposition_is_joined_once_per_change() -> None:
    s = snapshot()
    first = s.exposition()
    assert s.exposition() is first
    s.set_windows_behind("m", 1)
    second = s.exposition()
    assert second is not first
    assert b'driftmon_monitor_windows_behind{monitor="m"} 1.0\n' in second


def bad_runs() -> list[tuple[dict[str, Any], str]]:
    end = T0 + HOUR
    return [
        ({"run": RunValues("m", T0, end, "succeeded")}, "finished_at is required"),
        ({"duration_seconds": -1.0}, "duration_seconds must be a finite number"),
        ({"duration_seconds": float("nan")}, "duration_seconds must be a finite number"),
        ({"columns": [column_values("other", "x", end)]}, "column 'x' reports monitor 'other'"),
        ({"alerts": [AlertValue("other", "x", "psi", 1)]}, "reports monitor 'other'"),
    ]


@pytest.mark.parametrize(("change", "message"), bad_runs())
def test_bad_run_inputs_are_refused_with_nothing_applied(change: dict[str, Any], message: str) -> None:
    s = snapshot()
    s.apply_run(run_values("m", T0 - HOUR), duration_seconds=1, columns=[column_values("m", "x", T0)])
    before = s.exposition()
    kwargs: dict[str, Any] = {
        "run": run_values("m", T0),
        "duration_seconds": 1.0,
        "columns": [column_values("m", "y", T0 + HOUR)],
        "alerts": [AlertValue("m", "y", "psi", 2)],
    }
    kwargs.update(change)
    with pytest.raises(MetricsInputError, match=message):
        s.apply_run(**kwargs)
    assert s.exposition() == before


def test_rebuild_refuses_a_bad_read_time() -> None:
    s = snapshot()
    for seconds in (-1, float("nan"), True):
        with pytest.raises(MetricsInputError, match="read_seconds must be a finite number >= 0"):
            s.rebuild([monitor_spec("m")], read_seconds=seconds)


def test_null_levels_may_be_partly_unknown() -> None:
    s = snapshot()
    level = NullLevel(float("nan"), 0.02, 0.5)
    s.apply_run(
        run_values("m", T0),
        duration_seconds=1,
        columns=[outcome_column("m", "x", "ok", T0 + HOUR, 1, 200, 300, {"psi": 0.1}, {"psi": level})],
    )
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_column_psi_null_quantile_nats", **COL) == 0.02
    assert value(parsed, "driftmon_column_psi_p_value", **COL) == 0.5
    assert not series(parsed, "driftmon_column_psi_null_expected_nats")


def test_rebuild_takes_the_newest_result_and_skips_running_runs() -> None:
    s = snapshot()
    newer, older = column_values("m", "x", T0 + 2 * HOUR, seed=0.5), column_values("m", "x", T0 + HOUR)
    running = RunValues("m", T0 + 5 * HOUR, T0 + 6 * HOUR, "running")
    s.rebuild([monitor_spec("m")], results=[newer, older], runs=[run_values("m", T0), running])
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_column_psi_nats", **COL) == newer.statistics()["psi"]
    assert (
        value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m")
        == (T0 + HOUR).timestamp()
    )


def test_rebuild_folds_every_run_and_alert_of_a_monitor_in_order() -> None:
    spec = MonitorSpec("m", [ColumnSpec("x", thresholds={"psi": Thresholds(0.1, 0.2)})], full=True)
    early = RunValues("m", T0, T0 + HOUR, "succeeded", T0 + 5 * HOUR)
    late = RunValues("m", T0 + HOUR, T0 + 2 * HOUR, "partial", T0 + 3 * HOUR)
    failed = RunValues("m", T0 + 2 * HOUR, T0 + 3 * HOUR, "failed", T0 + 9 * HOUR)
    running = RunValues("m", T0 + 3 * HOUR, T0 + 4 * HOUR, "running")
    alerts = [
        AlertValue("m", "x", "psi", 2),
        AlertValue("m", "x", "psi", 1),
        AlertValue("m", "x", "hellinger", 2),
    ]
    snapshot = MetricsSnapshot()
    snapshot.rebuild([spec], runs=[late, failed, early, running], alerts=alerts)
    parsed = parse(snapshot.exposition())
    assert (
        value(parsed, "driftmon_monitor_last_success_timestamp_seconds", monitor="m")
        == (T0 + 5 * HOUR).timestamp()
    )
    assert (
        value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m")
        == (T0 + 2 * HOUR).timestamp()
    )
    assert (
        value(parsed, "driftmon_column_alert_state", column="x", monitor="m", role="feature", statistic="psi")
        == 1
    )
    assert not [key for key in parsed if ("statistic", "hellinger") in key[1]]


def test_an_alert_severity_may_be_an_int_enum() -> None:
    class Severity(IntEnum):
        OK = 0
        CRITICAL = 2

    s = snapshot()
    s.apply_run(
        run_values("m", T0), duration_seconds=1, alerts=[AlertValue("m", "x", "psi", Severity.CRITICAL)]
    )
    parsed = parse(s.exposition())
    assert value(parsed, "driftmon_column_alert_state", **COL, statistic="psi") == 2


def test_rebuild_keeps_the_last_given_of_results_for_the_same_window() -> None:
    first, second = column_values("m", "x", T0 + HOUR, seed=0.1), column_values("m", "x", T0 + HOUR, seed=0.2)
    s = snapshot()
    s.rebuild([monitor_spec("m")], results=[first, second])
    rebuilt = value(parse(s.exposition()), "driftmon_column_psi_nats", **COL)
    live = snapshot()
    live.apply_run(run_values("m", T0), duration_seconds=1, columns=[first])
    live.apply_run(run_values("m", T0), duration_seconds=1, columns=[second])
    assert (
        rebuilt
        == value(parse(live.exposition()), "driftmon_column_psi_nats", **COL)
        == second.statistics()["psi"]
    )
