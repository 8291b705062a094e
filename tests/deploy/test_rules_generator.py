"""The rule generator: periods per schedule, Prometheus durations, options, and `driftmon rules`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.config import Config, load_config
from driftmon.rules import (
    ALERT_NAMES,
    RuleOptions,
    RuleOptionsError,
    prometheus_duration,
    rule_groups,
    stale_after,
    success_period,
)
from tests.deploy.conftest import REPO

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)

_CONFIG = """
defaults:
  source: {kind: file, format: parquet}
  timestamp_column: ts
  window: {size: 1h}
monitors:
  - name: fast.ticks
    source: {path: live}
    reference: {path: ref.parquet}
    columns: [x]
    schedule: {interval: 5m}
  - name: slow-ticks
    source: {path: live}
    reference: {path: ref.parquet}
    columns: [x]
    schedule: {interval: 3h}
    timeout: 10m
  - name: by_window
    source: {path: live}
    reference: {path: ref.parquet}
    columns: [x]
    window: {size: 15m}
  - name: weekdays
    source: {path: live}
    reference: {path: ref.parquet}
    columns: [x]
    window: {size: 1d}
    schedule: {cron: "0 9 * * 1-5"}
  - name: paused
    enabled: false
    source: {path: live}
    reference: {path: ref.parquet}
    columns: [x]
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "driftmon.yaml"
    path.write_text(_CONFIG, encoding="utf-8")
    return load_config(path)


def _rules(config: Config, options: RuleOptions | None = None) -> list[dict[str, Any]]:
    groups = rule_groups(config, options or RuleOptions(), now=NOW, command="driftmon rules -c x.yaml")
    return [rule for group in groups for rule in group["rules"]]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (1.2, "2s"), (59, "59s"), (300, "5m"), (7500, "2h5m"), (90061, "1d1h1m1s"), (172800, "2d")],
)
def test_prometheus_duration(seconds: float, text: str) -> None:
    assert prometheus_duration(timedelta(seconds=seconds)) == text


def test_prometheus_duration_refuses_negative() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        prometheus_duration(timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("monitor", "period", "stale"),
    [
        # A 5-minute tick over hourly windows completes one window an hour.
        ("fast.ticks", timedelta(hours=1), timedelta(hours=2, minutes=5)),
        # A tick slower than the window completes several windows per tick.
        ("slow-ticks", timedelta(hours=3), timedelta(hours=6, minutes=10)),
        # No schedule: one run per window.
        ("by_window", timedelta(minutes=15), timedelta(minutes=35)),
        # Weekday mornings: the weekend is the longest gap (Friday 09:00 to Monday 09:00).
        ("weekdays", timedelta(days=3), timedelta(days=6, minutes=5)),
    ],
)
def test_periods_follow_window_schedule_and_timeout(
    config: Config, monitor: str, period: timedelta, stale: timedelta
) -> None:
    m = config.monitor(monitor)
    assert success_period(m, NOW) == period
    assert stale_after(m, NOW) == stale


def test_per_monitor_rules_use_each_monitors_period(config: Config) -> None:
    rules = _rules(config)
    stale = {r["labels"]["monitor"]: r for r in rules if r["labels"].get("reason") == "last_window_too_old"}
    assert stale["fast.ticks"]["expr"].endswith("> 7500")
    assert stale["weekdays"]["expr"].endswith("> 518700")
    never = {r["labels"]["monitor"]: r for r in rules if r["labels"].get("reason") == "no_window_on_record"}
    assert never["slow-ticks"]["for"] == "6h10m"
    behind = {r["labels"]["monitor"]: r for r in rules if r["alert"] == "DriftmonWindowsBehind"}
    assert behind["by_window"]["for"] == "20m"
    failing = {r["labels"]["monitor"]: r for r in rules if r["alert"] == "DriftmonRunsFailing"}
    assert "[35m]" in failing["by_window"]["expr"]


