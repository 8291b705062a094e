"""The example Alertmanager config: valid for amtool, each alert routed by severity, sane inhibitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from driftmon.rules import ALERT_NAMES
from tests.deploy.conftest import DEPLOY, PROMETHEUS_DIR, load_yaml, run_tool, tool

ALERTMANAGER_DIR = DEPLOY / "alertmanager"
CONFIG = ALERTMANAGER_DIR / "alertmanager.yml"
RECEIVER = {"critical": "driftmon-webhook", "warning": "driftmon-slack"}


def _alerts() -> list[dict[str, Any]]:
    """Every rule of the shipped rules, as the labels an alert of it carries."""
    groups = load_yaml(PROMETHEUS_DIR / "driftmon.rules.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_amtool_check_config() -> None:
    amtool = tool("amtool")
    result = run_tool(amtool, "check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "1 templates" in result.stdout


@pytest.mark.parametrize("alert", sorted(ALERT_NAMES))
def test_routes_by_severity(alert: str) -> None:
    amtool = tool("amtool")
    rules = [r for r in _alerts() if r["alert"] == alert]
    assert rules, f"no rule raises {alert}"
    for rule in rules:
        severity = rule["labels"]["severity"]
        labels = [f"alertname={alert}", f"severity={severity}", "monitor=checkout-model"]
        labels += [f"{k}={v}" for k, v in rule["labels"].items() if k not in ("severity", "monitor")]
        result = run_tool(
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={CONFIG}",
            f"--verify.receivers={RECEIVER[severity]}",
            *labels,
        )
        assert result.returncode == 0, (
            f"{alert} ({severity}) routed to {result.stdout.strip()}: {result.stderr}"
        )


def test_unknown_severity_falls_back_to_the_webhook() -> None:
    amtool = tool("amtool")
    result = run_tool(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        "--verify.receivers=driftmon-webhook",
        "alertname=X",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grouped_by_monitor_and_inhibitions_name_real_alerts() -> None:
    config = load_yaml(CONFIG)
    assert config["route"]["group_by"] == ["monitor"]
    labels_of = {}
    for rule in _alerts():
        # Labels an alert carries: the rule's own plus those its series bring (see the rules file).
        labels_of.setdefault(rule["alert"], set()).update(rule["labels"])
    series_labels = {
        # Aggregated over the replicas: no `instance` (nor `pod`) on these.
        "DriftmonColumnDriftWarning": {"monitor", "column", "role", "statistic", "job"},
        "DriftmonColumnDriftCritical": {"monitor", "column", "role", "statistic", "job"},
        "DriftmonColumnFailed": {"monitor", "column", "role", "status", "job"},
        "DriftmonMonitorStale": {"monitor", "job"},
        "DriftmonRunsFailing": {"monitor", "status", "job"},
        "DriftmonWindowsBehind": {"monitor", "job"},
        "DriftmonRulesOutdated": {"monitor", "job"},
        "DriftmonDown": {"job"},
        "DriftmonDatabaseDown": {"job"},
        "DriftmonAbsent": {"job"},
        # On one replica.
        "DriftmonReplicaDown": {"instance", "job"},
    }
    assert set(series_labels) == set(ALERT_NAMES)
    for inhibit in config["inhibit_rules"]:
        sources = _names(inhibit["source_matchers"])
        targets = _names(inhibit["target_matchers"])
        assert sources
        assert targets
        for name in sources | targets:
            assert set(inhibit["equal"]) <= series_labels[name] | labels_of[name], (name, inhibit["equal"])
    drift = {"DriftmonColumnDriftWarning", "DriftmonColumnDriftCritical"}
    held_back = set().union(
        *(
            _names(i["target_matchers"])
            for i in config["inhibit_rules"]
            if "DriftmonMonitorStale" in _names(i["source_matchers"])
        )
    )
    assert drift <= held_back, "drift alerts must wait while their monitor is stale or failing"


def _names(matchers: list[str]) -> set[str]:
    """Return the alert names a list of matchers selects (alertname= or alertname=~ a|b|c)."""
    names: set[str] = set()
    for matcher in matchers:
        key, _, value = matcher.partition("=")
        if key != "alertname":
            continue
        value = value.removeprefix("~").strip('"')
        names |= set(value.split("|"))
    unknown = names - set(ALERT_NAMES)
    assert not unknown, f"inhibition names alerts the rules do not raise: {unknown}"
    return names


def test_slack_template_renders_an_alert(tmp_path: Path) -> None:
    amtool = tool("amtool")
    alert = {
        "status": "firing",
        "labels": {
            "alertname": "DriftmonColumnDriftCritical",
            "monitor": "checkout-model",
            "severity": "critical",
        },
        "annotations": {
            "summary": "Drift (critical) in checkout-model/amount: psi",
            "description": "psi of column amount (feature) in monitor checkout-model is at critical.",
            "runbook_url": "https://runbooks.example/DriftmonColumnDriftCritical.md",
            "dashboard": "http://grafana.example/d/driftmon-overview/driftmon?var-monitor=checkout-model",
        },
        "startsAt": "2024-05-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": "0",
    }
    data = {
        "receiver": "driftmon-slack",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"monitor": "checkout-model"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example",
    }
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    rendered = {}
    for part in ("title", "text", "color", "link"):
        result = run_tool(
            amtool,
            "template",
            "render",
            f"--template.glob={ALERTMANAGER_DIR / 'templates' / '*.tmpl'}",
            f'--template.text={{{{ template "driftmon.slack.{part}" . }}}}',
            f"--template.data={tmp_path / 'data.json'}",
        )
        assert result.returncode == 0, result.stderr
        rendered[part] = result.stdout.strip()
    assert rendered["title"] == "[FIRING:1] checkout-model: ColumnDriftCritical"
    assert rendered["color"] == "danger"
    assert rendered["link"] == alert["annotations"]["dashboard"]
    assert rendered["text"].splitlines() == [
        "*Drift (critical) in checkout-model/amount: psi* (critical)",
        "psi of column amount (feature) in monitor checkout-model is at critical.",
        f"<{alert['annotations']['runbook_url']}|Runbook> | <{alert['annotations']['dashboard']}|Dashboard>",
    ]
