"""Rules and metrics for calendar monitors: periods of the longest month, quarter and year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.config import Config, load_config
from driftmon.metrics import monitor_spec
from driftmon.rules import RuleOptions, rule_groups, stale_after, success_period
from tests.deploy.conftest import run_tool, tool

NOW = datetime(2024, 2, 10, tzinfo=UTC)
DAY = timedelta(days=1)

_CONFIG = """
defaults:
  source: {kind: file, format: parquet, path: live}
  reference: {path: ref.parquet}
  timestamp_column: ts
monitors:
  - name: monthly
    columns: [x]
    window: {size: 1mo, delay: 1d}
  - name: quarterly
    columns: [x]
    window: {size: 1q, timezone: Europe/Berlin}
    timeout: 10m
  - name: yearly
    columns: [x]
    window: {size: 1y}
  - name: monthly-hourly-ticks
    columns: [x]
    window: {size: 1mo}
    schedule: {interval: 1h}
  - name: local-days
    columns: [x]
    window: {size: 1d, timezone: America/New_York}
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "driftmon.yaml"
    path.write_text(_CONFIG, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("monitor", "period", "interval_seconds"),
    [
        ("monthly", 31 * DAY, 31 * 86400),
        ("quarterly", 92 * DAY, 92 * 86400),
        ("yearly", 366 * DAY, 366 * 86400),
        # Hourly ticks over monthly windows still complete one window a month.
        ("monthly-hourly-ticks", 31 * DAY, 3600),
        ("local-days", DAY, 86400),
    ],
)
def test_calendar_periods_use_the_longest_window(
    config: Config, monitor: str, period: timedelta, interval_seconds: float
) -> None:
    m = config.monitor(monitor)
    assert success_period(m, NOW) == period
    assert stale_after(m, NOW) == 2 * period + m.timeout
    assert monitor_spec(m, now=NOW).interval_seconds == interval_seconds


def _rules(config: Config) -> list[dict[str, Any]]:
    groups = rule_groups(config, RuleOptions(), now=NOW, command="driftmon rules -c x.yaml")
    return [rule for group in groups for rule in group["rules"]]


def test_stale_rules_of_a_monthly_monitor(config: Config) -> None:
    rules = _rules(config)
    stale = {r["labels"]["monitor"]: r for r in rules if r["labels"].get("reason") == "last_window_too_old"}
    assert stale["monthly"]["expr"].endswith(f"> {62 * 86400 + 300}")  # two 31-day months + 5m timeout
    assert stale["quarterly"]["expr"].endswith(f"> {184 * 86400 + 600}")
    assert "every 31d when healthy" in stale["monthly"]["annotations"]["description"]
    never = {r["labels"]["monitor"]: r for r in rules if r["labels"].get("reason") == "no_window_on_record"}
    assert never["yearly"]["for"] == "732d5m"
    (outdated,) = (r for r in rules if r["alert"] == "DriftmonRulesOutdated")
    assert f'driftmon_monitor_interval_seconds{{monitor="monthly"}} != {31 * 86400}' in outdated["expr"]


def test_promtool_checks_the_rules_of_calendar_monitors(tmp_path: Path) -> None:
    promtool = tool("promtool")
    config = tmp_path / "driftmon.yaml"
    config.write_text(_CONFIG, encoding="utf-8")
    out = tmp_path / "driftmon.rules.yml"
    result = CliRunner().invoke(main, ["rules", "-c", str(config), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["groups"]
    checked = run_tool(promtool, "check", "rules", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