def test_disabled_monitors_get_no_rules_and_names_are_escaped(config: Config) -> None:
    rules = _rules(config)
    monitors = {r["labels"].get("monitor") for r in rules} - {None}
    assert monitors == {"fast.ticks", "slow-ticks", "by_window", "weekdays"}
    (outdated,) = (r for r in rules if r["alert"] == "DriftmonRulesOutdated")
    # The regex's dot is escaped, so `fastXticks` is not taken for `fast.ticks`.
    assert 'monitor!~"fast\\\\.ticks|slow-ticks|by_window|weekdays"' in outdated["expr"]
    assert 'driftmon_monitor_interval_seconds{monitor="weekdays"} != 259200' in outdated["expr"]
    assert "paused" not in outdated["expr"]


def test_drift_rules_do_not_depend_on_the_config(config: Config, example_env: None) -> None:
    options = RuleOptions(api_url="https://driftmon.example.com")
    example = load_config(REPO / "config" / "driftmon.example.yaml")
    groups = [rule_groups(c, options, now=NOW, command="driftmon rules")[0] for c in (config, example)]
    assert groups[0] == groups[1]
    drift = [r for r in groups[0]["rules"] if r["alert"].startswith("DriftmonColumnDrift")]
    assert len(drift) == 12  # warning and critical for each of the six statistics
    assert {r["labels"]["statistic"] for r in drift} == {
        "kl_live_ref",
        "kl_ref_live",
        "js_divergence",
        "js_distance",
        "psi",
        "hellinger",
    }


def test_every_alert_is_generated_with_severity_runbook_and_dashboard(config: Config) -> None:
    rules = _rules(config)
    assert {r["alert"] for r in rules} == set(ALERT_NAMES)
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical")
        notes = rule["annotations"]
        assert set(notes) == {"summary", "description", "runbook_url", "dashboard"}
        assert notes["runbook_url"].endswith(f"/docs/runbooks/{rule['alert']}.md")
        assert notes["dashboard"].startswith("http://localhost:3000/d/driftmon-overview/driftmon")


def test_options_links_and_job(config: Config) -> None:
    options = RuleOptions(
        job="ml/driftmon",
        grafana_url="https://grafana.example.com/",
        runbook_url="https://wiki.example.com/runbooks/",
        api_url="https://driftmon.example.com/",
    )
    rules = {r["alert"]: r for r in _rules(config, options)}
    assert rules["DriftmonDown"]["expr"] == 'max without (instance, pod) (up{job="ml/driftmon"}) == 0'
    assert (
        rules["DriftmonDown"]["annotations"]["runbook_url"]
        == "https://wiki.example.com/runbooks/DriftmonDown.md"
    )
    assert rules["DriftmonColumnFailed"]["annotations"]["dashboard"] == (
        "https://grafana.example.com/d/driftmon-overview/driftmon"
        "?var-monitor={{ $labels.monitor | urlquery }}&var-column={{ $labels.column | urlquery }}"
    )
    description = rules["DriftmonColumnDriftWarning"]["annotations"]["description"]
    assert "https://driftmon.example.com/api/v1/monitors/" in description


def test_without_an_api_url_the_description_says_where_the_bins_are(config: Config) -> None:
    rules = {r["alert"]: r for r in _rules(config)}
    text = rules["DriftmonColumnDriftCritical"]["annotations"]["description"]
    assert "Top drifting bins: driftmon's API at /api/v1/monitors/{{ $labels.monitor }}/alerts" in text
    assert "set server.public_url" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RuleOptions(grafana_url="grafana:3000"), "--grafana-url must be an http(s) URL"),
        (RuleOptions(runbook_url="https://wiki/x?page=1"), "--runbook-url must be an http(s) URL"),
        (RuleOptions(api_url="ftp://driftmon"), "--api-url (or server.public_url) must be"),
        (RuleOptions(job='driftmon"} or vector(1) #'), "--job must be a Prometheus job name"),
        (RuleOptions(job=""), "--job must be a Prometheus job name"),
    ],
)
def test_bad_options_are_refused_by_name(config: Config, options: RuleOptions, message: str) -> None:
    with pytest.raises(RuleOptionsError, match=re.escape(message)):
        _rules(config, options)


