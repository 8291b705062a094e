"""The metric set: a handful of series per column by default, every family with `metrics: full`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from driftmon.config import Config, MonitorConfig
from driftmon.metrics import (
    COLUMN_FAMILIES,
    STATISTIC_METRICS,
    AlertValue,
    ColumnSpec,
    MetricsSnapshot,
    MonitorSpec,
    Thresholds,
    monitor_spec,
    monitor_specs,
)

from .helpers import HOUR, T0, column_values, parse, promtool_check, run_values

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
MONITOR: dict[str, Any] = {
    "name": "m",
    "source": {"kind": "file", "path": "x.parquet"},
    "timestamp_column": "ts",
    "reference": {"previous": "7d"},
    "window": {"size": "1h"},
    "columns": ["a", "b"],
}


def column_series(spec: MonitorSpec) -> dict[str, list[str]]:
    """Return the column sample names each column exports after one run with every value set."""
    snapshot = MetricsSnapshot([spec])
    columns = [column_values(spec.name, c.name, T0 + HOUR) for c in spec.columns]
    alerts = [AlertValue(spec.name, c.name, s, 1) for c in spec.columns for s in c.thresholds]
    snapshot.apply_run(run_values(spec.name, T0), duration_seconds=1.0, columns=columns, alerts=alerts)
    body = snapshot.exposition()
    assert promtool_check(body) == ""
    out: dict[str, list[str]] = {c.name: [] for c in spec.columns}
    for name, labels in parse(body):
        column = dict(labels).get("column")
        if column is not None:
            out[column].append(name)
    return out


def test_the_default_policy_exports_five_series_per_column() -> None:
    spec = monitor_spec(MonitorConfig.model_validate(MONITOR), now=NOW)
    assert not spec.full
    js = STATISTIC_METRICS["js_divergence"]
    for names in column_series(spec).values():
        assert sorted(names) == sorted(
            [
                "driftmon_column_status_info",
                "driftmon_column_live_values",
                js.value,
                js.p_value,
                "driftmon_column_alert_state",
            ]
        )


def test_by_default_each_alerted_statistic_adds_its_value_p_value_and_state() -> None:
    rules = {"js_divergence": Thresholds(0.05, 0.15), "psi": Thresholds(None, 0.25)}
    spec = MonitorSpec("m", [ColumnSpec("x", "feature", rules), ColumnSpec("quiet")], 3600.0)
    series = column_series(spec)
    assert len(series["x"]) == 8  # the most a column has with two alerted statistics
    for stat in ("js_divergence", "psi"):
        assert {STATISTIC_METRICS[stat].value, STATISTIC_METRICS[stat].p_value} <= set(series["x"])
    assert series["x"].count("driftmon_column_alert_state") == 2
    # A column that alerts on nothing keeps its status and sample size.
    assert sorted(series["quiet"]) == ["driftmon_column_live_values", "driftmon_column_status_info"]


def test_full_exports_every_column_family() -> None:
    rules = {"js_divergence": Thresholds(0.05, 0.15)}
    spec = MonitorSpec("m", [ColumnSpec("x", "feature", rules)], 3600.0, full=True)
    names = set(column_series(spec)["x"])
    assert names == {f.name for f in COLUMN_FAMILIES}


def test_families_outside_the_default_set_are_marked_in_the_contract() -> None:
    exported = {f.name: f.exported for f in COLUMN_FAMILIES}
    assert exported["driftmon_column_status_info"] == "always"
    assert exported["driftmon_column_alert_state"] == "always"
    assert exported["driftmon_column_alert_threshold"] == "full"
    for names in STATISTIC_METRICS.values():
        assert (exported[names.value], exported[names.p_value]) == ("alerted", "alerted")
        assert (exported[names.null_expected], exported[names.null_quantile]) == ("full", "full")


def test_metrics_full_from_the_monitor_or_from_defaults() -> None:
    assert monitor_spec(MonitorConfig.model_validate(MONITOR | {"metrics": "full"}), now=NOW).full
    config = Config.model_validate(
        {
            "defaults": {"metrics": "full"},
            "monitors": [MONITOR, MONITOR | {"name": "n", "metrics": "default"}],
        }
    )
    assert [s.full for s in monitor_specs(config, now=NOW)] == [True, False]


def test_metrics_takes_default_or_full_only() -> None:
    with pytest.raises(ValidationError, match="metrics"):
        MonitorConfig.model_validate(MONITOR | {"metrics": "everything"})


def test_the_metric_set_does_not_change_the_config_hash() -> None:
    plain = MonitorConfig.model_validate(MONITOR)
    assert plain.config_hash() == MonitorConfig.model_validate(MONITOR | {"metrics": "full"}).config_hash()
