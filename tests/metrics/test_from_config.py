"""Monitor specs from the validated configuration: roles, merged thresholds, run intervals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from driftmon.config import Config, MonitorConfig, load_config
from driftmon.metrics import (
    MetricsSnapshot,
    Thresholds,
    cron_interval_seconds,
    monitor_spec,
    monitor_specs,
)

from .helpers import parse, promtool_check, value

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday
EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "driftmon.example.yaml"
EXAMPLE_ENV = {
    "DRIFTMON_API_TOKEN": "token-for-tests",
    "ONCALL_WEBHOOK_URL": "https://hooks.example/T000/B000/secret",
    "WAREHOUSE_URL": "postgresql+psycopg://reader:warehouse-password@db:5432/warehouse",
}


def monitor(**overrides: Any) -> MonitorConfig:
    data: dict[str, Any] = {
        "name": "m",
        "source": {"kind": "file", "path": "x.parquet"},
        "timestamp_column": "ts",
        "reference": {"previous": "7d"},
        "window": {"size": "1h"},
        "columns": ["a"],
    }
    return MonitorConfig.model_validate(data | overrides)


def test_columns_roles_and_merged_thresholds() -> None:
    config = monitor(
        alerts={"js_divergence": {"warning": 0.05, "critical": 0.2}, "psi": {"critical": 0.3}},
        columns=[
            "a",
            {"name": "score", "role": "prediction", "alerts": {"js_divergence": {"warning": 0.1}}},
            {"name": "c", "alerts": {"psi": {"critical": None}}},
        ],
    )
    spec = monitor_spec(config, now=NOW)
    assert spec.name == "m"
    assert spec.interval_seconds == 3600
    by_name = {c.name: c for c in spec.columns}
    assert [c.name for c in spec.columns] == ["a", "score", "c"]
    assert by_name["score"].role == "prediction"
    assert dict(by_name["a"].thresholds) == {
        "js_divergence": Thresholds(0.05, 0.2),
        "psi": Thresholds(None, 0.3),
    }
    assert dict(by_name["score"].thresholds)["js_divergence"] == Thresholds(0.1, 0.2)
    assert "psi" not in by_name["c"].thresholds


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ({"interval": "10m"}, 600),
        (None, 3600),
        ({"cron": "*/15 * * * *"}, 900),
        ({"cron": "0 9 * * 1-5"}, 72 * 3600),  # Friday 09:00 to Monday 09:00
        ({"cron": "0 0 1 * *"}, 31 * 86400),
    ],
)
def test_run_interval_from_the_schedule(schedule: dict[str, str] | None, seconds: float) -> None:
    config = monitor(schedule=schedule) if schedule else monitor()
    assert monitor_spec(config, now=NOW).interval_seconds == seconds


def test_cron_interval_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        cron_interval_seconds("0 * * * *", NOW.replace(tzinfo=None))


def test_the_example_config_exports_cleanly() -> None:
    config: Config = load_config(EXAMPLE, environ=EXAMPLE_ENV)
    specs = monitor_specs(config, now=NOW)
    assert [s.name for s in specs] == [m.name for m in config.monitors if m.enabled]
    snapshot = MetricsSnapshot(specs)
    parsed = parse(snapshot.exposition())
    first = specs[0]
    interval = config.monitors[0].schedule_interval
    assert interval is not None
    assert value(parsed, "driftmon_monitor_interval_seconds", monitor=first.name) == interval.total_seconds()
    assert promtool_check(snapshot.exposition()) == ""


def test_disabled_monitors_are_not_exported() -> None:
    on, off = monitor(name="on"), monitor(name="off", enabled=False)
    config = Config.model_validate({"monitors": [on.model_dump(mode="json"), off.model_dump(mode="json")]})
    assert [s.name for s in monitor_specs(config, now=NOW)] == ["on"]


def test_a_rule_on_noise_multiples_alone_has_an_alert_state_and_no_threshold() -> None:
    config = monitor(alerts={"kl_live_ref": {"warning_noise": 2.0}}, metrics="full")
    spec = monitor_spec(config, now=NOW)
    thresholds = spec.columns[0].thresholds
    # Statistic order (the default policy's js_divergence comes first in the configuration).
    assert list(thresholds) == ["kl_live_ref", "js_divergence"]
    assert thresholds["kl_live_ref"] == Thresholds(None, None)
    body = MetricsSnapshot([spec]).exposition()
    parsed = parse(body)
    labels = {"column": "a", "monitor": "m", "role": "feature"}
    assert value(parsed, "driftmon_column_alert_state", **labels, statistic="kl_live_ref") == 0
    thresholds_of = {
        dict(key[1])["statistic"] for key in parsed if key[0] == "driftmon_column_alert_threshold"
    }
    assert thresholds_of == {"js_divergence"}
    states = [line for line in body.decode().splitlines() if line.startswith("driftmon_column_alert_state{")]
    assert [line.split('statistic="')[1].split('"')[0] for line in states] == ["kl_live_ref", "js_divergence"]