def test_cli_writes_the_rules_to_stdout_or_a_file(tmp_path: Path) -> None:
    path = tmp_path / "driftmon.yaml"
    path.write_text(_CONFIG, encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(main, ["rules", "-c", str(path)])
    assert shown.exit_code == 0, shown.output
    header = f"# Prometheus alerting rules for driftmon, generated by `driftmon rules -c {path}`"
    assert shown.output.startswith(header)
    out = tmp_path / "rules" / "driftmon.rules.yml"
    out.parent.mkdir()
    written = runner.invoke(main, ["rules", "-c", str(path), "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert written.output == ""
    assert out.read_text(encoding="utf-8") == shown.output
    assert [p.name for p in out.parent.iterdir()] == ["driftmon.rules.yml"]  # no temporary file left
    assert [g["name"] for g in yaml.safe_load(shown.output)["groups"]] == [
        "driftmon-columns",
        "driftmon-monitors",
        "driftmon-service",
    ]


def test_cli_prometheus_rule_manifest(tmp_path: Path) -> None:
    path = tmp_path / "driftmon.yaml"
    path.write_text(_CONFIG, encoding="utf-8")
    args = ["rules", "-c", str(path), "--format", "kubernetes", "--namespace", "ml"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load(result.output)
    assert manifest["kind"] == "PrometheusRule"
    assert manifest["metadata"]["namespace"] == "ml"
    assert "--format=kubernetes --namespace=ml" in result.output.splitlines()[0]
    assert len(manifest["spec"]["groups"]) == 3


def test_cli_refuses_bad_options_and_unwritable_output(tmp_path: Path) -> None:
    path = tmp_path / "driftmon.yaml"
    path.write_text(_CONFIG, encoding="utf-8")
    runner = CliRunner()
    bad = runner.invoke(main, ["rules", "-c", str(path), "--grafana-url", "localhost:3000"])
    assert bad.exit_code == 1
    assert "error: --grafana-url must be an http(s) URL" in bad.output
    missing = runner.invoke(main, ["rules", "-c", str(path), "-o", str(tmp_path / "no" / "such" / "dir.yml")])
    assert missing.exit_code == 1
    assert "cannot write" in missing.output


def test_cli_needs_allow_unset_for_missing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WAREHOUSE_URL", "DRIFTMON_API_TOKEN", "ONCALL_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO)
    runner = CliRunner()
    refused = runner.invoke(main, ["rules", "-c", "config/driftmon.example.yaml"])
    assert refused.exit_code == 1
    assert "WAREHOUSE_URL is not set" in refused.output
    allowed = runner.invoke(main, ["rules", "-c", "config/driftmon.example.yaml", "--allow-unset"])
    assert allowed.exit_code == 0, allowed.output
    assert "unset://" not in allowed.output


def test_cli_reports_config_problems_with_allow_unset(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("monitors:\n  - name: x\n    colums: [a]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "-c", str(path), "--allow-unset"])
    assert result.exit_code == 1
    assert "unknown key 'colums'" in result.output


def test_rules_aggregate_the_replicas_series_before_comparing(config: Config) -> None:
    """Replicas on one store export the same series, differing by instance and pod: one alert each."""
    queried = 0
    for rule in _rules(config):
        if rule["alert"] == "DriftmonAbsent":
            assert "without" not in rule["expr"]  # absent() has one series or none
            continue
        assert "without (instance, pod)" in rule["expr"], rule["alert"]
        # Every value a description queries is aggregated too: one value, not one per replica.
        for text in rule["annotations"].values():
            for query in re.findall(r'printf "([^"]*)" [^}]*\| query', text):
                if "sortByLabel" in text and query.endswith(" == 0"):
                    continue  # the list of the replicas that are down, by name
                assert re.match(r"(max|min) without \(instance, pod\) \(", query), (rule["alert"], query)
                queried += 1
    assert queried >= 12 * 3, "the drift descriptions query value, p-value and live values"
    replica = [r for r in _rules(config) if r["alert"] == "DriftmonReplicaDown"]
    assert {r["labels"]["reason"] for r in replica} == {"not_scraped", "database_unreachable"}
    assert {r["labels"]["severity"] for r in replica} == {"warning"}
    for rule in replica:
        # On the replica itself: it keeps its instance, and fires only while another is fine.
        assert "and ignoring (instance, pod)" in rule["expr"]
        assert "{{ $labels.instance }}" in rule["annotations"]["summary"]
