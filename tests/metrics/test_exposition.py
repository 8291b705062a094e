"""The exposition: values parse back equal to the inputs, odd names escape, promtool is silent."""

from __future__ import annotations

import math

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics import (
    FAMILIES,
    STATISTIC_METRICS,
    AlertValue,
    ColumnSpec,
    MetricsSnapshot,
    MonitorSpec,
    Thresholds,
)

from .helpers import (
    HOUR,
    ODD_NAMES,
    T0,
    column_values,
    labels,
    monitor_spec,
    outcome_column,
    parse,
    promtool_check,
    run_values,
    series,
    value,
)


def loaded() -> MetricsSnapshot:
    """Two monitors, one with a result per column and an alert, the other never run."""
    snapshot = MetricsSnapshot(
        [monitor_spec("m"), monitor_spec("idle", ["z"], interval=None)], version="1.2.3"
    )
    end = T0 + HOUR
    snapshot.apply_run(
        run_values("m", T0, rows=1234),
        duration_seconds=2.5,
        columns=[column_values("m", "x", end, seed=0.5), column_values("m", "y", end, seed=0.25)],
        alerts=[AlertValue("m", "x", "js_divergence", 2), AlertValue("m", "y", "psi", 1)],
        source_up=True,
    )
    snapshot.set_database_up(True)
    snapshot.set_windows_behind("m", 3)
    return snapshot


def test_values_parse_back_equal_to_the_inputs() -> None:
    parsed = parse(loaded().exposition())
    end = (T0 + HOUR).timestamp()
    for column, seed in (("x", 0.5), ("y", 0.25)):
        given_values = column_values("m", column, T0 + HOUR, seed=seed)
        col = {"column": column, "monitor": "m", "role": "feature"}
        for stat in STATISTICS:
            names, null = STATISTIC_METRICS[stat], given_values.null(stat)
            assert null is not None
            assert value(parsed, names.value, **col) == given_values.statistics()[stat]
            assert value(parsed, names.p_value, **col) == null.p_value
            assert value(parsed, names.null_expected, **col) == null.expected
            assert value(parsed, names.null_quantile, **col) == null.quantile
        assert value(parsed, "driftmon_column_live_values", **col) == given_values.n_live
        assert value(parsed, "driftmon_column_reference_values", **col) == 5000
        assert value(parsed, "driftmon_column_window_end_timestamp_seconds", **col) == end
        assert value(parsed, "driftmon_column_baseline_info", **col, version="3") == 1
        assert value(parsed, "driftmon_column_status_info", **col, status="ok") == 1
        assert (
            value(
                parsed,
                "driftmon_column_alert_threshold",
                **col,
                severity="warning",
                statistic="js_divergence",
            )
            == 0.05
        )
        assert (
            value(
                parsed,
                "driftmon_column_alert_threshold",
                **col,
                severity="critical",
                statistic="js_divergence",
            )
            == 0.15
        )
        assert (
            value(parsed, "driftmon_column_alert_threshold", **col, severity="critical", statistic="psi")
            == 0.25
        )
    # psi has no warning level: no series for it.
    assert (
        "driftmon_column_alert_threshold",
        labels(column="x", monitor="m", role="feature", severity="warning", statistic="psi"),
    ) not in parsed
    states = series(parsed, "driftmon_column_alert_state")
    assert states == {
        labels(column="x", monitor="m", role="feature", statistic="js_divergence"): 2,
        labels(column="x", monitor="m", role="feature", statistic="psi"): 0,
        labels(column="y", monitor="m", role="feature", statistic="js_divergence"): 0,
        labels(column="y", monitor="m", role="feature", statistic="psi"): 1,
        labels(column="z", monitor="idle", role="feature", statistic="js_divergence"): 0,
        labels(column="z", monitor="idle", role="feature", statistic="psi"): 0,
    }
    assert value(parsed, "driftmon_build_info", version="1.2.3") == 1
    assert value(parsed, "driftmon_database_up") == 1
    assert value(parsed, "driftmon_monitor_interval_seconds", monitor="m") == 3600
    assert value(parsed, "driftmon_monitor_runs_total", monitor="m", status="succeeded") == 1
    assert value(parsed, "driftmon_monitor_runs_total", monitor="m", status="failed") == 0
    assert value(parsed, "driftmon_monitor_rows_read_total", monitor="m") == 1234
    assert value(parsed, "driftmon_monitor_run_duration_seconds_sum", monitor="m") == 2.5
    assert value(parsed, "driftmon_monitor_run_duration_seconds_count", monitor="m") == 1
    assert value(parsed, "driftmon_monitor_run_duration_seconds_bucket", monitor="m", le="2.5") == 1
    assert value(parsed, "driftmon_monitor_run_duration_seconds_bucket", monitor="m", le="1.0") == 0
    assert value(parsed, "driftmon_monitor_last_success_timestamp_seconds", monitor="m") == end + 300
    assert value(parsed, "driftmon_monitor_last_window_end_timestamp_seconds", monitor="m") == end
    assert value(parsed, "driftmon_monitor_windows_behind", monitor="m") == 3
    assert value(parsed, "driftmon_monitor_source_up", monitor="m") == 1
    # The idle monitor: configuration and zeroed counters only, no results, no timestamps.
    idle = {key for key in parsed if ("monitor", "idle") in key[1]}
    assert {name for name, _ in idle} == {
        "driftmon_monitor_runs_total",
        "driftmon_monitor_run_duration_seconds_bucket",
        "driftmon_monitor_run_duration_seconds_count",
        "driftmon_monitor_run_duration_seconds_sum",
        "driftmon_monitor_rows_read_total",
        "driftmon_column_alert_state",
        "driftmon_column_alert_threshold",
    }


