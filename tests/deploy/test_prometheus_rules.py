"""The shipped rules: up to date with their configs, valid for promtool, unit-tested, documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from driftmon.cli import main
from driftmon.metrics import FAMILIES
from driftmon.rules import ALERT_NAMES
from driftmon.rules.templates import query_value
from tests.deploy.conftest import DEPLOY, PROMETHEUS_DIR, REPO, load_yaml, run_tool, tool

# Each shipped file and the `driftmon rules` arguments that produce it (run from the repository root).
SHIPPED = {
    "deploy/prometheus/driftmon.rules.yml": ["-c", "config/driftmon.example.yaml", "--allow-unset"],
    "deploy/prometheus/demo.rules.yml": ["-c", "config/demo.yaml", "--api-url", "http://localhost:9650"],
    "deploy/kubernetes/prometheusrule.yaml": [
        "-c",
        "config/driftmon.example.yaml",
        "--allow-unset",
        "--format",
        "kubernetes",
    ],
}
# One driftmon process, and several replicas exporting the same series (each alert fires once).
UNIT_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.test.yml"))
RUNBOOKS = REPO / "docs" / "runbooks"


def _rules(path: Path) -> list[dict[str, Any]]:
    data = load_yaml(path)
    groups = data["spec"]["groups"] if data.get("kind") == "PrometheusRule" else data["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.mark.parametrize("shipped", sorted(SHIPPED))
def test_shipped_rules_are_generated_from_their_config(shipped: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["rules", *SHIPPED[shipped]])
    assert result.exit_code == 0, result.output
    command = " ".join(["driftmon rules", *SHIPPED[shipped], "-o", shipped])
    assert (REPO / shipped).read_text(encoding="utf-8") == result.output, (
        f"{shipped} is out of date; regenerate it with: {command}"
    )


@pytest.mark.parametrize("shipped", sorted(SHIPPED))
def test_promtool_check_rules(shipped: str, tmp_path: Path) -> None:
    promtool = tool("promtool")
    path = REPO / shipped
    data = load_yaml(path)
    if data.get("kind") == "PrometheusRule":
        # The operator hands spec.groups to Prometheus as a rule file: check exactly that.
        path = tmp_path / "prometheusrule.rules.yml"
        path.write_text(yaml.safe_dump({"groups": data["spec"]["groups"]}), encoding="utf-8")
    result = run_tool(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_kubernetes_rules_are_the_rule_files_rules() -> None:
    rule_file = _rules(PROMETHEUS_DIR / "driftmon.rules.yml")
    manifest = _rules(DEPLOY / "kubernetes" / "prometheusrule.yaml")
    assert [r["alert"] for r in manifest] == [r["alert"] for r in rule_file]
    # Only the regeneration hint differs: the command names --format=kubernetes.
    for a, b in zip(rule_file, manifest, strict=True):
        assert a["expr"] == b["expr"]
        assert a["labels"] == b["labels"]
        assert a.get("for") == b.get("for")


def test_promtool_unit_tests_pass() -> None:
    promtool = tool("promtool")
    assert [p.name for p in UNIT_TESTS] == ["driftmon.replicas.test.yml", "driftmon.rules.test.yml"]
    result = run_tool(promtool, "test", "rules", *(str(p) for p in UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(UNIT_TESTS), result.stdout


def _cases(path: Path) -> list[dict[str, Any]]:
    return [case for test in load_yaml(path)["tests"] for case in test["alert_rule_test"]]


@pytest.mark.parametrize("path", UNIT_TESTS, ids=lambda p: p.name)
def test_unit_tests_cover_every_alert_firing_and_not_firing(path: Path) -> None:
    cases = _cases(path)
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    silent = {c["alertname"] for c in cases if not c["exp_alerts"]}
    # A single process cannot lose a replica; several replicas are never absent as a whole.
    expected = set(ALERT_NAMES) - {
        "DriftmonReplicaDown" if path.name == "driftmon.rules.test.yml" else "DriftmonAbsent"
    }
    assert firing >= expected, f"never shown firing: {expected - firing}"
    assert silent >= expected, f"never shown silent: {expected - silent}"
    assert load_yaml(path)["rule_files"] == ["../driftmon.rules.yml"]


def test_alerts_on_monitors_and_columns_carry_no_replica_label() -> None:
    """With several replicas, only the alerts on a replica itself name its instance or pod."""
    for path in UNIT_TESTS:
        for case in _cases(path):
            for alert in case["exp_alerts"]:
                replica = {"instance", "pod"} & set(alert["exp_labels"])
                if case["alertname"] == "DriftmonReplicaDown":
                    assert "instance" in replica, (path.name, case)
                else:
                    assert not replica, (path.name, case["alertname"], case["eval_time"])


def _metric_names(text: str) -> set[str]:
    return set(re.findall(r"\bdriftmon_[a-z0-9_]+", text))


def _exported() -> set[str]:
    names = {f.name for f in FAMILIES}
    histograms = [f.name for f in FAMILIES if f.kind == "histogram"]
    names |= {f"{name}{suffix}" for name in histograms for suffix in ("_bucket", "_count", "_sum")}
    return names


@pytest.mark.parametrize("shipped", sorted(SHIPPED))
def test_rules_name_only_exported_metrics(shipped: str) -> None:
    rules = _rules(REPO / shipped)
    used = set().union(*(_metric_names(json.dumps(r)) for r in rules))
    assert used, "the rules name no driftmon metric at all"
    assert used <= _exported(), f"not in the metrics contract: {sorted(used - _exported())}"


def test_every_alert_has_a_runbook_page() -> None:
    rules = _rules(PROMETHEUS_DIR / "driftmon.rules.yml")
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        page = RUNBOOKS / url.rsplit("/", 1)[-1]
        assert url.endswith(f"docs/runbooks/{rule['alert']}.md")
        assert page.is_file(), f"{rule['alert']}: no runbook page {page.relative_to(REPO)}"
        assert page.read_text(encoding="utf-8").startswith(f"# {rule['alert']}\n")
    pages = {p.stem for p in RUNBOOKS.glob("*.md")} - {"README"}
    assert pages == set(ALERT_NAMES)


def test_annotation_queries_survive_any_label_value(tmp_path: Path) -> None:
    """Label values with quotes and backslashes are escaped into the annotation's PromQL query."""
    promtool = tool("promtool")
    column = 'price "usd" \\ net'
    value = query_value("driftmon_column_psi_nats", ("monitor", "column"))
    rules = {
        "groups": [
            {
                "name": "escaping",
                "rules": [
                    {
                        "alert": "Escaped",
                        "expr": "driftmon_column_alert_state == 1",
                        "annotations": {"value": value},
                    }
                ],
            }
        ]
    }
    (tmp_path / "escaping.rules.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    labels = {"monitor": "m.1", "column": column, "role": "feature"}
    selector = ",".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    other = 'driftmon_column_psi_nats{monitor="m.1",column="other",role="feature"}'
    expected = {"exp_labels": {**labels, "statistic": "psi"}, "exp_annotations": {"value": "0.25"}}
    test = {
        "rule_files": ["escaping.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f'driftmon_column_alert_state{{{selector},statistic="psi"}}', "values": "1x3"},
                    {"series": f"driftmon_column_psi_nats{{{selector}}}", "values": "0.25x3"},
                    {"series": other, "values": "9x3"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": "Escaped",
                        "exp_alerts": [expected],
                    }
                ],
            }
        ],
    }
    (tmp_path / "escaping.test.yml").write_text(yaml.safe_dump(test), encoding="utf-8")
    result = run_tool(promtool, "test", "rules", "escaping.test.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_loads_the_demo_rules() -> None:
    promtool = tool("promtool")
    result = run_tool(promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    assert config["rule_files"] == ["demo.rules.yml"]
    assert [job["job_name"] for job in config["scrape_configs"]] == ["driftmon"]