def test_promtool_finds_nothing_to_report() -> None:
    assert promtool_check(loaded().exposition()) == ""


def test_promtool_and_parser_accept_odd_column_and_monitor_names() -> None:
    spec = MonitorSpec(
        "odd.monitor-1",
        [ColumnSpec(name, "prediction", {"hellinger": Thresholds(0.1)}) for name in ODD_NAMES],
        full=True,
    )
    snapshot = MetricsSnapshot([spec])
    columns = [
        column_values("odd.monitor-1", name, T0 + HOUR, seed=i / 10) for i, name in enumerate(ODD_NAMES)
    ]
    snapshot.apply_run(run_values("odd.monitor-1", T0), duration_seconds=0.1, columns=columns)
    body = snapshot.exposition()
    parsed = parse(body)
    for i, name in enumerate(ODD_NAMES):
        col = {"column": name, "monitor": "odd.monitor-1", "role": "prediction"}
        assert value(parsed, "driftmon_column_hellinger", **col) == columns[i].statistics()["hellinger"]
        assert (
            value(parsed, "driftmon_column_alert_threshold", **col, severity="warning", statistic="hellinger")
            == 0.1
        )
    assert promtool_check(body) == ""


def test_insufficient_data_and_failed_columns_leave_their_statistics_absent() -> None:
    snapshot = MetricsSnapshot([monitor_spec("m", ["small", "broken", "nan"])])
    end = T0 + HOUR
    small = outcome_column("m", "small", "insufficient_data", end, 1, 12, 5000, dict.fromkeys(STATISTICS), {})
    broken = outcome_column("m", "broken", "failed", end)
    odd = {"kl_live_ref": math.nan, "psi": math.inf, "hellinger": 0.2}
    nan = outcome_column(
        "m", "nan", "ok", end, 1, 500, 5000, odd, {"psi": NullLevel(math.nan, 0.1, math.inf)}
    )
    snapshot.apply_run(run_values("m", T0, "partial"), duration_seconds=1.0, columns=[small, broken, nan])
    parsed = parse(snapshot.exposition())

    def of(column: str) -> set[str]:
        return {name for name, lbl in parsed if ("column", column) in lbl and "alert" not in name}

    assert of("small") == {
        "driftmon_column_status_info",
        "driftmon_column_baseline_info",
        "driftmon_column_window_end_timestamp_seconds",
        "driftmon_column_live_values",
        "driftmon_column_reference_values",
    }
    assert of("broken") == {"driftmon_column_status_info", "driftmon_column_window_end_timestamp_seconds"}
    assert of("nan") == of("small") | {"driftmon_column_hellinger", "driftmon_column_psi_null_quantile_nats"}
    assert (
        value(
            parsed,
            "driftmon_column_status_info",
            column="small",
            monitor="m",
            role="feature",
            status="insufficient_data",
        )
        == 1
    )
    assert (
        value(
            parsed,
            "driftmon_column_status_info",
            column="broken",
            monitor="m",
            role="feature",
            status="failed",
        )
        == 1
    )
    assert promtool_check(snapshot.exposition()) == ""


def test_an_empty_snapshot_exports_build_info_and_headers() -> None:
    body = MetricsSnapshot(version="0.0.1").exposition()
    assert parse(body) == {("driftmon_build_info", labels(version="0.0.1")): 1.0}
    assert body.count(b"# TYPE ") == len(FAMILIES)
    assert promtool_check(body) == ""
